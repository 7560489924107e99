"""The bundled rituals, run on the virtual clock against a real database: onboarding and weekly
check-ins land in each member's working hours, remind once, skip holidays, respect opt-outs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.runtime.demo import DEMO_WORKSPACE as WORKSPACE_DEMO
from bot.runtime.simulation import CHANNEL, FACILITATOR, WORKSPACE, Sent, SimMember, Simulation
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.tables import Answer, ScheduleOccurrence
from tests.builders import joined
from tests.conftest import Harness

LIBRARY = load_library()
PARIS, NEW_YORK, SINGAPORE = "Europe/Paris", "America/New_York", "Asia/Singapore"
FAST = timedelta(minutes=5)


def local(sent: Sent, timezone: str) -> datetime:
    return sent.at.astimezone(ZoneInfo(timezone))


def in_working_hours(moment: datetime) -> bool:
    return moment.weekday() < 5 and 9 <= moment.hour < 18


def to(sim: Simulation, user: str) -> list[Sent]:
    return [
        s
        for s in sim.recorder.sent
        if s.recipient == user and not isinstance(s.action, act.UpdateMessage)
    ]


@pytest.mark.parametrize("timezone", [PARIS, NEW_YORK])
async def test_onboarding_prompts_land_in_the_members_working_hours(
    database_url: str, timezone: str
) -> None:
    tuesday_17h_paris = datetime(2026, 11, 24, 17, 0, tzinfo=ZoneInfo(PARIS))
    newcomer = SimMember("U-new", "Noor", timezone, answer_rate=1.0, delay=FAST)
    welcome = {"welcome": LIBRARY["welcome"]}
    async with Simulation(welcome, tuesday_17h_paris, database_url=database_url) as sim:
        await sim.join(newcomer)
        await sim.run_until(tuesday_17h_paris + timedelta(days=8))
        sent = to(sim, "U-new")

    def first(fragment: str) -> datetime:
        return next(local(s, timezone) for s in sent if fragment in s.text)

    joined = tuesday_17h_paris.astimezone(ZoneInfo(timezone))
    day1 = first("Ready to introduce yourself")
    day3 = first("Three useful things")
    day7 = first("Did you find what you came for?")
    assert day1 - joined >= timedelta(days=1)
    assert day3 - joined >= timedelta(days=3)
    assert day7 - joined >= timedelta(days=7)
    later = [local(s, timezone) for s in sent if local(s, timezone) > joined + timedelta(hours=1)]
    assert later and all(in_working_hours(moment) for moment in later), later
    if timezone == PARIS:  # answered at 17:10: Wednesday 17:10 is still working time
        assert (day1.weekday(), day1.hour) == (2, 17)
    else:  # 11:00 in New York when joining: Wednesday late morning there
        assert (day1.weekday(), day1.hour) == (2, 11)


async def test_weekly_checkins_in_three_timezones(database_url: str) -> None:
    monday = datetime(2026, 11, 30, 7, 0, tzinfo=ZoneInfo(PARIS))
    zones = (PARIS, NEW_YORK, SINGAPORE)
    members = [
        SimMember(
            f"U-{i:02d}",
            f"Member {i:02d}",
            zones[i % 3],
            answer_rate=0.0 if i % 5 == 0 else 1.0,
            delay=FAST,
        )
        for i in range(30)
    ]
    silent = {m.user_id for m in members if m.answer_rate == 0}
    opted_out = {"U-01", "U-02", "U-03"}
    checkin = {"checkin": LIBRARY["checkin"]}
    async with Simulation(
        checkin, monday, holidays=["2026-12-07"], database_url=database_url
    ) as sim:
        for member in members:
            await sim.join(member)
        for user in opted_out:
            await sim.dispatch(
                ev.CommandInvoked(
                    workspace=WORKSPACE,
                    key=f"optout-{user}",
                    occurred_at=monday,
                    channel=CHANNEL,
                    member=ev.MemberProfile(user),
                    name="optout",
                    args=("checkin",),
                )
            )
        sim.recorder.sent.clear()  # the command replies
        await sim.run_until(monday + timedelta(days=15))
        async with sim.store.transaction() as tx:
            rows = await tx.session.execute(
                select(ScheduleOccurrence.outcome).where(ScheduleOccurrence.playbook == "checkin")
            )
            outcomes = sorted(rows.scalars().all())

        by_member = {m.user_id: to(sim, m.user_id) for m in members}
        for user in opted_out:
            assert by_member[user] == [], "opted-out members are never contacted"
        for member in members:
            if member.user_id in opted_out:
                continue
            questions = [s for s in by_member[member.user_id] if "objective this week" in s.text]
            first, *others = questions
            asked_at = local(first, member.timezone)
            assert (asked_at.weekday(), asked_at.hour, asked_at.minute) == (0, 9, 30)
            assert asked_at.date().isoformat() in ("2026-11-30", "2026-12-14")
            reminders = [s for s in others if "reminder" in s.text]
            asked_again_later = [s for s in others if "reminder" not in s.text]
            weeks_asked = 1 + len(asked_again_later)
            if member.user_id in silent:
                assert len(reminders) == weeks_asked, "one reminder each week asked"
            else:
                assert reminders == [], "members who answered get no reminder"
            assert all(local(s, member.timezone).day == 14 for s in asked_again_later)
            results = [s for s in by_member[member.user_id] if "Did you reach it?" in s.text]
            if member.user_id not in silent and asked_at.day == 30:
                [friday] = [s for s in results if local(s, member.timezone).day == 4]
                assert (local(friday, member.timezone).hour, friday.at.minute) == (15, 0)

        # Monday 7 December is a holiday: nobody is asked, the digest still goes out
        assert not [
            s
            for s in sim.recorder.sent
            if "objective this week" in s.text and local(s, PARIS).date().day == 7
        ]
        assert outcomes.count("holiday") == 3, "Paris, New York and Singapore each skip it"
        assert "started" in outcomes
        # week 1: Singapore's Monday 09:30 came before the start; opted-out members not asked
        week1 = {m.user_id for m in members if m.timezone != SINGAPORE} - opted_out
        answered = len(week1 - silent)
        rate = round(100 * answered / len(week1))
        async with sim.store.transaction() as tx:
            rows = await tx.session.execute(select(Answer.value).where(Answer.key == "result"))
            results = Counter(rows.scalars().all())
        assert sum(results.values()) == answered
        digests = [
            s.text
            for s in sim.recorder.sent
            if s.recipient == FACILITATOR and local(s, PARIS).day == 7
        ]
        assert digests == [
            f"Weekly check-in, Community: {answered} of {len(week1)} members answered ({rate} %); "
            f"objectives done {results['done']}, partly {results['partly']}, "
            f"not reached {results['not']}. Target engagement: 60 %."
        ]
        [post] = [
            s.text for s in sim.recorder.sent if s.recipient == CHANNEL and local(s, PARIS).day == 7
        ]
        named = {line.split("*")[1] for line in post.splitlines()[1:]}
        assert named == {m.name for m in members if m.user_id in week1 - silent}


async def test_a_restart_between_question_and_answer_loses_nothing_and_asks_nothing_twice(
    database_url: str,
) -> None:
    clock = ManualClock(datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(PARIS)))
    before = Harness.create(database_url, clock)
    await before.seed(["checkin"])
    await before.dispatcher.handle(joined("U-alice"))
    clock.advance(timedelta(minutes=31))
    assert await before.scheduler.tick() == 1
    [question] = await before.deliveries()
    callback = question.action["callback"]
    await before.store.close()  # the process stops; another one starts on the same database

    after = Harness.create(database_url, clock)
    try:
        clock.advance(timedelta(hours=1))
        await after.scheduler.tick()  # London's 09:30 comes: nobody there
        submitted = ev.FormSubmitted(
            workspace=WORKSPACE_DEMO,
            key="answer-1",
            occurred_at=clock(),
            member=ev.MemberProfile("U-alice"),
            callback=callback,
            values={"answer": "Publier le guide"},
        )
        assert await after.dispatcher.handle(submitted) == "processed"
        clock.advance(timedelta(hours=5))  # past the reminder time
        await after.scheduler.tick()
        [run] = await after.runs()
        assert callback == f"run:{run.id}:objective"
        assert (run.step, run.variables) == ("until-friday", {"objective": "Publier le guide"})
        deliveries = await after.deliveries()
        assert [d.action["callback"] for d in deliveries] == [callback], "asked once, no reminder"
    finally:
        await after.store.close()


async def test_facilitators_get_the_newcomers_expectations_and_ratings(
    database_url: str,
) -> None:
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(PARIS))
    welcome = {"welcome": LIBRARY["welcome"]}
    async with Simulation(welcome, tuesday, locale="fr", database_url=database_url) as sim:
        await sim.join(SimMember("U-ada", "Ada", PARIS, "fr", answer_rate=1.0, delay=FAST))
        await sim.join(SimMember("U-bo", "Bo", NEW_YORK, "en", answer_rate=0.0))
        await sim.run_until(tuesday + timedelta(days=14))
        digests = [s for s in sim.recorder.sent if s.recipient == FACILITATOR]
        async with sim.store.transaction() as tx:
            rows = await tx.session.execute(select(Answer.value).where(Answer.key == "checkback"))
            [rating] = rows.scalars().all()

    first, second = digests
    assert (
        local(first, PARIS).strftime("%a %H:%M")
        == local(second, PARIS).strftime("%a %H:%M")
        == "Mon 09:00"
    )
    assert first.text.startswith(
        "👋 Nouveaux membres de Communauté ces deux dernières semaines : 2"
    )
    assert "• Ada — attend : « Ada: ma réponse »" in first.text
    assert "Bo" not in first.text, "silent newcomers are counted, not listed"
    assert f"a trouvé ce qu'il ou elle cherchait : {rating}/5" in second.text


def facilitator_command(line: str, at: datetime) -> ev.CommandInvoked:
    name, *args = line.split()
    return ev.CommandInvoked(
        workspace=WORKSPACE,
        key=f"cmd-{line}-{at.isoformat()}",
        occurred_at=at,
        channel=CHANNEL,
        member=ev.MemberProfile(FACILITATOR),
        name=name,
        args=tuple(args),
    )


async def test_the_digest_reports_last_week_even_for_members_ahead_of_the_community(
    database_url: str,
) -> None:
    sunday_noon_ny = datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo(NEW_YORK))
    members = [
        SimMember(
            f"U-{i}", f"Member {i}", (SINGAPORE, NEW_YORK)[i % 2], answer_rate=1.0, delay=FAST
        )
        for i in range(6)
    ]
    checkin = {"checkin": LIBRARY["checkin"]}
    async with Simulation(
        checkin, sunday_noon_ny, timezone=NEW_YORK, database_url=database_url
    ) as sim:
        for member in members:
            await sim.join(member)
        await sim.run_until(sunday_noon_ny + timedelta(days=8))  # Monday 7 December, evening
        [post] = [s.text for s in sim.recorder.sent if s.recipient == CHANNEL]
        [summary] = [s.text for s in sim.recorder.sent if s.recipient == FACILITATOR]

    # Singapore's Monday 09:30 comes before New York's 09:00 digest: that new week is not in it
    lines = post.splitlines()[1:]
    assert len(lines) == 6 and all("→" in line for line in lines), "objectives with results"
    assert summary.startswith("Weekly check-in, Community: 6 of 6 members answered (100 %)")


async def test_checkin_now_before_the_scheduled_one_asks_each_member_once(
    database_url: str,
) -> None:
    monday_0845 = datetime(2026, 11, 30, 8, 45, tzinfo=ZoneInfo(PARIS))
    members = [
        SimMember(f"U-{i}", f"Member {i}", PARIS, answer_rate=1.0, delay=FAST) for i in range(6)
    ]
    async with Simulation(
        {"checkin": LIBRARY["checkin"]}, monday_0845, database_url=database_url
    ) as sim:
        for member in members:
            await sim.join(member)
        await sim.dispatch(facilitator_command("checkin now", monday_0845))
        await sim.run_until(monday_0845 + timedelta(days=7, hours=1))
        asked = [s for s in sim.recorder.sent if "objective this week" in s.text]
        told = [s.text for s in sim.recorder.sent if s.recipient == FACILITATOR]
        [summary] = [t for t in told if t.startswith("Weekly check-in,")]
        [launched] = [t for t in told if t.startswith("Weekly check-in in")]

    assert launched == (
        "Weekly check-in in Community: 0 member(s) asked now, 6 later (outside their working "
        "hours)."
    ), "08:45: before everyone's working time"
    first_week = [s for s in asked if local(s, PARIS).day == 30 and "reminder" not in s.text]
    # the facilitator typed a command there but never joined: not a member, not asked
    everyone = sorted(m.user_id for m in members)
    assert sorted(s.recipient for s in first_week) == everyone, "each once, none at 09:30"
    # 08:45 is before working time: asked at 09:00, and not again at the regular 09:30
    assert {local(s, PARIS).strftime("%H:%M") for s in first_week} == {"09:00"}
    assert summary.startswith("Weekly check-in, Community: 6 of 6 members answered (100 %)")
