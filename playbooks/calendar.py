"""Working time: when a ritual may talk to someone, in their own timezone.

A calendar is a timezone, daily working hours, working weekdays and holidays. Rituals send only
inside it: a wake-up that falls outside moves to the start of the next working period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = "09:00-18:00"
DEFAULT_DAYS = (0, 1, 2, 3, 4)
_HOURS = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")
_AT = re.compile(r"^(?:(mon|tue|wed|thu|fri|sat|sun)\s+)?([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hours(text: str) -> tuple[time, time]:
    """``"09:00-18:00"`` → (09:00, 18:00); raises ValueError on anything else."""
    found = _HOURS.match(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a working-hours range: write e.g. 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start = time(h1, m1)
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"{text!r}: the end of the working day must come after its start")
    return start, end


def parse_at(text: str) -> tuple[int | None, time]:
    """``"fri 15:00"`` → (4, 15:00); ``"15:00"`` → (None, 15:00) meaning the next day it comes."""
    found = _AT.match(text.strip().lower())
    if not found:
        raise ValueError(f"{text!r} is not a moment of the week: write e.g. 'fri 15:00' or '09:30'")
    day, hour, minute = found.groups()
    return (WEEKDAYS.index(day) if day else None), time(int(hour), int(minute))


def valid_zone(name: str | None) -> ZoneInfo | None:
    """The timezone called ``name``, or None when there is none (``Mars/Olympus``, ``America``,
    ``../etc``: names come from platforms and people)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The named timezone, else ``fallback``'s, else UTC."""
    return valid_zone(name) or valid_zone(fallback) or ZoneInfo("UTC")


def zone_name(name: str | None, fallback: str) -> str:
    """``name`` when it is a known timezone, else ``fallback``: the zone a member's rituals
    follow."""
    return zone(name, fallback).key


@dataclass(frozen=True, slots=True)
class Calendar:
    timezone: str = "UTC"
    hours: str = DEFAULT_HOURS
    workdays: tuple[int, ...] = DEFAULT_DAYS
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def next_open(self, at: datetime) -> datetime:
        """``at`` when it is working time, else the start of the next working period."""
        start, end = parse_hours(self.hours)
        local = at.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day) and start <= local.time() < end:
            return at
        if not (local.time() < start and self.is_working_day(day)):
            day += timedelta(days=1)
        for _ in range(366):
            if self.is_working_day(day):
                return datetime.combine(day, start, self.tz).astimezone(at.tzinfo)
            day += timedelta(days=1)
        return at  # no working day in a year: the calendar is unusable, don't hold messages

    def add_working(self, at: datetime, length: timedelta) -> datetime:
        """The moment ``length`` of working time after ``at``: only working hours of working
        days count (4h from Friday 17:00 in 09:00-18:00 is Monday 12:00); always a moment of
        working time (4h from 14:00 is the next working morning, not 18:00 sharp)."""
        _, end = parse_hours(self.hours)
        left, moment = length, self.next_open(at)
        for _ in range(800):  # a year of working days, at most
            local = moment.astimezone(self.tz)
            closes = datetime.combine(local.date(), end, self.tz)
            if local + left < closes:  # at the very close: the next working period's start
                return (local + left).astimezone(at.tzinfo)
            left -= closes - local
            moment = self.next_open(closes.astimezone(at.tzinfo))
            if moment <= closes:  # no working day ahead: the calendar is unusable
                return moment + left
        return moment + left

    def last_working_day_before(self, moment: datetime, after: datetime) -> datetime:
        """``moment``, or the same time on the closest working day before it (still later than
        ``after``) when it falls on a holiday or a weekend; else ``moment`` unchanged."""
        local = moment.astimezone(self.tz)
        for back in range(7):
            day = local.date() - timedelta(days=back)
            candidate = datetime.combine(day, local.time(), self.tz).astimezone(moment.tzinfo)
            if candidate <= after:
                break
            if self.is_working_day(day):
                return candidate
        return moment

    def next_at(self, when: str, after: datetime) -> datetime:
        """The first ``when`` (``"fri 15:00"``, ``"09:30"``) strictly after ``after``, local."""
        weekday, moment = parse_at(when)
        local = after.astimezone(self.tz)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if weekday is not None and day.weekday() != weekday:
                continue
            candidate = datetime.combine(day, moment, self.tz)
            if candidate > local:
                return candidate.astimezone(after.tzinfo)
        raise AssertionError("a weekday comes back within eight days")
