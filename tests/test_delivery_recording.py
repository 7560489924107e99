"""Recording outcomes survives database faults; bad rows never block a member's queue; a
graceful stop gives back what it has not started; renewals never deadlock with recording.

Database faults are injected at the repository boundary (the statement raises as the driver
would); everything else is the real worker on the test databases.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome
from storage.database import make_engine, upgrade
from storage.directory import Directory
from storage.outbox import Outbox
from tests.builders import T0, joined
from tests.conftest import PG_URL, Harness, reset_postgres, wait_for

MEMBERS = ("U-ann", "U-bob", "U-cid", "U-zed")


class TogetherSender:
    """Sends end together once ``together`` of them are under way (their outcomes form one
    batch); DMs to ``blocked`` answer that the member blocked the bot."""

    platform = "local"

    def __init__(self, together: int = 4, blocked: str | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.answered: list[str] = []
        self.blocked = blocked
        self._together = together
        self._waiting = 0
        self._gate = asyncio.Event()

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        user = str(getattr(action, "user_id", "?"))
        self._waiting += 1
        if self._waiting >= self._together:
            self._gate.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._gate.wait(), 1.0)
        self.answered.append(user)
        if user == self.blocked:
            return SendOutcome("blocked", error="member blocked the bot")
        self.sent.append((user, type(action).__name__))
        return SendOutcome("sent", platform_ref="x")


def fail_once(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[int]:
    """The first call of ``owner.name`` raises as the driver does on a lost connection."""
    real = getattr(owner, name)
    calls: list[int] = []

    async def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("statement", {}, Exception("connection lost"))
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return calls


async def send_everything(harness: Harness) -> None:
    for _ in range(4):
        await harness.worker.drain()
        harness.clock.advance(timedelta(seconds=16))  # any claim left behind has expired


async def test_a_failed_record_of_a_batch_is_retried_and_nothing_is_sent_twice(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = TogetherSender()
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": sender})
    await harness.seed()
    for member in MEMBERS:
        await harness.dispatcher.handle(joined(member))
    calls = fail_once(monkeypatch, Outbox, "settle")
    try:
        await send_everything(harness)
        assert len(calls) >= 2, "the record failed once, then went through"
        expected = {(m, kind) for m in MEMBERS for kind in ("SendDirectMessage", "AskQuestion")}
        assert set(sender.sent) == expected, "every message went out"
        assert len(sender.sent) == len(expected), "none of them twice"
        assert {(d.status, d.attempts) for d in await harness.deliveries()} == {("sent", 1)}
    finally:
        await harness.store.close()


async def test_one_outcome_that_cannot_be_recorded_does_not_drag_the_others_down(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = TogetherSender(blocked="U-zed")
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": sender})
    await harness.seed()
    for member in MEMBERS:
        await harness.dispatcher.handle(joined(member))
    calls = fail_once(monkeypatch, Directory, "mark_unreachable")
    try:
        await send_everything(harness)
        assert len(calls) >= 2, "marking the member failed once, then went through"
        others = [m for m in MEMBERS if m != "U-zed"]
        expected = {(m, kind) for m in others for kind in ("SendDirectMessage", "AskQuestion")}
        assert set(sender.sent) == expected, "the others' messages all went out"
        assert len(sender.sent) == len(expected), "none of them twice"
        assert sender.answered.count("U-zed") == 1, "the blocked member was tried once"
        by_member = {(d.recipient, d.status) for d in await harness.deliveries()}
        assert by_member == {*((m, "sent") for m in others), ("U-zed", "blocked")}
    finally:
        await harness.store.close()


async def test_an_unreadable_action_fails_with_a_reason_and_the_next_message_goes_out(
    harness: Harness,
) -> None:
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WorkspaceRef("local", "demo"))
        assert workspace is not None and workspace.id is not None
        broken = {"type": "AskQuestion", "user_id": "U-bob", "text": "q", "choices": [{"x": 1}]}
        following = act.action_to_dict(act.SendDirectMessage(user_id="U-bob", text="next"))
        for action in (broken, following):
            await tx.outbox.enqueue(
                workspace_id=workspace.id, action=action, recipient="U-bob", now=harness.clock()
            )
    await send_everything(harness)
    [bad, good] = await harness.deliveries()
    assert (bad.status, bad.attempts, bad.last_error) == ("failed", 1, "unreadable action")
    assert good.status == "sent"
    assert [m.text for m in harness.inbox.for_user("demo", "U-bob")] == ["next"]


class Hanging:
    platform = "local"

    def __init__(self) -> None:
        self.started = 0
        self.sent: list[str] = []
        self.gate = asyncio.Event()

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        self.started += 1
        await self.gate.wait()
        self.sent.append(str(getattr(action, "user_id", "?")))
        return SendOutcome("sent", platform_ref="x")


async def test_a_message_whose_send_kills_its_worker_every_time_is_dead_lettered(
    database_url: str,
) -> None:
    hanging = Hanging()
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": hanging})
    await harness.seed()
    await harness.dispatcher.handle(joined("U-bob"))
    try:
        for crash in range(1, 4):  # max_attempts is 3: three workers die mid-send
            worker = DeliveryWorker(harness.store, {"local": hanging}, harness.clock)
            running = asyncio.create_task(worker.run(idle_poll=0.05))
            await wait_for(lambda n=crash: _true(hanging.started == n))  # type: ignore[misc]
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            harness.clock.advance(timedelta(seconds=16))
        [welcome, question] = await harness.deliveries()
        assert (welcome.status, welcome.attempts) == ("in_flight", 3)
        restarted = DeliveryWorker(
            harness.store, {"local": _Accepting()}, harness.clock, RetryPolicy(max_attempts=3)
        )
        for _ in range(3):
            await restarted.drain()
        [welcome, question] = await harness.deliveries()
        assert welcome.status == "dead" and "abandoned" in (welcome.last_error or "")
        assert question.status == "sent", "the member's next message went out"
    finally:
        hanging.gate.set()
        await harness.store.close()


class _Accepting:
    platform = "local"

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        return SendOutcome("sent", platform_ref="x")


async def _true(value: bool) -> bool:
    return value


async def test_stop_gives_back_claims_not_started_at_once(database_url: str) -> None:
    hanging = Hanging()
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": hanging})
    await harness.seed()
    for member in MEMBERS:
        await harness.dispatcher.handle(joined(member))
    worker = DeliveryWorker(
        harness.store, {"local": hanging}, harness.clock, RetryPolicy(), concurrency=2
    )
    running = asyncio.create_task(worker.run(idle_poll=0.05))
    try:
        await wait_for(lambda: _true(hanging.started == 2))
        assert worker.in_flight == 4, "two sending, two claimed waiting for a slot"
        worker.stop()

        async def given_back() -> bool:
            welcomes = [d for d in await harness.deliveries() if d.action["type"] != "AskQuestion"]
            return sorted(d.status for d in welcomes) == [
                "in_flight",
                "in_flight",
                "pending",
                "pending",
            ]

        await wait_for(given_back, within=3)  # the sends under way still hang
        assert not running.done()
        started = {d.recipient for d in await harness.deliveries() if d.status == "in_flight"}
        hanging.gate.set()
        await asyncio.wait_for(running, 5)
        rows = await harness.deliveries()
        assert {d.recipient for d in rows if d.status == "sent"} == started
        assert sorted(hanging.sent) == sorted(started), "only the started ones went out"
        given = [d for d in rows if d.recipient not in started]
        assert {(d.status, d.attempts) for d in given} == {("pending", 0)}, "no attempt spent"
    finally:
        hanging.gate.set()
        await harness.store.close()


@pytest.mark.skipif(PG_URL is None, reason="row locks: PostgreSQL only (SQLite has one writer)")
async def test_a_renewal_never_waits_for_rows_whose_outcome_is_being_recorded() -> None:
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    engine = make_engine(PG_URL)
    await upgrade(engine)
    await engine.dispose()
    harness = Harness.create(PG_URL, ManualClock(T0))
    store = harness.store
    await harness.seed()
    for member in MEMBERS:
        await harness.dispatcher.handle(joined(member))
    try:
        async with store.transaction() as tx:
            claimed = await tx.outbox.claim(harness.clock(), 10, timedelta(seconds=15))
        claims = [(d.id or 0, d.claim) for d in claimed]
        recording = asyncio.Event()
        recorded = asyncio.Event()

        async def recorder() -> None:  # holds the locks of half the rows, as a recorder does
            async with store.transaction() as tx:
                await tx.outbox.get_many([key for key, _ in claims[:2]], lock=True)
                recording.set()
                await recorded.wait()

        holding = asyncio.create_task(recorder())
        await recording.wait()
        later = harness.clock() + timedelta(seconds=60)
        try:
            async with store.transaction() as tx:
                renewed = await asyncio.wait_for(tx.outbox.renew(claims, later), 5)
        finally:
            recorded.set()
            await holding
        assert renewed == len(claims) - 2, "the rows not being recorded were renewed"
        leases = {d.id: d.lease_until for d in await harness.deliveries()}
        assert all(leases[key] == later for key, _ in claims[2:])
    finally:
        await store.close()


class _Deadlock(Exception):
    sqlstate = "40P01"  # as asyncpg reports it, through SQLAlchemy's adapted error


async def test_a_send_whose_claim_check_was_a_deadlock_victim_goes_out_at_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Directory.member
    calls: list[int] = []

    async def victim(self: Directory, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT member", {}, _Deadlock("deadlock detected"))
        return await real(self, *args, **kwargs)

    await harness.dispatcher.handle(joined("U-bob"))
    monkeypatch.setattr(Directory, "member", victim)
    await harness.worker.drain()
    assert [(d.status, d.attempts) for d in await harness.deliveries()] == [
        ("sent", 1),
        ("sent", 1),
    ], "run again at once, not left to a lapsed lease and a second attempt"
    assert len(harness.inbox.for_user("demo", "U-bob")) == 2
