"""Time as a dependency: the real UTC clock, or a manual one for tests and simulations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.vocabulary.ports import Clock

__all__ = ["Clock", "ManualClock", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now
