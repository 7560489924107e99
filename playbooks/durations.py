"""Durations in playbooks: ``90s``, ``30m``, ``2h``, ``3d``, ``1w``, combinable (``1d12h``)."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raises ValueError with the accepted forms when it cannot."""
    cleaned = text.strip().lower().replace(" ", "")
    if not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a duration: write e.g. 90s, 30m, 2h, 3d, 1w or 1d12h")
    total = timedelta()
    for amount, unit in _PART.findall(cleaned):
        total += timedelta(**{_UNIT[unit]: int(amount)})
    if total <= timedelta():
        raise ValueError(f"{text!r} must be longer than zero")
    return total
