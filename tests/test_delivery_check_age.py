"""A claim is checked right after it is taken, then may wait for a free send slot: when it
waited a while, it is checked again before its send — whoever opted out meanwhile gets
nothing, and a claim another worker took over meanwhile is not sent a second time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome
from tests.builders import T0, joined
from tests.conftest import Harness


class GatedSender:
    """Holds its first send until the test opens the gate (a slow, paced send); sends the
    rest at once."""

    platform = "local"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        if not self.started.is_set():
            self.started.set()
            await self.gate.wait()
        assert isinstance(action, act.SendDirectMessage | act.AskQuestion)
        self.sent.append(action.user_id)
        return SendOutcome("sent", platform_ref="x")


@pytest_asyncio.fixture
async def gated(database_url: str) -> AsyncIterator[tuple[Harness, GatedSender]]:
    sender = GatedSender()
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": sender})
    await harness.seed()
    yield harness, sender
    await harness.store.close()


def one_at_a_time(harness: Harness, sender: GatedSender) -> DeliveryWorker:
    """A worker that sends one message at a time: the second claim waits for the first."""
    return DeliveryWorker(
        harness.store, {"local": sender}, harness.clock, RetryPolicy(max_attempts=3), concurrency=1
    )


async def test_a_member_who_opts_out_while_their_message_waits_its_turn_gets_nothing(
    gated: tuple[Harness, GatedSender],
) -> None:
    harness, sender = gated
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(joined("U-carol"))
    worker = one_at_a_time(harness, sender)
    draining = asyncio.create_task(worker.drain())
    await sender.started.wait()  # Bob's welcome goes (slowly); Carol's waits for its turn
    async with harness.store.transaction() as tx:
        carol = await tx.directory.member(1, "U-carol")
        assert carol is not None
        carol.opted_out = ["welcome"]
    harness.clock.advance(timedelta(seconds=3))  # Bob's send took a few seconds
    sender.gate.set()
    await draining
    assert "U-carol" not in sender.sent
    statuses = {(d.recipient, d.status) for d in await harness.deliveries()}
    assert ("U-carol", "skipped") in statuses and ("U-carol", "sent") not in statuses


async def test_a_claim_taken_over_while_it_waits_its_turn_is_not_sent_twice(
    gated: tuple[Harness, GatedSender],
) -> None:
    harness, sender = gated
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(joined("U-carol"))
    stalled = one_at_a_time(harness, sender)
    draining = asyncio.create_task(stalled.drain())
    await sender.started.wait()  # Bob's welcome hangs; Carol's waits for its turn
    # the stalled worker's leases lapse (its renewals did not reach the database, say)
    harness.clock.advance(timedelta(seconds=16))
    others = GatedSender()
    others.started.set()  # the other worker sends at once
    other = DeliveryWorker(harness.store, {"local": others}, harness.clock, RetryPolicy())
    await other.drain()  # it takes over both claims, and sends the rest
    assert others.sent.count("U-carol") == 2  # welcome and question
    sender.gate.set()
    await draining
    assert "U-carol" not in sender.sent, "Carol's welcome went twice"
