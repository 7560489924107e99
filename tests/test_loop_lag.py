"""The event loop's lag (bot/runtime/loop_lag.py): how late a sleeper woke, in /metrics."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.runtime.loop_lag import watch_loop_lag
from tests.conftest import LiveServer, wait_for
from tests.test_metrics import sample, scrape


async def test_lag_is_how_much_later_than_asked_each_sleep_ended() -> None:
    now = [100.0]
    ends = iter([0.1, 0.35, 0.1])  # on time, a quarter of a second late, on time
    observed: list[float] = []

    async def sleep(seconds: float) -> None:
        assert seconds == 0.1
        try:
            now[0] += next(ends)
        except StopIteration:
            raise asyncio.CancelledError from None

    with pytest.raises(asyncio.CancelledError):
        await watch_loop_lag(observed.append, 0.1, clock=lambda: now[0], sleep=sleep)
    assert observed == pytest.approx([0.0, 0.25, 0.0])


def late(exposition: str) -> float:
    """How many looks found the loop more than a quarter of a second late."""
    total = sample(exposition, "animateur_event_loop_lag_seconds_count") or 0.0
    within = sample(exposition, "animateur_event_loop_lag_seconds_bucket", le="0.25") or 0.0
    return total - within


async def test_a_callback_that_holds_the_loop_shows_in_the_served_metrics(
    live_server: LiveServer,
) -> None:
    async def looked() -> bool:
        return bool(sample(await scrape(live_server), "animateur_event_loop_lag_seconds_count"))

    await wait_for(looked)
    before = late(await scrape(live_server))

    # a callback holding the loop 0.6 s: the watcher wakes at least half a second late
    asyncio.get_running_loop().call_soon(time.sleep, 0.6)

    async def seen() -> bool:
        return late(await scrape(live_server)) > before

    await wait_for(seen)
