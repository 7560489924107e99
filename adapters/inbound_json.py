"""Inbound JSON made safe to read, at the edge of every platform: a bounded nesting depth, and no
NUL characters.

PostgreSQL refuses U+0000 in text and JSON values, and no member means one (it comes from a broken
client or a hostile one): dropping it keeps the rest of the text, on every database alike.
"""

from __future__ import annotations

import json
from typing import Any

NUL = "\x00"
#: deeper than any activity or event we read: refused before anything walks it
MAX_DEPTH = 32


class UnreadableJson(ValueError):
    """The body is not JSON we read; the message says why."""


def loads(raw: bytes | str) -> Any:
    """Parsed JSON no deeper than MAX_DEPTH, with every NUL removed; UnreadableJson otherwise."""
    too_deep = f"the JSON is nested deeper than {MAX_DEPTH} levels"
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise UnreadableJson(too_deep) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise UnreadableJson("the body is not JSON") from exc
    if depth(value) > MAX_DEPTH:
        raise UnreadableJson(too_deep)
    return without_nul(value)


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


def without_nul(value: Any) -> Any:
    """``value`` (parsed JSON) with every NUL removed from its strings and keys."""
    if isinstance(value, str):
        return value.replace(NUL, "") if NUL in value else value
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value
