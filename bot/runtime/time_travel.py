"""Time travel for the local playground: a clock that can be moved forward, and the jump.

Only a process serving the local platform alone gets it (see ``bot.app.build``): with Slack or
Teams configured the bot keeps real time. Every timer is a time stored in the database and
compared with the clock, so moving the clock forward and running the scheduler's passes makes
everything that came due happen, as it would have in real time. The jump goes in steps no
longer than the scheduler's grace, a pass after each: a ritual scheduled within a jumped-over
day starts (late by less than the grace) instead of being recorded as missed.

The offset lives in the process: after a restart the playground is back at real time, and
what was scheduled in its future waits for real time to get there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.vocabulary.ports import Clock

#: The furthest one jump goes.
MAX_JUMP = timedelta(days=31)


class OffsetClock:
    """Another clock, moved forward by an offset that only grows."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._base() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self.offset += delta
        return self()


class TimeTravel:
    """Moves an :class:`OffsetClock` forward, a scheduler pass at each step."""

    def __init__(
        self, clock: OffsetClock, tick: Callable[[], Awaitable[object]], step: timedelta
    ) -> None:
        self.clock = clock
        self._tick = tick
        self._step = max(step, timedelta(minutes=1))
        self._lock = asyncio.Lock()

    async def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (0 < delta ≤ MAX_JUMP); returns the new time."""
        if delta <= timedelta(0) or delta > MAX_JUMP:
            raise ValueError(f"a jump is more than 0 and at most {MAX_JUMP.days} days")
        async with self._lock:  # two clicks: one jump after the other
            left = delta
            while left > timedelta(0):
                step = min(left, self._step)
                self.clock.advance(step)
                left -= step
                await self._tick()
            return self.clock()
