"""Working days: written as people write them (en/fr, lists, ranges), set with ``community setup
working_days=…``, shown, and honoured — a community that works on weekends gets its rituals then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.runtime.clock import ManualClock
from playbooks.loader import parse_playbook
from playbooks.weekdays import BadDays, format_days, parse_days
from storage.tables import ScheduleOccurrence
from tests.builders import command, joined
from tests.conftest import Harness
from tests.test_commands import say


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("mon-fri", [0, 1, 2, 3, 4]),
        ("mon-sun", [0, 1, 2, 3, 4, 5, 6]),
        ("sat-sun", [5, 6]),
        ("mon,wed,fri", [0, 2, 4]),
        ("Mon, Wed ,FRI", [0, 2, 4]),
        ("fri-mon", [0, 4, 5, 6]),
        ("sun-tue", [0, 1, 6]),
        ("tue", [1]),
        ("mon - thu, sat", [0, 1, 2, 3, 5]),
        ("mon–fri", [0, 1, 2, 3, 4]),
        ("monday-friday", [0, 1, 2, 3, 4]),
        ("lun-ven", [0, 1, 2, 3, 4]),
        ("lun-dim", [0, 1, 2, 3, 4, 5, 6]),
        ("mar,jeu", [1, 3]),
        ("sam-dim", [5, 6]),
        ("lundi,mercredi,vendredi", [0, 2, 4]),
        ("ven-lun", [0, 4, 5, 6]),
        ("mon,mon-tue", [0, 1]),
        ("wed-wed", [2]),
    ],
)
def test_working_days_are_read_as_people_write_them(written: str, days: list[int]) -> None:
    assert parse_days(written) == days


@pytest.mark.parametrize(
    ("written", "kind", "value"),
    [
        ("funday", "day", "funday"),
        ("mon-funday", "day", "funday"),
        ("1-5", "day", "1"),
        ("mon-", "range", "mon-"),
        ("mon-wed-fri", "range", "mon-wed-fri"),
        (",", "empty", ","),
        ("lun-sab", "day", "sab"),
    ],
)
def test_what_names_no_day_is_refused_with_what_is_wrong(
    written: str, kind: str, value: str
) -> None:
    with pytest.raises(BadDays) as raised:
        parse_days(written)
    assert (raised.value.kind, raised.value.value) == (kind, value)


def test_working_days_are_written_back_as_ranges_people_can_read_and_type() -> None:
    assert format_days([0, 1, 2, 3, 4]) == "mon-fri"
    assert format_days([0, 1, 2, 3, 4], "fr") == "lun-ven"
    assert format_days(range(7)) == "mon-sun"
    assert format_days([0, 2, 4]) == "mon, wed, fri"
    assert format_days([0, 4, 5, 6]) == "fri-mon", "a run across the week's end stays one"
    assert format_days([5, 6], "fr") == "sam-dim"
    for days in ([0, 2, 4], [0, 4, 5, 6], [1], list(range(7)), [0, 1, 3, 5, 6]):
        for locale in ("en", "fr"):
            assert parse_days(format_days(days, locale)) == days


async def test_a_facilitator_sets_the_working_days_and_everyone_sees_them(
    harness: Harness,
) -> None:
    shown = await say(harness, "U-bob", "community show")
    assert "Working days: mon-fri · Working hours: 09:00-18:00" in shown
    assert await say(harness, "U-dan", "community setup working_days=mon-sun") == (
        "Data & IA updated: working_days."
    )
    assert "Working days: mon-sun ·" in await say(harness, "U-bob", "community show")
    await say(harness, "U-dan", 'community setup working_days="lun, mer, ven-sam"')
    assert "Working days: mon, wed, fri-sat ·" in await say(harness, "U-bob", "community show")
    french = await say(harness, "U-alice", "community show")  # Alice reads French
    assert "Jours travaillés : lun, mer, ven-sam · Horaires : 09:00-18:00" in french
    assert (await say(harness, "U-bob", "community setup working_days=mon-sun")).startswith(
        "Only the facilitators of Data & IA"
    )


async def test_bad_working_days_change_nothing_and_say_what_is_wrong(harness: Harness) -> None:
    reply = await say(harness, "U-dan", "community setup working_days=mon-funday target=70")
    assert reply.splitlines()[0] == (
        "working_days: “funday” is not a day of the week (write e.g. mon-fri, mon,wed,fri or "
        "mon-sun; lun-ven in French)"
    )
    assert reply.splitlines()[1].startswith("Usage: /animateur community show | setup [")
    assert "working_days=mon-fri" in reply.splitlines()[1]
    reply = await say(harness, "U-dan", "community setup working_days=mon-wed-fri")
    assert reply.startswith("working_days: “mon-wed-fri” is not a range of days (write e.g.")
    reply = await say(harness, "U-dan", "community setup working_days=,")
    assert reply.startswith("working_days: at least one working day (e.g. mon-fri)")
    await say(harness, "U-dan", "language fr")
    reply = await say(harness, "U-dan", "community setup working_days=lun-sab")
    assert reply.startswith("working_days : « sab » n'est pas un jour de la semaine")
    shown = await say(harness, "U-dan", "community show")
    assert "Jours travaillés : lun-ven ·" in shown and "Engagement cible : 60 %" in shown


async def test_the_setup_form_shows_and_changes_the_working_days(harness: Harness) -> None:
    await harness.dispatcher.handle(command("U-dan", "community setup"))
    [offered] = [d.action for d in await harness.deliveries() if d.action["type"] == "OpenForm"]
    field = next(f for f in offered["fields"] if f["name"] == "working_days")
    assert (field["label"], field["value"], field["hint"]) == (
        "Working days",
        "mon-fri",
        "e.g. mon-fri, mon-sun, mon,wed,fri",
    )


#: a ritual posting in the channel every Saturday at 10:00 community time
SATURDAY = """
name: saturday
title: {en: Saturday, fr: Samedi}
description: {en: test, fr: test}
trigger: {on: schedule, cron: "0 10 * * sat"}
steps:
  - id: post
    kind: post_to_community
    text: {en: "Weekend shift!", fr: "Équipe du week-end !"}
"""
#: Saturday 28 November 2026, 10:00 in Paris
SATURDAY_10_PARIS = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def saturday_outcomes(database_url: str, days: str) -> tuple[list[str], list[str]]:
    """A community with ``days`` working days and the Saturday ritual on: what its Saturday
    fire was recorded as, and what it posted."""
    clock = ManualClock(SATURDAY_10_PARIS - timedelta(days=1))
    harness = Harness.create(database_url, clock, {"saturday": parse_playbook(SATURDAY)})
    try:
        await harness.seed(["saturday"])
        await say(harness, "U-dan", f"community setup working_days={days}")
        clock.advance(timedelta(days=1, seconds=5))
        await harness.scheduler.tick()
        async with harness.store.transaction() as tx:
            rows = await tx.session.execute(select(ScheduleOccurrence.outcome))
            outcomes = list(rows.scalars().all())
        posts = [
            d.action["text"]
            for d in await harness.deliveries()
            if d.action["type"] == "PostToCommunity"
        ]
        return outcomes, posts
    finally:
        await harness.store.close()


@pytest.mark.parametrize(
    ("days", "outcome", "posts"),
    [
        ("mon-sun", "started", ["Équipe du week-end !"]),
        ("lun-dim", "started", ["Équipe du week-end !"]),
        ("mon-fri", "holiday", []),  # the default: Saturday is skipped
    ],
)
async def test_a_community_working_every_day_gets_its_ritual_on_saturday(
    database_url: str, days: str, outcome: str, posts: list[str]
) -> None:
    assert await saturday_outcomes(database_url, days) == ([outcome], posts)


@pytest.mark.parametrize(("days", "now", "later"), [("mon-sun", 2, 0), ("mon-fri", 0, 2)])
async def test_a_check_in_run_on_saturday_asks_at_once_where_saturday_is_worked(
    database_url: str, days: str, now: int, later: int
) -> None:
    """Saturday 10:00 in Paris, 09:00 in London: a mon-sun community's members are asked now,
    a mon-fri one's on Monday (their next working time)."""
    harness = Harness.create(database_url, ManualClock(SATURDAY_10_PARIS))
    try:
        await harness.seed(["checkin"])
        await harness.dispatcher.handle(joined("U-alice"))  # in Paris; Dan, in London, is a
        await harness.dispatcher.handle(joined("U-dan"))  # member too: he joined
        await say(harness, "U-dan", f"community setup working_days={days}")
        await say(harness, "U-dan", "rituals run checkin")
        told = [
            d.action["text"]
            for d in await harness.deliveries()
            if d.recipient == "U-dan" and d.action["type"] == "SendDirectMessage"
        ]
        assert told[-1] == (
            f"Weekly check-in in Data & IA: {now} member(s) asked now, {later} later "
            "(outside their working hours)."
        )
        asked = [
            d.recipient
            for d in await harness.deliveries()
            if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
        ]
        assert sorted(asked) == (["U-alice", "U-dan"] if now else [])
        if later:  # Monday 09:00 in London, 10:00 in Paris: both asked then
            harness.clock.advance(timedelta(days=2))
            await harness.scheduler.tick()
            asked = [
                d.recipient
                for d in await harness.deliveries()
                if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
            ]
            assert sorted(set(asked)) == ["U-alice", "U-dan"], "(a reminder repeats it)"
    finally:
        await harness.store.close()
