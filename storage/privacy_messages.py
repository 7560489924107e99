"""What an outbox message says of a person: whether it names them (:func:`names_person`,
for their export and erasure), and what it becomes once erased (:func:`redacted`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: What an erased outbox text becomes: the kind of message stays, its text goes.
ERASED = "erased"


#: the key of an outbox action that lists who the delivery names (recorded when queued)
NAMES = "names"


def _strings(value: Any) -> list[str]:
    """The string values held in a JSON value (never its keys)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def names_person(action: Mapping[str, Any], user_id: str, name: str) -> bool:
    """Whether an outbox action names ``user_id`` (whose display name is ``name``).

    A delivery queued with its :data:`NAMES` names exactly those people. One queued before
    they were recorded names them if their id is a whole token of one of its values (``<@U1>``
    but not ``U12``), or their display name a whole word of its text, with its case."""
    recorded = action.get(NAMES)
    if isinstance(recorded, list):
        return user_id in recorded
    token = re.compile(rf"(?<![\w-]){re.escape(user_id)}(?![\w-])")
    values = [v for k, v in action.items() if k != "type"]
    if any(token.search(s) for s in _strings(values)):
        return True
    said = action.get("text")
    if not name or not isinstance(said, str):
        return False
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", said) is not None


def redacted(action: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox action without its text: only its kind remains."""
    return {"type": action.get("type"), ERASED: True}
