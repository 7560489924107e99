"""The outbox worker: retries, Retry-After, permanent failures, blocked members, opt-outs,
crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from bot.runtime.clock import ManualClock
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome
from tests.builders import T0, joined
from tests.conftest import Harness


class ScriptedSender:
    """A platform whose answers to DMs to ``target`` are scripted in order; it accepts the
    rest (sends to several recipients run concurrently: their order is not fixed)."""

    platform = "local"

    def __init__(self, target: str = "U-bob") -> None:
        self.target = target
        self.script: list[SendOutcome | Exception] = []
        self.sent: list[act.Action] = []

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        scripted = (
            isinstance(action, act.SendDirectMessage)
            and action.user_id == self.target
            and self.script
        )
        outcome = self.script.pop(0) if scripted else SendOutcome("sent", platform_ref="x")
        if isinstance(outcome, Exception):
            raise outcome
        if outcome.status == "sent":
            self.sent.append(action)
        return outcome


@pytest_asyncio.fixture
async def scripted(database_url: str) -> AsyncIterator[tuple[Harness, ScriptedSender]]:
    sender = ScriptedSender()
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": sender})
    await harness.seed()
    yield harness, sender
    await harness.store.close()


async def test_retry_after_is_honoured_then_the_message_goes_once(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("retry", retry_after=30, error="ratelimited")]
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.worker.drain()
    first = (await harness.deliveries())[0]
    assert first.status == "pending"
    assert T0 + timedelta(seconds=30) <= first.next_attempt_at <= T0 + timedelta(seconds=36)
    harness.clock.advance(timedelta(seconds=29))
    await harness.worker.drain()
    assert sender.sent == [], "the question waits behind the welcome: one recipient, in order"
    harness.clock.advance(timedelta(seconds=7))
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["sent", "sent"]
    assert [type(a).__name__ for a in sender.sent] == ["SendDirectMessage", "AskQuestion"]


async def test_transient_failures_dead_letter_after_max_attempts(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("retry", error="http 503")] * 3
    await harness.dispatcher.handle(joined("U-bob"))
    for _ in range(3):
        await harness.worker.drain()
        harness.clock.advance(timedelta(minutes=10))
    first = (await harness.deliveries())[0]
    assert (first.status, first.attempts, first.last_error) == ("dead", 3, "http 503")


async def test_a_sender_crash_is_retried_not_lost(scripted: tuple[Harness, ScriptedSender]) -> None:
    harness, sender = scripted
    sender.script = [ConnectionResetError("peer reset")]
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.worker.drain()
    harness.clock.advance(timedelta(minutes=1))
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["sent", "sent"]


async def test_other_recipients_are_not_held_up_by_one_retry(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("retry", retry_after=60, error="ratelimited")]
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(joined("U-alice"))
    await harness.worker.drain()
    assert [a.user_id for a in sender.sent] == ["U-alice", "U-alice"]  # type: ignore[union-attr]


async def test_permanent_failure_is_not_retried(scripted: tuple[Harness, ScriptedSender]) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("permanent", error="channel_not_found")]
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.worker.drain()
    harness.clock.advance(timedelta(hours=1))
    await harness.worker.drain()
    statuses = [(d.status, d.attempts) for d in await harness.deliveries()]
    assert statuses == [("failed", 1), ("sent", 1)]


async def test_a_member_who_blocked_the_bot_gets_nothing_more(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("blocked", error="user blocked the bot")]
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["blocked", "blocked"]
    assert sender.sent == []
    async with harness.store.transaction() as tx:
        bob = await tx.directory.member(1, "U-bob")
    assert bob is not None and bob.unreachable


async def test_opt_out_is_honoured_at_send_time(scripted: tuple[Harness, ScriptedSender]) -> None:
    harness, sender = scripted
    await harness.dispatcher.handle(joined("U-bob"))
    async with harness.store.transaction() as tx:
        bob = await tx.directory.member(1, "U-bob")
        assert bob is not None
        bob.opted_out = ["welcome"]
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["skipped", "skipped"]
    assert sender.sent == []


async def test_a_worker_that_died_mid_send_is_taken_over_after_its_lease(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    await harness.dispatcher.handle(joined("U-bob"))
    async with harness.store.transaction() as tx:  # a worker claims, then dies
        claimed = await tx.outbox.claim(harness.clock(), 10, timedelta(seconds=120))
    assert len(claimed) == 1, "one recipient's messages go one at a time"
    await harness.worker.drain()
    assert sender.sent == [], "the lease still protects the dead worker's claim"
    harness.clock.advance(timedelta(seconds=121))
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["sent", "sent"]
    assert [type(a).__name__ for a in sender.sent] == ["SendDirectMessage", "AskQuestion"]


async def test_refused_credentials_hold_messages_until_they_work_again(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("unauthorized", error="token_revoked")]
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.worker.drain()
    assert [(d.status, d.attempts) for d in await harness.deliveries()] == [
        ("pending", 0),
        ("pending", 0),
    ], "held, not lost, and no attempt spent"
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace_by_id(1)
    assert workspace is not None and workspace.status == "revoked"
    harness.clock.advance(timedelta(minutes=16))  # e.g. the app was installed again
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["sent", "sent"]
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace_by_id(1)
    assert workspace is not None and workspace.status == "active"


async def test_a_send_that_goes_through_revives_a_workspace_another_process_marked_revoked(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    await harness.dispatcher.handle(joined("U-bob"))
    accepted = sender.send

    async def revoked_meanwhile(workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        # another process is refused the credentials between the last claim's check and its
        # send (Bob's question follows his welcome)
        if not isinstance(action, act.AskQuestion):
            return await accepted(workspace, action)
        async with harness.store.transaction() as tx:
            found = await tx.directory.workspace_by_id(1)
            assert found is not None
            found.status = "revoked"
        return await accepted(workspace, action)

    sender.send = revoked_meanwhile  # type: ignore[method-assign]
    await harness.worker.drain()
    assert [d.status for d in await harness.deliveries()] == ["sent", "sent"]
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace_by_id(1)
    assert workspace is not None and workspace.status == "active", "the credentials work"


async def test_pacing_waits_do_not_use_up_attempts(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    sender.script = [SendOutcome("deferred", retry_after=5, error="paced")] * 10
    await harness.dispatcher.handle(joined("U-bob"))
    for _ in range(10):
        await harness.worker.drain()
        harness.clock.advance(timedelta(seconds=7))
    await harness.worker.drain()
    assert [(d.status, d.attempts) for d in await harness.deliveries()] == [
        ("sent", 1),
        ("sent", 1),
    ], "ten pauses, then sent on its first real attempt; never dead-lettered"


async def test_a_worker_whose_claim_expired_neither_sends_nor_overwrites(
    scripted: tuple[Harness, ScriptedSender],
) -> None:
    harness, sender = scripted
    await harness.dispatcher.handle(joined("U-bob"))
    async with harness.store.transaction() as tx:  # worker A claims, then stalls
        [stale] = await tx.outbox.claim(harness.clock(), 10, timedelta(seconds=120))
    harness.clock.advance(timedelta(seconds=121))
    await harness.worker.drain()  # worker B takes over and sends everything
    assert len(sender.sent) == 2
    await harness.worker._deliver(stale)  # worker A wakes up with its old claim
    assert len(sender.sent) == 2, "no duplicate"
    assert [d.status for d in await harness.deliveries()] == ["sent", "sent"]
