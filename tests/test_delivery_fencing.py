"""A claim's writes are fenced by a number no other claim of the row ever had: a worker whose
claim ended (deferred, given back) and whose write comes late — retried after a commit whose
answer was lost — changes nothing of the claim another worker took since, even though a
deferral gave its attempt back and both claims have the same attempt number (the real
outbox and worker on the test databases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome
from storage.outbox import Outbox, Settled
from storage.store import Store, Transaction
from tests.builders import T0
from tests.conftest import Harness
from tests.test_delivery_group_commit import queue_dms

LEASE = timedelta(seconds=15)


class Paced:
    """Worker A's platform: every send waits for the pace (deferred, no attempt spent)."""

    platform = "local"

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        return SendOutcome("deferred", retry_after=1.0, error="paced")


class Gated:
    """Worker B's platform: a send starts, then goes through once the gate opens."""

    platform = "local"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.received: list[str] = []

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        self.started.set()
        await self.gate.wait()
        self.received.append(str(getattr(action, "user_id", "?")))
        return SendOutcome("sent", platform_ref=f"D1:{len(self.received)}")


class AnswerLost:
    """Worker A's database: the first transaction that records a deferral commits, then A
    hears a lost connection (the link dropped while COMMIT's answer was on its way) — and
    before A hears it, ``meanwhile`` runs."""

    def __init__(self, store: Store, meanwhile: Callable[[], Awaitable[None]]) -> None:
        self._store = store
        self._meanwhile = meanwhile
        self.deferring: set[int] = set()  # the outboxes (by id) that recorded a deferral
        self.lost = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._store.transaction() as tx:
            yield tx
        if id(tx.outbox) in self.deferring and not self.lost:
            self.lost += 1
            await self._meanwhile()
            raise OperationalError("COMMIT", {}, Exception("connection lost"))


def spy_on_deferrals(monkeypatch: pytest.MonkeyPatch, database: AnswerLost) -> None:
    real = Outbox.settle

    async def spying(self: Outbox, outcomes: Sequence[Settled]) -> Any:
        if any(o.status == "pending" for o in outcomes):
            database.deferring.add(id(self))
        return await real(self, outcomes)

    monkeypatch.setattr(Outbox, "settle", spying)


async def test_a_deferral_recorded_again_after_its_lost_commit_never_resends_the_next_claim(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(T0)
    harness = Harness.create(database_url, clock)
    await harness.seed()
    [member] = await queue_dms(harness, 1)
    policy = RetryPolicy(max_attempts=3)
    gated = Gated()
    worker_b = DeliveryWorker(harness.store, {"local": gated}, clock, policy, lease=LEASE)
    sends_b: list[asyncio.Task[int]] = []

    async def worker_b_claims_it_again() -> None:
        clock.advance(timedelta(seconds=2))  # the deferral's wait (1 s, a little jitter) is over
        sends_b.append(asyncio.create_task(worker_b.drain()))
        await asyncio.wait_for(gated.started.wait(), 15)  # B's send is under way

    database = AnswerLost(harness.store, worker_b_claims_it_again)
    spy_on_deferrals(monkeypatch, database)
    worker_a = DeliveryWorker(cast(Store, database), {"local": Paced()}, clock, policy, lease=LEASE)
    try:
        await worker_a.drain()  # deferred, recorded, "lost", recorded again
        assert database.lost == 1
        [row] = await harness.deliveries()
        assert (row.status, row.attempts) == ("in_flight", 1), "B's claim is untouched"
        gated.gate.set()
        await sends_b[0]
        for _ in range(3):  # whatever is left due goes out
            clock.advance(timedelta(seconds=LEASE.total_seconds() + 5))
            await worker_b.drain()
        assert gated.received == [member], "the member got the message once"
        [row] = await harness.deliveries()
        assert (row.status, row.attempts) == ("sent", 1), "B's send recorded, on one attempt"
    finally:
        gated.gate.set()
        for task in sends_b:
            task.cancel()
        await asyncio.gather(*sends_b, return_exceptions=True)
        await harness.store.close()


async def _stale_settle(outbox: Outbox, claim: tuple[int, int], now: datetime) -> object:
    key, number = claim
    return await outbox.settle([Settled(key, number, "sent", None, sent_at=now, platform_ref="A")])


async def _stale_release(outbox: Outbox, claim: tuple[int, int], now: datetime) -> object:
    return await outbox.release([claim])


async def _stale_renew(outbox: Outbox, claim: tuple[int, int], now: datetime) -> object:
    return await outbox.renew([claim], now + timedelta(minutes=5))


async def _stale_hold(outbox: Outbox, claim: tuple[int, int], now: datetime) -> object:
    return await outbox.hold([claim], now + timedelta(minutes=5))


#: A's late writes under its old claim, and what each answers when it touches nothing
STALE = {
    "settle": (_stale_settle, set()),
    "release": (_stale_release, 0),
    "renew": (_stale_renew, 0),
    "hold": (_stale_hold, set()),
}


@pytest.mark.parametrize("write", list(STALE))
@pytest.mark.parametrize("ended", ["deferred", "given back"])
async def test_a_stale_claims_late_write_changes_nothing_of_the_next_claim(
    database_url: str, ended: str, write: str
) -> None:
    harness = Harness.create(database_url, ManualClock(T0))
    await harness.seed()
    await queue_dms(harness, 1)
    now = harness.clock()
    store = harness.store
    try:
        async with store.transaction() as tx:  # worker A claims
            [a] = await tx.outbox.claim(now, 10, LEASE)
        async with store.transaction() as tx:  # its claim ends without spending an attempt
            if ended == "deferred":
                deferral = Settled(
                    a.id or 0, a.claim, "pending", "paced", a.attempts - 1, next_attempt_at=now
                )
                assert await tx.outbox.settle([deferral]) == {a.id}
            else:
                assert await tx.outbox.release([(a.id or 0, a.claim)]) == 1
        async with store.transaction() as tx:  # worker B claims it again
            [b] = await tx.outbox.claim(now, 10, LEASE)
        assert (b.id, b.attempts) == (a.id, a.attempts), "the same attempt number as A's"
        late, untouched = STALE[write]
        async with store.transaction() as tx:  # A's late write, under its old claim
            assert await late(tx.outbox, (a.id or 0, a.claim), now) == untouched
        [row] = await harness.deliveries()
        assert (row.status, row.attempts, row.claim) == ("in_flight", b.attempts, b.claim)
        assert (row.lease_until, row.sent_at, row.platform_ref) == (now + LEASE, None, None)
        async with store.transaction() as tx:  # B's claim is still B's
            assert await tx.outbox.hold([(b.id or 0, b.claim)], now + LEASE) == {b.id}
            mine = Settled(b.id or 0, b.claim, "sent", None, sent_at=now, platform_ref="B")
            assert await tx.outbox.settle([mine]) == {b.id}
        [row] = await harness.deliveries()
        assert (row.status, row.attempts, row.platform_ref) == ("sent", 1, "B")
    finally:
        await harness.store.close()


async def test_each_claim_takes_a_new_number_and_keeps_it_whatever_its_outcome(
    harness: Harness,
) -> None:
    await queue_dms(harness, 1)
    now = harness.clock()
    numbers: list[tuple[int, int]] = []
    for _ in range(3):  # claimed, deferred; claimed, given back; claimed
        async with harness.store.transaction() as tx:
            [claimed] = await tx.outbox.claim(now, 10, LEASE)
        numbers.append((claimed.claim, claimed.attempts))
        async with harness.store.transaction() as tx:
            if len(numbers) == 1:
                deferral = Settled(claimed.id or 0, claimed.claim, "pending", "paced", 0)
                await tx.outbox.settle([deferral])
            elif len(numbers) == 2:
                await tx.outbox.release([(claimed.id or 0, claimed.claim)])
    assert numbers == [(1, 1), (2, 1), (3, 1)], "a new claim number each time, one attempt"
