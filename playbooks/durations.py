"""Durations in playbooks: ``90s``, ``30m``, ``2h``, ``3d``, ``1w``, combinable (``1d12h``).

Bounded: a duration is at most :data:`MAX_DURATION` (a year), so that adding one to any instant
a run meets can never overflow, and a typo such as ``99999999d`` is refused instead of stored.
"""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

#: The longest duration anything in a playbook or a command may last.
MAX_DURATION = timedelta(days=365)
#: Longer texts are not durations (and are not parsed at all).
MAX_TEXT = 32


def parse_duration(text: str, longest: timedelta = MAX_DURATION) -> timedelta:
    """Parse a duration of at most ``longest``; raises ValueError saying what is accepted."""
    cleaned = text.strip().lower().replace(" ", "")
    shown = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
    if len(cleaned) > MAX_TEXT or not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"{shown!r} is not a duration: write e.g. 90s, 30m, 2h, 3d, 1w or 1d12h")
    # whole seconds as Python integers first: they cannot overflow, a timedelta can
    seconds = sum(int(amount) * _SECONDS[unit] for amount, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise ValueError(f"{shown!r} must be longer than zero")
    if seconds > longest.total_seconds():
        raise ValueError(f"{shown!r} is too long: at most {_describe(longest)}")
    return timedelta(seconds=seconds)


def _describe(length: timedelta) -> str:
    """``365 days``, ``26 weeks``: the bound as people write it."""
    days = length.days
    if days and days % 7 == 0 and days < 365:
        return f"{days // 7} weeks ({days // 7}w)"
    return f"{days} days ({days}d)"
