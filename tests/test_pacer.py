"""The outbound pacer: token buckets per key, Retry-After pauses, no blocking on long waits."""

from __future__ import annotations

from adapters.limits import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_a_burst_goes_then_the_rate_is_kept_by_short_sleeps() -> None:
    time = FakeTime()
    pacer = Pacer(max_wait=2.0, clock=time, sleep=time.sleep)
    waits = [
        await pacer.wait(("slack", "T1", "chat.postMessage"), rate=2.0, burst=3) for _ in range(5)
    ]
    assert waits == [0.0] * 5
    assert time.slept == [0.5, 0.5], "after the burst of 3, one every half second"


async def test_keys_do_not_share_budgets() -> None:
    time = FakeTime()
    pacer = Pacer(clock=time, sleep=time.sleep)
    assert await pacer.wait(("T1", "m"), rate=1.0) == 0.0
    assert await pacer.wait(("T2", "m"), rate=1.0) == 0.0
    assert time.slept == []


async def test_a_long_wait_is_returned_instead_of_slept() -> None:
    time = FakeTime()
    pacer = Pacer(max_wait=2.0, clock=time, sleep=time.sleep)
    assert await pacer.wait(("T1", "views.publish"), rate=0.1) == 0.0
    assert await pacer.wait(("T1", "views.publish"), rate=0.1) == 10.0
    assert time.slept == []


async def test_retry_after_pauses_the_key_until_then() -> None:
    time = FakeTime()
    pacer = Pacer(clock=time, sleep=time.sleep)
    pacer.pause(("T1", "chat.postMessage"), 30)
    assert await pacer.wait(("T1", "chat.postMessage"), rate=10, burst=10) == 30.0
    time.now = 30.0
    assert await pacer.wait(("T1", "chat.postMessage"), rate=10, burst=10) == 0.0


async def test_after_a_retry_after_pause_the_key_gets_its_own_budget_back() -> None:
    time = FakeTime()
    pacer = Pacer(clock=time, sleep=time.sleep)
    pacer.pause(("T1", "chat.update"), 30)  # a 429 before anything was sent on this key
    assert pacer.paused(("T1", "chat.update")) == 30.0
    time.now = 30.0
    assert pacer.paused(("T1", "chat.update")) == 0.0
    waits = [await pacer.wait(("T1", "chat.update"), rate=10, burst=10) for _ in range(5)]
    assert waits == [0.0] * 5
    assert time.slept == [], "the burst of 10 a second applies, not a stand-in of 1 a second"
