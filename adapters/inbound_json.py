"""Inbound JSON made safe to read, at the edge of every platform: a bounded nesting depth, and
only text a database can store.

PostgreSQL refuses U+0000 in text and JSON values, and no database driver encodes a lone UTF-16
surrogate (``"\\ud800"`` is valid JSON): no member means either (they come from a broken client or
a hostile one). NUL is dropped and a lone surrogate becomes U+FFFD, keeping the rest of the text,
on every database alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

NUL = "\x00"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: deeper than any activity or event we read: refused before anything walks it
MAX_DEPTH = 32


class UnreadableJson(ValueError):
    """The body is not JSON we read; the message says why."""


def loads(raw: bytes | str) -> Any:
    """Parsed JSON no deeper than MAX_DEPTH, its text made storable; UnreadableJson otherwise."""
    too_deep = f"the JSON is nested deeper than {MAX_DEPTH} levels"
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise UnreadableJson(too_deep) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise UnreadableJson("the body is not JSON") from exc
    if depth(value) > MAX_DEPTH:
        raise UnreadableJson(too_deep)
    return storable(value)


def depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == NUL else "\ufffd"


def storable(value: Any) -> Any:
    """``value`` (parsed JSON) with every NUL removed from its strings and keys, and every lone
    surrogate replaced."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(_replacement, value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value
