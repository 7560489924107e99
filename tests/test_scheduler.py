"""Timers and cron fires driven by the scheduler, on a real database with a manual clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.runtime.scheduler import Scheduler
from bot.runtime.schedules import Fire, latest_fire
from bot.vocabulary import events as ev
from bot.vocabulary.ports import DispatchResult
from playbooks.loader import parse_playbook
from storage.tables import ScheduleOccurrence
from tests.builders import EACH_MEMBER_MONDAY, NUDGE, T0, WORKSPACE, joined, key
from tests.conftest import Harness

WEEKLY = """
name: weekly
title: {en: Weekly, fr: Hebdo}
description: {en: test, fr: test}
trigger: {on: schedule, cron: "30 9 * * mon"}
steps:
  - id: post
    kind: post_to_community
    text: {en: "New week!", fr: "Nouvelle semaine !"}
"""

MONDAY_0930_PARIS = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)


def test_latest_fire_is_computed_in_the_community_timezone() -> None:
    after = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
    assert latest_fire("30 9 * * mon", "Europe/Paris", after, MONDAY_0930_PARIS) == (
        MONDAY_0930_PARIS
    )
    assert latest_fire("30 9 * * mon", "America/New_York", after, MONDAY_0930_PARIS) is None


async def test_a_wait_step_is_woken_by_the_scheduler(database_url: str) -> None:
    harness = Harness.create(database_url, ManualClock(T0), {"nudge": parse_playbook(NUDGE)})
    try:
        await harness.seed(["nudge"])
        await harness.dispatcher.handle(joined("U-bob"))
        assert await harness.scheduler.tick() == 0
        harness.clock.advance(timedelta(hours=2))
        assert await harness.scheduler.tick() == 0, "06:00 in New York, Bob's timezone"
        harness.clock.advance(timedelta(hours=3))
        assert await harness.scheduler.tick() == 1, "09:00 in New York"
        assert await harness.scheduler.tick() == 0, "woken once"
        [dm] = await harness.deliveries()
        assert dm.action["text"] == "Still with us, Bob?"
    finally:
        await harness.store.close()


async def test_a_cron_ritual_fires_once_even_with_two_processes(database_url: str) -> None:
    library = {"weekly": parse_playbook(WEEKLY)}
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(days=2))
    first = Harness.create(database_url, clock, library)
    second = Harness.create(database_url, clock, library)
    try:
        await first.seed(["weekly"])
        assert await first.scheduler.tick() + await second.scheduler.tick() == 0
        clock.advance(timedelta(days=2, seconds=5))
        assert await first.scheduler.tick() + await second.scheduler.tick() == 1
        assert await first.scheduler.tick() + await second.scheduler.tick() == 0
        [post] = await first.deliveries()
        assert (post.recipient, post.action["text"]) == ("C-data", "Nouvelle semaine !")
    finally:
        await first.store.close()
        await second.store.close()


async def test_two_processes_firing_the_same_occurrence_at_once_start_one_run(
    database_url: str,
) -> None:
    library = {"weekly": parse_playbook(WEEKLY)}
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(days=2))
    first = Harness.create(database_url, clock, library)
    second = Harness.create(database_url, clock, library)  # its own connections
    try:
        await first.seed(["weekly"])
        clock.advance(timedelta(days=2, seconds=5))
        fires: list[Fire] = []

        async def spotted(fire: Fire) -> bool:
            fires.append(fire)
            return False

        spotter = Scheduler(first.store, first.dispatcher.handle, spotted, library, clock)
        await spotter.tick()
        [fire] = fires  # what both processes' schedulers found due, handed to both at once
        fired = await asyncio.gather(
            first.dispatcher.fire_schedule(fire), second.dispatcher.fire_schedule(fire)
        )
        assert sorted(fired) == [False, True]
        [run] = await first.runs()
        assert run.playbook == "weekly"
        [post] = await first.deliveries()
        assert post.action["text"] == "Nouvelle semaine !"
    finally:
        await first.store.close()
        await second.store.close()


async def test_two_processes_waking_the_same_due_run_at_once_move_it_once(
    database_url: str,
) -> None:
    library = {"nudge": parse_playbook(NUDGE)}
    clock = ManualClock(T0)
    first = Harness.create(database_url, clock, library)
    second = Harness.create(database_url, clock, library)
    try:
        await first.seed(["nudge"])
        await first.dispatcher.handle(joined("U-bob"))
        clock.advance(timedelta(hours=5))  # 09:00 in New York: the wait is over
        ticks: list[ev.Event] = []

        async def spotted(event: ev.Event) -> DispatchResult:
            ticks.append(event)
            return "processed"

        spotter = Scheduler(first.store, spotted, first.dispatcher.fire_schedule, library, clock)
        assert await spotter.tick() == 1
        [tick] = ticks  # the wake-up both processes' schedulers found due, to both at once
        results = await asyncio.gather(
            first.dispatcher.handle(tick), second.dispatcher.handle(tick)
        )
        assert sorted(results) == ["duplicate", "processed"]
        [dm] = await first.deliveries()
        assert dm.action["text"] == "Still with us, Bob?"
        [run] = await first.runs()
        assert run.status == "done"
        assert await first.scheduler.tick() + await second.scheduler.tick() == 0
    finally:
        await first.store.close()
        await second.store.close()


async def test_a_fire_missed_beyond_the_grace_window_is_skipped_and_recorded(
    database_url: str,
) -> None:
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(days=1))
    harness = Harness.create(database_url, clock, {"weekly": parse_playbook(WEEKLY)})
    try:
        await harness.seed(["weekly"])
        clock.advance(timedelta(days=1, hours=3))  # the bot was down from Sunday to 12:30
        assert await harness.scheduler.tick() == 0
        assert await harness.deliveries() == []
        async with harness.store.transaction() as tx:
            rows = (await tx.session.execute(select(ScheduleOccurrence))).scalars().all()
        assert [(r.fire_at, r.outcome) for r in rows] == [(MONDAY_0930_PARIS, "skipped")]
        clock.advance(timedelta(days=7))  # next Monday, on time
        clock.now = MONDAY_0930_PARIS + timedelta(days=7, minutes=10)
        assert await harness.scheduler.tick() == 1
    finally:
        await harness.store.close()


async def test_event_keys_are_forgotten_after_the_retention(harness: Harness) -> None:
    event = joined("U-bob")
    assert await harness.dispatcher.handle(event) == "processed"
    harness.clock.advance(timedelta(days=6))
    await harness.scheduler.tick()
    assert await harness.dispatcher.handle(event) == "duplicate", "still within a week"
    harness.clock.advance(timedelta(days=1, hours=2))
    await harness.scheduler.tick()
    async with harness.store.transaction() as tx:
        assert await tx.activity.mark_processed(f"local:demo:{event.key}", harness.clock())


async def test_an_each_member_ritual_asks_every_member_who_is_still_there(
    database_url: str,
) -> None:
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(days=1))
    harness = Harness.create(database_url, clock, {"monday": parse_playbook(EACH_MEMBER_MONDAY)})
    try:
        await harness.seed(["monday"])
        for user in ("U-alice", "U-bob", "U-chloe"):
            await harness.dispatcher.handle(joined(user))
        left = ev.MemberLeft(
            workspace=WORKSPACE,
            key=key(),
            occurred_at=clock(),
            channel="C-data",
            member=ev.MemberProfile("U-chloe"),
        )
        await harness.dispatcher.handle(left)
        clock.advance(timedelta(days=1, minutes=1))
        assert await harness.scheduler.tick() == 1
        asked = {d.recipient: d.action["text"] for d in await harness.deliveries()}
        assert asked == {"U-alice": "Votre objectif cette semaine ?"}, "09:30 in Paris"
        assert await harness.scheduler.tick() == 0, "once per fire"
        clock.advance(timedelta(hours=6))
        assert await harness.scheduler.tick() == 1
        asked = {d.recipient: d.action["text"] for d in await harness.deliveries()}
        assert asked["U-bob"] == "Your goal this week?", "09:30 in New York, Bob's timezone"
        assert len(asked) == 2
    finally:
        await harness.store.close()


async def test_a_community_can_move_a_ritual_to_another_day(database_url: str) -> None:
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(hours=1))
    harness = Harness.create(database_url, clock, {"weekly": parse_playbook(WEEKLY)})
    try:
        await harness.seed(["weekly"])
        async with harness.store.transaction() as tx:
            community = await tx.directory.community_by_channel(1, "C-data")
            assert community is not None and community.id is not None
            await tx.directory.set_playbook_settings(
                community.id, "weekly", {"schedule": "0 10 * * tue"}, clock()
            )
        clock.advance(timedelta(hours=2))  # Monday 10:30 in Paris
        assert await harness.scheduler.tick() == 0, "no longer on Mondays"
        clock.advance(timedelta(days=1))  # Tuesday 10:30
        assert await harness.scheduler.tick() == 1
        [post] = await harness.deliveries()
        assert post.action["text"] == "Nouvelle semaine !"
    finally:
        await harness.store.close()


async def test_one_run_that_fails_does_not_hold_up_the_others(database_url: str) -> None:
    harness = Harness.create(database_url, ManualClock(T0), {"nudge": parse_playbook(NUDGE)})
    try:
        await harness.seed(["nudge"])
        for user in ("U-alice", "U-chloe"):  # both in Paris
            await harness.dispatcher.handle(joined(user))
        first, second = await harness.runs()

        async def flaky(event: ev.Event) -> DispatchResult:
            if isinstance(event, ev.Tick) and event.run_id == first.id:
                raise RuntimeError("boom")
            return await harness.dispatcher.handle(event)

        scheduler = Scheduler(
            harness.store, flaky, harness.dispatcher.fire_schedule, {}, harness.clock
        )
        harness.clock.advance(timedelta(hours=2))
        assert await scheduler.tick() == 1, "the other run is woken"
        assert [d.recipient for d in await harness.deliveries()] == [second.subject]
    finally:
        await harness.store.close()
