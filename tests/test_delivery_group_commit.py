"""Outcomes are committed in groups, and a send keeps its slot until its outcome is durable:
sends that end together are recorded in one transaction, each once; a worker that dies before
committing sends again, after a restart, at most the sends it had in flight — never what it
had already recorded (the real worker on the test databases)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome
from storage.outbox import Outbox, Outgoing, Settled
from tests.builders import T0, WORKSPACE
from tests.conftest import Harness, wait_for
from tests.test_delivery_recording import TogetherSender

DMS = 12
SLOTS = 4


class CountingSender:
    """Takes every DM at once and counts what each member received."""

    platform = "local"

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        self.received[str(getattr(action, "user_id", "?"))] += 1
        return SendOutcome("sent", platform_ref=f"D1:{sum(self.received.values())}")


async def queue_dms(harness: Harness, n: int = DMS) -> list[str]:
    members = [f"U-{i:02d}" for i in range(n)]
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WORKSPACE, harness.clock(), "Demo")
        assert workspace.id is not None
        outgoing = [
            Outgoing(act.action_to_dict(act.SendDirectMessage(user_id=m, text="Bonjour")), m)
            for m in members
        ]
        await tx.outbox.enqueue_all(outgoing, workspace_id=workspace.id, now=harness.clock())
    return members


def spy_on_settle(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The deliveries each call of ``Outbox.settle`` recorded, call by call."""
    real = Outbox.settle
    calls: list[list[int]] = []

    async def spying(self: Outbox, outcomes: Sequence[Settled]) -> Any:
        recorded = await real(self, outcomes)
        calls.append(sorted(recorded))
        return recorded

    monkeypatch.setattr(Outbox, "settle", spying)
    return calls


async def test_sends_that_end_together_are_recorded_in_one_transaction_each_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = TogetherSender(together=4)
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": sender})
    await harness.seed()
    members = await queue_dms(harness, 4)
    calls = spy_on_settle(monkeypatch)
    try:
        await harness.worker.drain()
        assert sorted(user for user, _ in sender.sent) == members, "each sent once"
        rows = await harness.deliveries()
        assert {(d.status, d.attempts) for d in rows} == {("sent", 1)}
        assert calls == [sorted(d.id or 0 for d in rows)], "one transaction recorded all four"
    finally:
        await harness.store.close()


async def test_a_stale_claim_records_nothing_and_the_others_of_its_batch_are_recorded(
    database_url: str,
) -> None:
    harness = Harness.create(database_url, ManualClock(T0))
    await harness.seed()
    await queue_dms(harness, 3)
    try:
        async with harness.store.transaction() as tx:
            claimed = await tx.outbox.claim(harness.clock(), 10, timedelta(seconds=15))
        stale, *mine = claimed
        async with harness.store.transaction() as tx:  # another worker took the first over
            await tx.outbox.release([(stale.id or 0, stale.claim)])
        now = harness.clock()
        async with harness.store.transaction() as tx:
            recorded = await tx.outbox.settle(
                [Settled(d.id or 0, d.claim, "sent", None, sent_at=now) for d in claimed]
            )
        assert recorded == {d.id for d in mine}
        statuses = {d.id: d.status for d in await harness.deliveries()}
        assert statuses == {stale.id: "pending", **{d.id: "sent" for d in mine}}
    finally:
        await harness.store.close()


async def test_a_crash_before_outcomes_are_committed_resends_at_most_the_sends_in_flight(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = CountingSender()
    clock = ManualClock(T0)
    harness = Harness.create(database_url, clock, senders={"local": sender})
    await harness.seed()
    members = await queue_dms(harness)
    real = Outbox.settle
    committed: list[int] = []
    never = asyncio.Event()

    async def first_batch_only(self: Outbox, outcomes: Sequence[Settled]) -> Any:
        if committed:  # the database stops answering: outcomes are never committed
            await never.wait()
        recorded = await real(self, outcomes)
        committed.extend(recorded)
        return recorded

    monkeypatch.setattr(Outbox, "settle", first_batch_only)
    store = harness.store
    first = DeliveryWorker(store, {"local": sender}, clock, concurrency=SLOTS)
    running = asyncio.create_task(first.run(idle_poll=0.05))
    try:
        await wait_for(lambda: _stuck(sender, committed))
        await asyncio.sleep(0.2)  # nothing more goes out while every slot waits for a commit
        sent_before_crash = sum(sender.received.values())
        running.cancel()  # the process dies
        with contextlib.suppress(asyncio.CancelledError):
            await running
        monkeypatch.setattr(Outbox, "settle", real)
        clock.advance(timedelta(seconds=16))  # its leases lapse
        second = DeliveryWorker(store, {"local": sender}, clock, RetryPolicy(), concurrency=SLOTS)
        await second.drain()
        assert sorted(sender.received) == members, "everyone got their message"
        twice = [m for m, n in sender.received.items() if n > 1]
        in_flight = sent_before_crash - len(committed)
        assert 0 < len(twice) == in_flight <= SLOTS, "only the sends whose outcome was lost"
        assert sent_before_crash < DMS, "the worker stopped sending while outcomes waited"
        rows = await harness.deliveries()
        assert {d.status for d in rows} == {"sent"}
        assert not {d.id for d in rows if d.recipient in twice} & set(committed)
    finally:
        never.set()
        await store.close()


async def _stuck(sender: CountingSender, committed: list[int]) -> bool:
    """Some outcomes committed, and sends under way after them."""
    return bool(committed) and sum(sender.received.values()) > len(committed)
