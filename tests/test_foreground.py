"""Inbound events go first: background work (a launch's chunks, the delivery worker's sends)
waits while an event is being handled — never longer than its patience."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.runtime import seeing
from bot.runtime.clock import ManualClock
from bot.runtime.foreground import Foreground
from bot.vocabulary import events as ev
from tests.builders import T0, WORKSPACE, command, joined, tick
from tests.conftest import Harness, wait_for


@pytest_asyncio.fixture
async def checkin(database_url: str) -> AsyncIterator[Harness]:
    built = Harness.create(database_url, ManualClock(T0))
    await built.seed(["welcome", "checkin"])
    yield built
    await built.store.close()


async def test_a_step_goes_at_once_when_no_event_is_handled() -> None:
    foreground = Foreground(patience=10.0)
    async with asyncio.timeout(1):
        await foreground.turn()
    assert foreground.waits == 0


async def test_a_step_waits_for_the_events_being_handled_then_goes() -> None:
    foreground = Foreground(patience=10.0)
    order: list[str] = []

    async def background() -> None:
        await foreground.turn()
        order.append("background")

    with foreground.event(), foreground.event():  # two events at once
        step = asyncio.ensure_future(background())
        await asyncio.sleep(0.05)
        assert order == [] and not step.done(), "it waits while events are handled"
        order.append("events done")
    async with asyncio.timeout(1):
        await step
    assert order == ["events done", "background"]
    assert foreground.waits == 1 and 0.04 <= foreground.waited < 1


async def test_a_flow_of_events_slows_the_background_but_never_stops_it() -> None:
    foreground = Foreground(patience=0.05)
    with foreground.event():  # an event that never ends
        async with asyncio.timeout(1):
            await foreground.turn()
            await foreground.turn()
    assert foreground.waits == 2 and foreground.waited >= 0.09


async def test_a_dm_waits_while_an_event_is_handled(harness: Harness) -> None:
    """The worker's send waits for the event in hand (the dispatcher's own foreground), and
    goes out once it is done."""
    assert harness.worker.foreground is harness.dispatcher.foreground
    assert await harness.dispatcher.handle(joined("U-bob")) == "processed"  # a welcome queued
    harness.dispatcher.foreground.patience = 10.0
    with harness.dispatcher.foreground.event():
        sending = asyncio.ensure_future(harness.worker.drain())
        await asyncio.sleep(0.3)
        assert harness.inbox.for_user(WORKSPACE.external_id, "U-bob") == []
    async with asyncio.timeout(10):
        assert await sending >= 1
    said = harness.inbox.for_user(WORKSPACE.external_id, "U-bob")
    assert said and "Welcome" in said[0].text


async def test_a_launch_chunk_waits_while_an_event_is_handled(checkin: Harness) -> None:
    """Where events and a chunk run side by side (PostgreSQL), the chunk starts once the event
    is done. On SQLite events wait in line for the one write lock instead: the chunk goes."""
    users = [f"U-m{i}" for i in range(3)]
    for user in users:
        assert await checkin.dispatcher.handle(joined(user)) == "processed"
    async with checkin.store.transaction() as tx:
        await tx.runs.request_launch(1, "checkin", T0, requested_by="U-dan")
    checkin.dispatcher.foreground.patience = 10.0

    async def started() -> list[str]:
        return sorted(r.subject or "" for r in await checkin.runs() if r.playbook == "checkin")

    with checkin.dispatcher.foreground.event():
        launching = asyncio.ensure_future(checkin.scheduler.run_launches())
        await asyncio.sleep(0.3)
        if checkin.store.one_writer:
            async with asyncio.timeout(10):
                assert await launching == 1  # while the event is still in hand
            assert await started() == users
        else:
            assert await started() == [], "no member started while the event is handled"
    async with asyncio.timeout(10):
        assert await launching == 1
    assert await started() == users


async def test_inbound_events_count_as_handled_a_run_s_wake_up_does_not(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}
    record = seeing.record

    async def recording(tx: Any, workspace: Any, event: ev.Event, *rest: Any) -> None:
        seen[type(event).__name__] = harness.dispatcher.foreground.handling
        await record(tx, workspace, event, *rest)

    monkeypatch.setattr(seeing, "record", recording)
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(tick("no-such-run", T0))
    assert seen == {"MemberJoined": 1, "Tick": 0}
    assert harness.dispatcher.foreground.handling == 0


async def test_an_answer_to_someone_who_just_acted_does_not_wait(harness: Harness) -> None:
    """A command's reply goes while events are handled; a ritual's DM waits its turn."""
    assert await harness.dispatcher.handle(joined("U-bob")) == "processed"  # a welcome queued
    assert await harness.dispatcher.handle(command("U-dan", "help")) == "processed"
    harness.dispatcher.foreground.patience = 10.0
    with harness.dispatcher.foreground.event():
        sending = asyncio.ensure_future(harness.worker.drain())

        async def answered() -> bool:
            return bool(harness.inbox.for_user(WORKSPACE.external_id, "U-dan"))

        await wait_for(answered, within=5)
        assert harness.inbox.for_user(WORKSPACE.external_id, "U-bob") == []
    async with asyncio.timeout(10):
        await sending
    said = harness.inbox.for_user(WORKSPACE.external_id, "U-bob")
    assert said and "Welcome" in said[0].text


async def test_a_send_waiting_for_its_turn_honours_the_opt_out_handled_meanwhile(
    harness: Harness,
) -> None:
    """An opt-out handled while a ritual's DM waits for its turn stops that DM (claims checked
    before a change are checked again before their send)."""
    assert await harness.dispatcher.handle(joined("U-bob")) == "processed"  # a welcome queued
    foreground = harness.dispatcher.foreground
    foreground.patience = 10.0
    with foreground.event():  # another event in hand: the welcome's send waits for its turn
        sending = asyncio.ensure_future(harness.worker.drain())
        await asyncio.sleep(0.3)  # claimed, checked, waiting for its turn
        assert await harness.dispatcher.handle(command("U-bob", "optout all")) == "processed"
    async with asyncio.timeout(10):
        await sending
    said = [m.text for m in harness.inbox.for_user(WORKSPACE.external_id, "U-bob")]
    assert any("no longer receive" in text for text in said), said  # the worker did send
    assert not any("Welcome" in text for text in said), said


async def test_a_step_cancelled_as_the_events_end_does_not_go_on() -> None:
    """A worker abandoning its sends (a hard stop) cancels one waiting for its turn just as the
    last event ends: it must not go on (Python 3.11's wait_for swallowed that cancellation)."""
    foreground = Foreground(patience=10.0)
    went: list[str] = []

    async def step() -> None:
        await foreground.turn()
        went.append("sent")

    with foreground.event():
        waiting = asyncio.ensure_future(step())
        await asyncio.sleep(0.01)
    waiting.cancel()  # the same loop iteration as the event's end
    await asyncio.sleep(0.01)
    assert waiting.cancelled() and went == []
