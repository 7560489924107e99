"""Outbound pacing shared by the platforms: token buckets per key that also honour Retry-After.

One process's view: several processes each pace themselves, and the platform's 429s (honoured
here and by the outbox) catch the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    rate: float
    burst: float
    tokens: float
    stamp: float
    paused_until: float = 0.0


class Pacer:
    """``await pacer.wait(key, rate, burst)`` → seconds to come back later, or 0 once it may go.

    Short waits (up to ``max_wait``) are slept here; longer ones — a Retry-After pause, a
    saturated bucket — are returned so the caller reschedules instead of blocking its worker.
    """

    def __init__(
        self,
        max_wait: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep

    @property
    def clock(self) -> Callable[[], float]:
        """The clock it paces by (seconds)."""
        return self._clock

    async def sleep(self, seconds: float) -> None:
        """Sleep on its clock (a test's simulated time passes)."""
        await self._sleep(seconds)  # type: ignore[misc]

    def _bucket(self, key: tuple[str, ...], rate: float, burst: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate, burst, burst, self._clock())
        else:  # a key first seen through pause() gets its real budget now
            bucket.rate, bucket.burst = rate, burst
        return bucket

    async def wait(self, key: tuple[str, ...], rate: float, burst: float = 1.0) -> float:
        bucket = self._bucket(key, rate, burst)
        now = self._clock()
        if bucket.paused_until > now:
            return bucket.paused_until - now
        bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        needed = (1 - bucket.tokens) / bucket.rate
        if needed > self._max_wait:
            return needed
        bucket.tokens -= 1  # reserve it, then sleep until it exists
        await self._sleep(needed)  # type: ignore[misc]
        return 0.0

    def paused(self, key: tuple[str, ...]) -> float:
        """Seconds left of a Retry-After pause on ``key`` (0: not paused)."""
        bucket = self._buckets.get(key)
        return max(0.0, bucket.paused_until - self._clock()) if bucket is not None else 0.0

    def pause(self, key: tuple[str, ...], seconds: float) -> None:
        """The platform said Retry-After: nothing goes out on ``key`` until then."""
        bucket = self._buckets.get(key)
        until = self._clock() + max(0.0, seconds)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(1.0, 1.0, 0.0, self._clock())
        bucket.paused_until = max(bucket.paused_until, until)
