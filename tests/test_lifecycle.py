"""Lifecycle and durability: launches that survive a crash, runs that fail for good instead of
for ever, runs that end when their member leaves or stops the ritual, profiles with unknown
timezones or languages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

import bot.runtime.launches as launches_module
from adapters.local.sender import LocalSender
from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.roster import Rosters
from bot.runtime.scheduler import Scheduler
from bot.settings import SlackSettings
from bot.vocabulary import events as ev
from bot.vocabulary.actions import Action
from bot.vocabulary.ports import SendOutcome
from playbooks.engine import RunContext, RunState, Transition
from playbooks.loader import parse_playbook
from storage.runs import Runs
from storage.tables import Answer, Member, Run
from tests.builders import EACH_MEMBER_MONDAY, NUDGE, T0, WORKSPACE, click, command, joined, key
from tests.conftest import Harness, local_server, wait_for
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.slack_support import (
    BOT_USER,
    SECRET,
    TEAM,
    TOKEN,
    SlackBot,
    fixture,
    running_bot,
    seed_slack_community,
)
from tests.teams_support import activity, running_teams_bot, seed_team_community

#: Members in Paris (10:00 at T0), and Bob in New York (04:00: outside his working hours).
PARIS_MEMBERS = [f"U-m{i:02d}" for i in range(10)]


async def join_all(harness: Harness, users: Sequence[str]) -> None:
    """``users`` join the channel. Dan, who facilitates it, never joined it: he is no member of
    it (only joining, or the platform's roster, makes a member — running a command does not),
    so a launch he asks for does not ask him."""
    for user in users:
        await harness.dispatcher.handle(joined(user))


async def checkin_runs(harness: Harness) -> list[Run]:
    return [r for r in await harness.runs() if r.playbook == "checkin"]


async def questions_to(harness: Harness) -> list[str]:
    """Who was asked the check-in's question (once per run: reminders not counted)."""
    deliveries = await harness.deliveries()
    asked = {
        (d.recipient, d.run_id)
        for d in deliveries
        if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
    }
    return sorted(user for user, _run in asked)


async def told(harness: Harness, user: str) -> list[str]:
    return [
        str(d.action["text"])
        for d in await harness.deliveries()
        if d.recipient == user and d.action["type"] == "SendDirectMessage"
    ]


async def checkin_harness(url: str, clock: ManualClock, **scheduler: Any) -> Harness:
    harness = Harness.create(url, clock)
    if scheduler:  # the same runtime with a scheduler tuned for the test (small chunks)
        harness.scheduler = Scheduler(
            harness.store,
            harness.dispatcher.handle,
            harness.dispatcher.fire_schedule,
            harness.engine.playbooks,
            clock,
            roster=scheduler.pop("roster", Rosters(harness.store, {})),
            launcher=scheduler.pop("launcher", harness.dispatcher.launches),
            **scheduler,
        )
        harness.dispatcher.run_now = harness.scheduler.run_now
    return harness


# -- durable "checkin now" -------------------------------------------------------------------


async def test_checkin_now_is_done_by_a_new_process_when_the_first_dies_after_answering(
    database_url: str,
) -> None:
    clock = ManualClock(T0)
    first = await checkin_harness(database_url, clock)
    await first.seed(["checkin"])
    await join_all(first, ["U-alice", "U-bob", *PARIS_MEMBERS])
    first.dispatcher.run_now = None  # killed right after answering: no work after the reply
    await first.dispatcher.handle(command("U-dan", "checkin now"))
    [reply] = [d for d in await first.deliveries() if d.action["type"] == "RespondPrivately"]
    assert reply.action["text"].startswith(
        "Weekly check-in starts now for the members of Data & IA: I will tell you how many"
    )
    assert await checkin_runs(first) == [], "nothing ran in the process that answered"
    await first.store.close()

    second = await checkin_harness(database_url, clock)
    third = await checkin_harness(database_url, clock)
    try:
        await second.scheduler.tick()
        roster = sorted(["U-alice", "U-bob", *PARIS_MEMBERS])
        assert sorted(r.subject for r in await checkin_runs(second)) == roster, "one run each"
        asked_now = sorted(["U-alice", *PARIS_MEMBERS])
        assert await questions_to(second) == asked_now, "Bob is asked at 09:00 in New York"
        assert await told(second, "U-dan") == [
            "Weekly check-in in Data & IA: 11 member(s) asked now, 1 later (outside their "
            "working hours)."
        ]
        await third.scheduler.tick()
        await second.scheduler.tick()
        assert len(await checkin_runs(third)) == len(roster), "nobody started twice"
        assert await questions_to(third) == asked_now
        clock.advance(timedelta(hours=5))  # 09:00 in New York
        await third.scheduler.tick()
        assert await questions_to(third) == sorted([*asked_now, "U-bob"])
    finally:
        await second.store.close()
        await third.store.close()


async def test_checkin_now_reaches_members_with_ids_as_long_as_teams_makes_them(
    database_url: str,
) -> None:
    """A launch remembers the last member it handled: Teams ids (``29:…``, ~120 characters)
    fit, on PostgreSQL too."""
    clock = ManualClock(T0)
    harness = await checkin_harness(database_url, clock)
    long_ids = [f"29:1{'x' * 118}{i}" for i in range(3)]
    try:
        await harness.seed(["checkin"])
        await join_all(harness, long_ids)
        harness.dispatcher.run_now = None
        await harness.dispatcher.handle(command("U-dan", "checkin now"))
        await harness.scheduler.tick()
        assert await questions_to(harness) == sorted(long_ids)
    finally:
        await harness.store.close()


async def test_a_launch_for_a_ritual_switched_off_meanwhile_starts_nothing(
    database_url: str,
) -> None:
    clock = ManualClock(T0)
    harness = await checkin_harness(database_url, clock)
    try:
        await harness.seed(["checkin"])
        await join_all(harness, PARIS_MEMBERS)
        harness.dispatcher.run_now = None
        await harness.dispatcher.handle(command("U-dan", "checkin now"))
        await harness.dispatcher.handle(command("U-dan", "rituals disable checkin"))
        await harness.scheduler.tick()
        assert await checkin_runs(harness) == []
        async with harness.store.transaction() as tx:
            [launch] = await tx.runs.launches()
        assert (launch.status, launch.error) == ("failed", "the ritual was switched off")
        assert (await told(harness, "U-dan"))[-1] == (
            "Weekly check-in in Data & IA could not be started for every member (0 asked): "
            "the ritual was switched off."
        ), "the facilitator told it starts learns it did not"
    finally:
        await harness.store.close()


async def test_a_launch_that_cannot_read_its_members_is_given_up_and_the_facilitator_told(
    database_url: str,
) -> None:
    clock = ManualClock(T0)
    reads = []

    async def unreachable(workspace: ev.WorkspaceRef, channel: str) -> list[ev.MemberProfile]:
        reads.append(clock())
        raise ConnectionError("the platform is down")

    harness = await checkin_harness(database_url, clock, roster=unreachable)
    try:
        await harness.seed(["checkin"])
        harness.dispatcher.run_now = None
        await harness.dispatcher.handle(command("U-dan", "checkin now"))
        for _ in range(10):
            await harness.scheduler.tick()
            clock.advance(timedelta(minutes=3))
        assert len(reads) == 5, "tried again when each claim ends, not at every pass"
        assert await told(harness, "U-dan") == [
            "Weekly check-in in Data & IA could not be started for every member (0 asked): "
            "not completed after 5 attempts."
        ]
    finally:
        await harness.store.close()


class DiesAfter:
    """A launcher that commits ``chunks`` chunks, then dies like a killed process would."""

    def __init__(self, dispatcher: Dispatcher, chunks: int) -> None:
        self._dispatcher = dispatcher
        self.left = chunks

    async def launch_chunk(self, *args: Any, **kwargs: Any) -> bool:
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        return await self._dispatcher.launches.launch_chunk(*args, **kwargs)

    async def fail_launch(self, launch_id: int, token: str, reason: str) -> None:
        await self._dispatcher.launches.fail_launch(launch_id, token, reason)


async def test_a_launch_cut_between_chunks_is_resumed_and_asks_nobody_twice(
    database_url: str,
) -> None:
    clock = ManualClock(T0)
    probe = Harness.create(database_url, clock)
    dying = DiesAfter(probe.dispatcher, chunks=2)
    first = await checkin_harness(database_url, clock, chunk_size=3, launcher=dying)
    await probe.store.close()
    dying._dispatcher = first.dispatcher
    await first.seed(["checkin"])
    await join_all(first, PARIS_MEMBERS)
    await first.dispatcher.handle(command("U-dan", "checkin now"))
    await first.dispatcher.idle()
    assert len(await checkin_runs(first)) == 6, "two chunks of three committed, then the crash"
    await first.store.close()

    second = await checkin_harness(database_url, clock, chunk_size=3)
    try:
        await second.scheduler.tick()
        assert len(await checkin_runs(second)) == 6, "the dead process's claim still holds"
        clock.advance(timedelta(minutes=3))  # its lease runs out
        await second.scheduler.tick()
        everyone = sorted(PARIS_MEMBERS)
        assert sorted(r.subject for r in await checkin_runs(second)) == everyone
        assert await questions_to(second) == everyone, "each asked exactly once"
        assert await told(second, "U-dan") == [
            "Weekly check-in in Data & IA: 10 member(s) asked now, 0 later (outside their "
            "working hours)."
        ]
        async with second.store.transaction() as tx:
            [launch] = await tx.runs.launches()
        assert (launch.status, launch.attempts) == ("done", 2)
    finally:
        await second.store.close()


async def test_a_launch_cut_in_the_middle_of_a_chunk_is_resumed_and_asks_nobody_twice(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's members are started in one transaction, the process giving the loop a turn
    after each: cut there (the task cancelled, the process killed), the chunk left nothing,
    and the next process asks each of its members once."""
    clock = ManualClock(T0)
    first = await checkin_harness(database_url, clock, chunk_size=4)
    await first.seed(["checkin"])
    await join_all(first, PARIS_MEMBERS)
    turns = 0
    pause = asyncio.sleep

    async def cut_at_the_sixth_member(delay: float) -> None:
        nonlocal turns
        turns += 1
        if turns == 6:  # the second member of the second chunk
            raise asyncio.CancelledError
        await pause(delay)

    monkeypatch.setattr(launches_module.asyncio, "sleep", cut_at_the_sixth_member)
    async with first.store.transaction() as tx:
        await tx.runs.request_launch(1, "checkin", T0, requested_by="U-dan")
    with pytest.raises(asyncio.CancelledError):
        await first.scheduler.run_launches()
    monkeypatch.undo()
    assert len(await checkin_runs(first)) == 4, "the first chunk committed, not the second"
    await first.store.close()

    second = await checkin_harness(database_url, clock, chunk_size=4)
    try:
        clock.advance(timedelta(minutes=3))  # the dead process's lease runs out
        await second.scheduler.tick()
        everyone = sorted(PARIS_MEMBERS)
        assert sorted(r.subject for r in await checkin_runs(second)) == everyone
        asked = [
            d.recipient
            for d in await second.deliveries()
            if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
        ]
        assert sorted(asked) == everyone, "each asked exactly once"
    finally:
        await second.store.close()


class StopsDuring:
    """A launcher whose process is asked to stop (SIGTERM) while its ``chunk``-th chunk runs."""

    def __init__(self, chunk: int) -> None:
        self.left = chunk
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None

    async def launch_chunk(self, *args: Any, **kwargs: Any) -> bool:
        assert self.dispatcher is not None and self.scheduler is not None
        self.left -= 1
        if self.left == 0:
            await self.scheduler.stop()
        return await self.dispatcher.launches.launch_chunk(*args, **kwargs)

    async def fail_launch(self, launch_id: int, token: str, reason: str) -> None:
        assert self.dispatcher is not None
        await self.dispatcher.launches.fail_launch(launch_id, token, reason)


async def test_a_launch_stopped_gracefully_is_given_back_and_continued_at_once(
    database_url: str,
) -> None:
    clock = ManualClock(T0)
    stopping = StopsDuring(chunk=2)
    first = await checkin_harness(database_url, clock, chunk_size=3, launcher=stopping)
    stopping.dispatcher, stopping.scheduler = first.dispatcher, first.scheduler
    await first.seed(["checkin"])
    await join_all(first, PARIS_MEMBERS)
    await first.dispatcher.handle(command("U-dan", "checkin now"))
    await first.dispatcher.idle()
    assert len(await checkin_runs(first)) == 6, "the chunk under way finished, no more"
    async with first.store.transaction() as tx:
        [launch] = await tx.runs.launches()
    assert (launch.status, launch.claimed_by, launch.attempts) == ("pending", None, 0)
    await first.store.close()

    second = await checkin_harness(database_url, clock, chunk_size=3)
    try:
        await second.scheduler.tick()  # at once: no lease to wait for
        everyone = sorted(PARIS_MEMBERS)
        assert await questions_to(second) == everyone, "each asked exactly once"
        async with second.store.transaction() as tx:
            [launch] = await tx.runs.launches()
        assert (launch.status, launch.asked_now, launch.attempts) == ("done", 10, 1)
    finally:
        await second.store.close()


async def test_a_member_whose_start_fails_is_left_out_and_the_others_of_the_chunk_asked(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(T0)
    harness = await checkin_harness(database_url, clock, chunk_size=4)
    try:
        await harness.seed(["checkin"])
        await join_all(harness, PARIS_MEMBERS)
        start = harness.engine.start

        def start_failing_for_one(name: str, ctx: RunContext, now: datetime, **kw: Any) -> Any:
            if ctx.member is not None and ctx.member.user_id == "U-m05":
                raise RuntimeError("this member's start breaks")
            return start(name, ctx, now, **kw)

        monkeypatch.setattr(harness.engine, "start", start_failing_for_one)
        await harness.dispatcher.handle(command("U-dan", "checkin now"))
        await harness.dispatcher.idle()
        others = sorted(u for u in PARIS_MEMBERS if u != "U-m05")
        assert sorted(r.subject for r in await checkin_runs(harness)) == others
        assert await questions_to(harness) == others, "the rest of U-m05's chunk asked too"
        assert await told(harness, "U-dan") == [
            "Weekly check-in in Data & IA: 9 member(s) asked now, 0 later (outside their "
            "working hours)."
        ]
        failed = [r for r in caplog.records if "for one member failed" in r.getMessage()]
        assert len(failed) == 1
    finally:
        await harness.store.close()


@pytest.mark.parametrize(
    "refused",
    [
        "U-m05",  # in a middle chunk
        # the last member of the last chunk, which reads who asked for the launch (to tell
        # them) after its members' starts: the refusal must not surface there and sink the
        # whole chunk (the launch retried, failing each time, its members never asked)
        "U-m09",
    ],
)
async def test_a_member_whose_run_the_database_refuses_is_left_out_and_the_others_asked(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    refused: str,
) -> None:
    """A chunk's runs and deliveries are written together at its end: when the database
    refuses one member's run there, the chunk is done again member by member and only that
    member is left out; the others are asked once and Dan is told."""
    clock = ManualClock(T0)
    harness = await checkin_harness(database_url, clock, chunk_size=4)
    try:
        await harness.seed(["checkin"])
        await join_all(harness, PARIS_MEMBERS)
        async with harness.store.transaction() as tx:
            workspace = await tx.directory.workspace(WORKSPACE)
            assert workspace is not None and workspace.id is not None
            community = await tx.directory.community_by_channel(workspace.id, "C-data")
            assert community is not None and community.id is not None
            taken = Run(
                id="taken",
                workspace_id=workspace.id,
                community_id=community.id,
                playbook="welcome",
                subject="U-someone",
                status="done",
                created_at=T0,
                updated_at=T0,
            )
            await tx.runs.add(taken)
        add = Runs.add

        async def add_clashing_for_one(self: Runs, run: Run, *, flush: bool = True) -> Run:
            if run.subject == refused:
                run.id = "taken"  # its primary key is another run's: the insert is refused
            return await add(self, run, flush=flush)

        monkeypatch.setattr(Runs, "add", add_clashing_for_one)
        await harness.dispatcher.handle(command("U-dan", "checkin now"))
        await harness.dispatcher.idle()
        others = sorted(u for u in PARIS_MEMBERS if u != refused)
        assert sorted(r.subject for r in await checkin_runs(harness)) == others
        assert await questions_to(harness) == others, "the rest of the refused one's chunk too"
        asked = [
            d.recipient
            for d in await harness.deliveries()
            if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
        ]
        assert sorted(asked) == others, "each asked once: the batched attempt left nothing"
        assert await told(harness, "U-dan") == [
            "Weekly check-in in Data & IA: 9 member(s) asked now, 0 later (outside their "
            "working hours)."
        ]
        failed = [r for r in caplog.records if "for one member failed" in r.getMessage()]
        assert len(failed) == 1
    finally:
        await harness.store.close()


async def test_two_processes_share_a_launch_and_ask_each_member_once(database_url: str) -> None:
    clock = ManualClock(T0)
    first = await checkin_harness(database_url, clock, chunk_size=2)
    second = await checkin_harness(database_url, clock, chunk_size=2)
    try:
        await first.seed(["checkin"])
        await join_all(first, PARIS_MEMBERS)
        first.dispatcher.run_now = None
        await first.dispatcher.handle(command("U-dan", "checkin now"))
        await asyncio.gather(first.scheduler.run_launches(), second.scheduler.run_launches())
        everyone = sorted(PARIS_MEMBERS)
        assert await questions_to(first) == everyone
        assert len(await told(first, "U-dan")) == 1, "the facilitator is told once"
    finally:
        await first.store.close()
        await second.store.close()


MONDAY_0930_PARIS = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)


async def monday_harness(url: str, clock: ManualClock, **scheduler: Any) -> Harness:
    harness = Harness.create(url, clock, {"monday": parse_playbook(EACH_MEMBER_MONDAY)})
    harness.scheduler = Scheduler(
        harness.store,
        harness.dispatcher.handle,
        harness.dispatcher.fire_schedule,
        harness.engine.playbooks,
        clock,
        roster=Rosters(harness.store, {}),
        launcher=scheduler.pop("launcher", harness.dispatcher.launches),
        **scheduler,
    )
    return harness


async def mondays_to(harness: Harness) -> list[str]:
    return sorted(d.recipient for d in await harness.deliveries() if d.playbook == "monday")


async def test_a_scheduled_fire_for_each_member_cut_mid_way_is_resumed_without_double_asks(
    database_url: str,
) -> None:
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(hours=1))
    probe = Harness.create(database_url, clock)
    dying = DiesAfter(probe.dispatcher, chunks=1)
    await probe.store.close()
    first = await monday_harness(database_url, clock, chunk_size=4, launcher=dying)
    dying._dispatcher = first.dispatcher
    await first.seed(["monday"])
    await join_all(first, PARIS_MEMBERS)
    clock.advance(timedelta(hours=1, minutes=1))
    assert await first.scheduler.tick() == 1
    assert len(await mondays_to(first)) == 4, "one chunk committed, then the crash"
    await first.store.close()

    second = await monday_harness(database_url, clock, chunk_size=4)
    try:
        clock.advance(timedelta(minutes=3))
        assert await second.scheduler.tick() == 0, "the fire is not fired again"
        assert await mondays_to(second) == PARIS_MEMBERS, "each member asked exactly once"
    finally:
        await second.store.close()


async def test_one_member_whose_start_fails_does_not_stop_the_fire_for_the_others(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(hours=1))
    harness = await monday_harness(database_url, clock)
    try:
        await harness.seed(["monday"])
        await join_all(harness, PARIS_MEMBERS)
        real = harness.engine.start

        def start(name: str, ctx: RunContext, now: Any, **kw: Any) -> Transition:
            if ctx.member is not None and ctx.member.user_id == PARIS_MEMBERS[3]:
                raise RuntimeError("an engine bug")
            return real(name, ctx, now, **kw)

        monkeypatch.setattr(harness.engine, "start", start)
        clock.advance(timedelta(hours=1, minutes=1))
        await harness.scheduler.tick()
        others = [m for m in PARIS_MEMBERS if m != PARIS_MEMBERS[3]]
        assert await mondays_to(harness) == others
        await harness.scheduler.tick()
        assert await mondays_to(harness) == others, "the fire happened once"
    finally:
        await harness.store.close()


# -- runs that fail ---------------------------------------------------------------------------


async def test_a_run_that_keeps_failing_is_marked_failed_and_its_facilitators_told(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness.create(database_url, ManualClock(T0), {"nudge": parse_playbook(NUDGE)})
    try:
        await harness.seed(["nudge"])
        await join_all(harness, ["U-alice", "U-chloe"])  # both in Paris
        broken, fine = sorted(await harness.runs(), key=lambda r: r.subject)
        real = harness.engine.on_event
        attempts = []

        def on_event(state: RunState, event: ev.Event, ctx: RunContext, now: Any) -> Transition:
            if ctx.run_id == broken.id:
                attempts.append(now)
                raise RuntimeError("an engine bug")
            return real(state, event, ctx, now)

        monkeypatch.setattr(harness.engine, "on_event", on_event)
        harness.clock.advance(timedelta(hours=2))
        assert await harness.scheduler.tick() == 1, "the other run is woken all the same"
        assert await told(harness, "U-chloe") == ["Toujours là, Chloe ?"]
        for _ in range(3):
            await harness.scheduler.tick()
        assert len(attempts) == 1, "not retried at every tick: it backs off"
        harness.clock.advance(timedelta(minutes=5))
        await harness.scheduler.tick()
        harness.clock.advance(timedelta(minutes=20))
        await harness.scheduler.tick()
        assert len(attempts) == 3
        failed = next(r for r in await harness.runs() if r.id == broken.id)
        reason = "waking it at step 'pause' failed 3 times (RuntimeError)"
        assert (failed.status, failed.error) == ("failed", reason)
        assert await told(harness, "U-dan") == [
            f"Nudge stopped for U-alice in Data & IA: {reason}. If the community customised it, "
            "/animateur rituals reset nudge goes back to the bundled version."
        ]
        harness.clock.advance(timedelta(days=2))
        for _ in range(3):
            await harness.scheduler.tick()
        assert len(attempts) == 3, "a failed run is never retried"
        assert (broken.subject, fine.subject) == ("U-alice", "U-chloe")
    finally:
        await harness.store.close()


async def test_a_failed_wake_up_of_a_run_that_moved_on_leaves_its_timer_alone(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wake-up that fails backs the run off — unless the run was moved meanwhile (an answer,
    another process): a stale failure must not replace its new timer nor count against it."""
    harness = Harness.create(database_url, ManualClock(T0), {"nudge": parse_playbook(NUDGE)})
    try:
        await harness.seed(["nudge"])
        await join_all(harness, ["U-alice"])
        [run] = await harness.runs()
        assert run.wake_at is not None

        def broken(state: RunState, event: ev.Event, ctx: RunContext, now: Any) -> Transition:
            raise RuntimeError("an engine bug")

        monkeypatch.setattr(harness.engine, "on_event", broken)
        harness.clock.advance(timedelta(hours=2))

        def tick(wake_at: datetime) -> ev.Tick:
            return ev.Tick(
                workspace=WORKSPACE, key=key(), occurred_at=T0, run_id=run.id, wake_at=wake_at
            )

        with pytest.raises(RuntimeError):
            await harness.dispatcher.handle(tick(run.wake_at - timedelta(days=1)))
        [after] = await harness.runs()
        assert (after.failures, after.wake_at) == (0, run.wake_at), "a stale failure is ignored"

        with pytest.raises(RuntimeError):
            await harness.dispatcher.handle(tick(run.wake_at))
        [after] = await harness.runs()
        assert after.failures == 1 and after.wake_at == harness.clock() + timedelta(minutes=5)
    finally:
        await harness.store.close()


MOOD = """
name: mood
title: {en: Mood, fr: Humeur}
description: {en: test, fr: test}
trigger: {on: member_joined}
steps:
  - id: ask
    kind: ask
    save_as: mood
    text: {en: "How are you?", fr: "Comment allez-vous ?"}
    choices:
      - {value: good, label: {en: Good, fr: Bien}}
      - {value: bad, label: {en: Bad, fr: Mal}}
  - id: answer
    kind: send_dm
    text:
      en: "{% if answers.mood == 'bad' %}{{ 1 // 0 }}{% else %}Glad to hear it{% endif %}"
      fr: "{% if answers.mood == 'bad' %}{{ 1 // 0 }}{% else %}Tant mieux{% endif %}"
"""


async def test_a_text_that_cannot_be_rendered_ends_the_run_and_tells_the_facilitators_once(
    database_url: str,
) -> None:
    harness = Harness.create(database_url, ManualClock(T0), {"mood": parse_playbook(MOOD)})
    try:
        await harness.seed(["mood"])
        await join_all(harness, ["U-alice", "U-bob", "U-chloe"])
        alice, bob, chloe = sorted(await harness.runs(), key=lambda r: r.subject)
        await harness.dispatcher.handle(click(f"run:{alice.id}:ask", "bad", "U-alice"))
        await harness.dispatcher.handle(click(f"run:{chloe.id}:ask", "bad", "U-chloe"))
        await harness.dispatcher.handle(click(f"run:{bob.id}:ask", "good", "U-bob"))
        runs = {r.subject: r for r in await harness.runs()}
        assert runs["U-alice"].status == runs["U-chloe"].status == "failed"
        assert runs["U-bob"].status == "done" and runs["U-bob"].error is None
        assert await told(harness, "U-bob") == ["Glad to hear it"]
        [notice] = await told(harness, "U-dan")
        assert notice.startswith(
            "Mood stopped for U-alice in Data & IA: a text cannot be rendered (at step 'ask'): "
            "ZeroDivisionError"
        ), "which ritual, which step, why — once for the same failure"
    finally:
        await harness.store.close()


# -- members who leave or stop a ritual -------------------------------------------------------


async def statuses(harness: Harness, user: str) -> list[tuple[str, str | None]]:
    return [(d.status, d.last_error) for d in await harness.deliveries() if d.recipient == user]


async def test_a_member_who_leaves_gets_nothing_more_of_the_welcome(harness: Harness) -> None:
    await join_all(harness, ["U-bob", "U-chloe"])
    left = ev.MemberLeft(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile("U-bob"),
    )
    await harness.dispatcher.handle(left)
    await harness.worker.drain()
    runs = {r.subject: r.status for r in await harness.runs()}
    assert runs == {"U-bob": "done", "U-chloe": "waiting_answer"}
    assert await statuses(harness, "U-bob") == [("skipped", "member left the community")] * 2
    assert await statuses(harness, "U-chloe") == [("sent", None)] * 2
    harness.clock.advance(timedelta(days=2))  # the charter reminder would be due
    await harness.scheduler.tick()
    await harness.worker.drain()
    assert harness.inbox.for_user("demo", "U-bob") == []
    assert len(harness.inbox.for_user("demo", "U-chloe")) == 3, "Chloé is reminded"


class LeavesWhileSending:
    """The local sender, with ``user`` leaving the channel while the first message is sent:
    their messages are claimed in the same batch, in flight."""

    platform = "local"

    def __init__(self, harness: Harness, user: str) -> None:
        self._harness, self._user = harness, user
        self._real = LocalSender(harness.inbox, harness.clock)
        self.left = False

    async def send(self, workspace: ev.WorkspaceRef, action: Action) -> SendOutcome:
        if not self.left:
            self.left = True
            left = ev.MemberLeft(
                workspace=WORKSPACE,
                key=key(),
                occurred_at=T0,
                channel="C-data",
                member=ev.MemberProfile(self._user),
            )
            await self._harness.dispatcher.handle(left)
        return await self._real.send(workspace, action)


async def test_messages_already_claimed_for_a_member_who_left_are_not_sent(
    database_url: str,
) -> None:
    harness = Harness.create(database_url, ManualClock(T0))
    try:
        await harness.seed()
        sender = LeavesWhileSending(harness, "U-bob")
        # one send at a time: Bob's messages are claimed, not yet sending, when he leaves
        harness.worker = DeliveryWorker(
            harness.store, {"local": sender}, harness.clock, concurrency=1
        )
        harness.dispatcher.on_changed = harness.worker.changed  # as the composition root
        await join_all(harness, ["U-chloe", "U-bob"])
        await harness.worker.drain()
        assert sender.left
        assert len(harness.inbox.for_user("demo", "U-chloe")) == 2
        assert harness.inbox.for_user("demo", "U-bob") == []
        assert await statuses(harness, "U-bob") == [("skipped", "member left the community")] * 2
    finally:
        await harness.store.close()


async def test_the_stop_button_ends_the_run_and_its_old_buttons_say_so(harness: Harness) -> None:
    await join_all(harness, ["U-bob"])
    await harness.worker.drain()
    [run] = await harness.runs()
    await harness.dispatcher.handle(click("optout:welcome", "", "U-bob"))
    [stopped] = await harness.runs()
    assert (stopped.status, stopped.wake_at) == ("done", None), "ended at once"
    await harness.dispatcher.handle(click(f"run:{run.id}:charter", "accept", "U-bob"))
    [still] = await harness.runs()
    assert (still.status, still.step) == ("done", None), "an old button never advances it"
    async with harness.store.transaction() as tx:
        assert list((await tx.session.execute(select(Answer))).scalars()) == []
    assert (await told(harness, "U-bob"))[-2:] == [
        "Done: you will no longer receive Welcome. (optin welcome to resume)",
        "You stopped “Welcome”: this button does nothing any more. (optin welcome to get it back)",
    ]


async def test_optout_by_command_ends_the_runs_and_their_queued_messages(
    harness: Harness,
) -> None:
    await join_all(harness, ["U-bob", "U-chloe"])
    await harness.dispatcher.handle(command("U-bob", "optout welcome"))
    runs = {r.subject: r for r in await harness.runs()}
    assert (runs["U-bob"].status, runs["U-chloe"].status) == ("done", "waiting_answer")
    assert await statuses(harness, "U-bob") == [
        ("skipped", "member stopped the ritual"),
        ("skipped", "member stopped the ritual"),
        ("pending", None),  # the command's answer
    ]
    await harness.dispatcher.handle(click(f"run:{runs['U-bob'].id}:charter", "accept", "U-bob"))
    assert (await told(harness, "U-bob"))[-1].startswith("You stopped “Welcome”")
    await harness.dispatcher.handle(click(f"run:{runs['U-chloe'].id}:charter", "accept", "U-chloe"))
    chloe = next(r for r in await harness.runs() if r.subject == "U-chloe")
    assert chloe.step == "expectations", "the others' runs go on"


# -- unknown timezones and languages ----------------------------------------------------------


async def test_an_unknown_timezone_or_locale_is_not_stored_and_is_logged_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    newcomer = f"U-zed{key()}"  # logged once per process: a member no other test used

    def event(user: str, tz: str, locale: str) -> ev.MemberJoined:
        profile = ev.MemberProfile(user, "Zed", locale, tz)
        return ev.MemberJoined(
            workspace=WORKSPACE, key=key(), occurred_at=T0, channel="C-data", member=profile
        )

    caplog.set_level(logging.INFO)
    await harness.dispatcher.handle(event(newcomer, "Mars/Olympus", "tlh"))
    await harness.dispatcher.handle(event(newcomer, "Mars/Olympus", "tlh"))
    await harness.dispatcher.handle(event("U-bob", f"America/{newcomer}", "en-US"))
    async with harness.store.transaction() as tx:
        zed = await tx.directory.member(1, newcomer)
        bob = await tx.directory.member(1, "U-bob")
    assert zed is not None and (zed.timezone, zed.locale) == (None, None)
    assert bob is not None and bob.timezone == "America/New_York", "the known one is kept"
    welcome = next(d for d in await harness.deliveries() if d.recipient == newcomer)
    assert welcome.action["text"].startswith("Bienvenue dans *Data & IA*, Zed"), "community's"
    reported = [
        (r.getMessage(), getattr(r, "member", None))
        for r in caplog.records
        if r.getMessage().startswith("unknown ")
    ]
    assert reported == [
        ("unknown timezone from the platform ignored; the community's is used", newcomer),
        ("unknown locale from the platform ignored; the community's is used", newcomer),
        ("unknown timezone from the platform ignored; the community's is used", "U-bob"),
    ]


async def test_a_timezone_stored_before_is_not_warned_about_at_every_tick(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness.create(database_url, ManualClock(T0))
    try:
        await harness.seed(["checkin"])
        await join_all(harness, ["U-alice"])
        async with harness.store.transaction() as tx:
            rows = await tx.session.execute(select(Member).where(Member.user_id == "U-alice"))
            rows.scalar_one().timezone = "Mars/Olympus"
        caplog.set_level(logging.INFO)
        for _ in range(3):
            harness.clock.advance(timedelta(minutes=10))
            await harness.scheduler.tick()
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        await harness.dispatcher.handle(command("U-dan", "checkin now"))
        await harness.dispatcher.idle()
        assert "U-alice" in await questions_to(harness), "she follows the community's zone"
    finally:
        await harness.store.close()


# -- through the platforms' real stacks -------------------------------------------------------


@pytest_asyncio.fixture
async def slack_bot(database_url: str) -> AsyncIterator[SlackBot]:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0002", "grace", locale="en-US", tz="Europe/Paris")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings) as running:
            await seed_slack_community(running.bot)
            yield running


def slack_dms(slack: FakeSlackApi, user: str = "U0002") -> list[Call]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == user and c.ok]


def slack_click(message: Call, action_id_prefix: str, value: str) -> dict[str, Any]:
    """A block_actions payload for a click on the button of ``message`` with ``value``."""
    posted = message.response
    button, block = next(
        (e, b)
        for b in message.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"] == value and e["action_id"].startswith(action_id_prefix)
    )
    payload = fixture("block_actions")
    payload["user"]["id"] = "U0002"
    payload["container"] |= {"channel_id": posted["channel"], "message_ts": posted["ts"]}
    payload["channel"] = {"id": posted["channel"]}
    payload["message"] = {"type": "message", "ts": posted["ts"], "blocks": message.args["blocks"]}
    payload["actions"] = [
        {**button, "block_id": block.get("block_id", "b"), "action_ts": str(time.time())}
    ]
    payload["trigger_id"] = f"trigger-{value}-{time.time()}"
    return payload


async def slack_runs(bot: SlackBot) -> list[str]:
    async with bot.bot.store.transaction() as tx:
        return [r.status for r in (await tx.session.execute(select(Run))).scalars()]


async def test_on_slack_the_stop_button_ends_the_run_and_the_charter_button_no_longer_works(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.event(fixture("event_member_joined_channel"))
    _welcome, question = await wait_for(lambda: _at_least(slack_dms(slack_bot.slack), 2))
    stop = slack_click(question, "animateur.home", "optout:welcome")
    assert (await slack_bot.interaction(stop)).status == 200
    await wait_for(lambda: _at_least(slack_dms(slack_bot.slack), 3))
    assert await slack_runs(slack_bot) == ["done"], "the stop button ends the run at once"
    accept = slack_click(question, "animateur.choice", "accept")
    assert (await slack_bot.interaction(accept)).status == 200
    dms = await wait_for(lambda: _at_least(slack_dms(slack_bot.slack), 4))
    assert dms[3].args["text"] == (
        "You stopped “Welcome”: this button does nothing any more. (optin welcome to get it back)"
    )
    assert await slack_runs(slack_bot) == ["done"]
    assert len(slack_dms(slack_bot.slack)) == 4, "no next question"


async def test_on_slack_a_member_leaving_the_channel_ends_their_welcome(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.event(fixture("event_member_joined_channel"))
    await wait_for(lambda: _at_least(slack_dms(slack_bot.slack), 2))
    assert await slack_runs(slack_bot) == ["waiting_answer"]
    assert (await slack_bot.event(fixture("event_member_left_channel"))).status == 200
    assert await wait_for(lambda: _equals(slack_runs(slack_bot), ["done"]))


async def test_on_the_local_api_a_member_leaving_ends_their_welcome(database_url: str) -> None:
    async with local_server(database_url) as server:
        status, _ = await server.post_event(type="member_joined", user="U-bob", channel="C-data")
        assert status == 202
        await wait_for(lambda: server.messages(user="U-bob"))
        status, body = await server.post_event(type="member_left", user="U-bob", channel="C-data")
        assert (status, body["status"]) == (202, "processed")
        async with server.bot.store.transaction() as tx:
            [run] = (await tx.session.execute(select(Run))).scalars().all()
        assert run.status == "done"


async def test_on_teams_a_member_removed_from_the_team_gets_nothing_more(
    database_url: str,
) -> None:
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector) as teams,
    ):
        await seed_team_community(teams.bot)
        await teams.install_in_team()
        await teams.add_member("29:1ghi", "Noor")
        await wait_for(lambda: _at_least_items(teams.messages_to("29:1ghi"), 2), within=10)
        removed = activity("conversation_update_member_removed", connector)
        assert (await teams.post(removed))[0] == 201
        async with teams.bot.store.transaction() as tx:
            [run] = (await tx.session.execute(select(Run))).scalars().all()
        assert (run.subject, run.status) == ("29:1ghi", "done")


async def _at_least_items(items: list[Any], count: int) -> list[Any] | None:
    return items if len(items) >= count else None


async def _at_least(calls: list[Call], count: int) -> list[Call] | None:
    return calls if len(calls) >= count else None


async def _equals(probe: Awaitable[Any], expected: Any) -> bool:
    return bool(await probe == expected)
