"""What a time-travel request asks for: ``{"by": "1h"}`` or ``{"to": "monday 09:30"}``."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_BY = re.compile(r"^\s*(\d{1,4})\s*(m|min|h|d)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
_TO = re.compile(r"^\s*(?:next\s+)?([a-z]+)\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class BadJump(ValueError):
    """The request names no jump we can make; the message says what to send."""


def jump(body: Any, now: datetime) -> timedelta:
    """How far forward ``body`` asks to go from ``now``."""
    if not isinstance(body, dict) or ("by" in body) == ("to" in body):
        raise BadJump(
            'give exactly one of "by" (e.g. "1h", "1d", "30m") or "to" (e.g. "monday 09:30")'
        )
    if "by" in body:
        return _by(body["by"])
    return _to(body["to"], body.get("timezone") or "UTC", now)


def _by(value: Any) -> timedelta:
    found = _BY.match(value) if isinstance(value, str) else None
    if found is None:
        raise BadJump(f'"by" must be a number and a unit, m, h or d ("1h", "1d"), got {value!r}')
    amount, unit = int(found.group(1)), _UNITS[found.group(2).lower()]
    return timedelta(**{unit: amount})


def _to(value: Any, timezone: Any, now: datetime) -> timedelta:
    found = _TO.match(value) if isinstance(value, str) else None
    day = found.group(1).lower() if found else ""
    if found is None or day not in DAYS:
        raise BadJump(f'"to" must be a weekday and a time ("monday 09:30"), got {value!r}')
    hour, minute = int(found.group(2)), int(found.group(3))
    if hour > 23 or minute > 59:
        raise BadJump(f'"to" names no time of day: {value!r}')
    try:
        zone = ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise BadJump(
            f'"timezone" must be an IANA timezone ("Europe/Paris"), got {timezone!r}'
        ) from None
    local = now.astimezone(zone)
    ahead = (DAYS.index(day) - local.weekday()) % 7
    target = datetime.combine(local.date() + timedelta(days=ahead), time(hour, minute), zone)
    if target <= local:
        target = datetime.combine(target.date() + timedelta(days=7), time(hour, minute), zone)
    return target - now
