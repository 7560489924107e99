"""Every figure of the community pulse (issue 11 §2), computed on a hand-built history
(tests/pulse_support.py) and asserted value by value, on SQLite and PostgreSQL.

Members at 2026-11-30 12:00: Alice, Bob, Chloé, Dan (facilitator), Emma (sponsor), Ivy (found on
the roster, never joined through an event), and the newcomers Gus, Jay, Finn, Kim and Max — 11.
Hana and Leo left; the bot is never one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.runtime.experts import mark_solved
from bot.runtime.pulse_report import community_report
from storage.tables import Run
from tests.builders import WORKSPACE
from tests.conftest import Harness
from tests.pulse_support import (
    CHANNEL,
    REPORT_AT,
    at,
    build_history,
    happen,
    joined,
    posted,
    reacted,
)
from tests.test_history_queries import recorded


async def solved(harness: Harness, message_id: str, when: datetime) -> None:
    """The asker of ``message_id`` says it is solved (the experts ritual's question)."""
    async with harness.store.transaction() as tx:
        community = await tx.directory.community(1)
        assert community is not None
        assert await mark_solved(tx, community, message_id, when)


async def solved_history(harness: Harness) -> None:
    """The history, with p2 solved on its day and p1 weeks after it was answered."""
    await build_history(harness)
    await solved(harness, "p2", at(11, 10, 17))
    await solved(harness, "p1", at(11, 20))


async def report(harness: Harness, **options: Any) -> dict[str, Any]:
    built = await community_report(
        harness.store, WORKSPACE, options.pop("channel", CHANNEL), options.pop("at", REPORT_AT),
        **{"weeks": 4, "links": True, **options},
    )  # fmt: skip
    return built.as_json()


async def test_every_figure_on_a_hand_built_history(harness: Harness) -> None:
    await solved_history(harness)
    got = await report(harness)

    assert got["members"] == 11
    # active: posted, replied or reacted in the window, and a member at t. 7 days: Alice (p5),
    # Bob (a reaction at 13:00 on the window's first day), Dan (a reply to the bot's post),
    # Emma, Finn, Gus (a reaction at 11:00 on t's day), Jay, Kim, Max — not Chloé (her reaction
    # came at 11:00, an hour before the window), nor Ivy (her reaction taken back, her DM and
    # her post in another channel do not count), nor Hana (posted, but left)
    assert (got["active_7d"], got["active_7d_pct"]) == (9, 81.8)
    # 28 days: those and Chloé — Ivy's other reaction came at 11:00 on 11-02, before 12:00
    assert (got["active_28d"], got["active_28d_pct"]) == (10, 90.9)
    # posts and replies still counting: Alice 4, Chloé 4, Dan 3 (p6 edited is still a post),
    # Finn 2, Bob 1 (p8 and r5 deleted), Emma 1, Jay 1 (p11 came after t), Kim 1
    assert (got["contributors_28d"], got["contributors_28d_pct"]) == (8, 72.7)
    assert got["participation_28d"] == {"lurkers": 3, "occasional": 6, "regular": 2}
    # p1 (30 min), p2 (120), p7 (edited into a question: 45), p5 (60: Bob's 10-minute reply
    # was deleted), p3 (only its asker replied), p4 (asked 16 h before t); p6 edited out of
    # being a question, p8 deleted
    assert got["questions_28d"] == {
        "asked": 6,
        "answered": 4,
        "answered_pct": 66.7,
        "median_first_answer_minutes": 52.5,
        "p90_first_answer_minutes": 102.0,
        "unanswered_over_48h": 1,
        "unanswered_links": [
            {"channel": CHANNEL, "message_id": "p3", "asked_at": "2026-11-20T08:00:00Z"}
        ],
        "solved": 2,  # p1 and p2, as their askers said
        "solved_pct": 50.0,  # of the 4 answered
    }
    # Gus, Jay, Finn, Kim, Max joined and stayed (Leo left; Ivy's join date is unknown); Finn
    # and Kim posted within 14 days, Jay 14 days and an hour after joining
    assert got["newcomers_28d"] == {"joined": 5, "contributed_within_14d": 2}
    # welcome runs begun in the window: Leo, Gus, Jay, Finn, Kim, Max; Gus, Finn, Kim answered
    assert got["rituals"] == {"welcome": {"asked": 6, "answered": 3, "response_rate_pct": 50.0}}
    # Alice–Chloé, Bob–Dan, Alice–Emma, Bob–Chloé, Finn–Max, Finn–Gus (not Kim–Hana: she left;
    # not Alice–Bob: deleted; not Ivy–Bob: taken back, or before the window; not Dan and the
    # bot; not Jay and himself)
    assert got["reciprocity_28d"] == 6
    assert got["sponsors_last_active"] == "2026-11-25T11:00:00Z"  # Emma's reply r6
    assert got["facilitators_last_active"] == "2026-11-27T10:00:00Z"  # Dan's reply to the bot
    assert got["target_engagement_pct"] == 60
    assert got["gap_points"] == -30.9
    # each week's questions are fewer than 5: their rate and answer time are withheld (they
    # could point at someone), as over 28 days
    weekly = ("answered_pct", "median_first_answer_minutes")
    assert [{k: w[k] for k in ("week", "members", "active_pct", "contributors_pct", *weekly)}
            for w in got["weeks"]] == [
        {"week": "2026-W45", "members": 8, "active_pct": 50.0, "contributors_pct": 25.0,
         "answered_pct": None, "median_first_answer_minutes": None},  # Leo was still there
        {"week": "2026-W46", "members": 9, "active_pct": 44.4, "contributors_pct": 44.4,
         "answered_pct": None, "median_first_answer_minutes": None},
        {"week": "2026-W47", "members": 10, "active_pct": 10.0, "contributors_pct": 10.0,
         "answered_pct": None, "median_first_answer_minutes": None},
        {"week": "2026-W48", "members": 11, "active_pct": 81.8, "contributors_pct": 54.5,
         "answered_pct": None, "median_first_answer_minutes": None},
    ]  # fmt: skip
    assert [w["start"] for w in got["weeks"]] == [
        "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"
    ]  # fmt: skip
    assert got["withheld"] == {
        "weeks.2026-W45.answered_pct": "fewer than 5",
        "weeks.2026-W45.median_first_answer_minutes": "fewer than 5",
        "weeks.2026-W46.answered_pct": "fewer than 5",
        "weeks.2026-W46.median_first_answer_minutes": "fewer than 5",
        "weeks.2026-W47.answered_pct": "fewer than 5",
        "weeks.2026-W47.median_first_answer_minutes": "no answered question",
        "weeks.2026-W48.answered_pct": "fewer than 5",
        "weeks.2026-W48.median_first_answer_minutes": "fewer than 5",
    }


async def test_a_moment_in_the_past_sees_only_what_had_happened(harness: Harness) -> None:
    await solved_history(harness)
    got = await report(harness, at=at(11, 14, 10, 15), weeks=0)  # p8 asked, not deleted yet

    # members then: Alice, Bob, Chloé, Dan, Emma, Hana, Ivy, Gus (Leo left on 11-12)
    assert got["members"] == 8
    # p1, p2, p7 answered by then; p8, deleted since, never counts (its text is gone too);
    # a rate and answer times over 3 questions are withheld (fewer than 5)
    assert got["questions_28d"] == {
        "asked": 3,
        "answered": 3,
        "answered_pct": None,
        "median_first_answer_minutes": None,
        "p90_first_answer_minutes": None,
        "unanswered_over_48h": 0,
        "unanswered_links": [],
        "solved": 1,  # p2; p1 was said solved only later
        "solved_pct": None,
    }
    assert {k: v for k, v in got["withheld"].items() if k.startswith("questions_28d.")} == {
        "questions_28d.answered_pct": "fewer than 5",
        "questions_28d.solved_pct": "fewer than 5",
        "questions_28d.median_first_answer_minutes": "fewer than 5",
        "questions_28d.p90_first_answer_minutes": "fewer than 5",
    }
    assert got["facilitators_last_active"] == "2026-11-12T10:00:00Z"  # Dan's p6
    assert got["weeks"] == []


async def test_figures_over_fewer_than_5_people_are_withheld_with_the_reason(
    harness: Harness,
) -> None:
    for user in ("alice", "bob", "chloe", "dan"):
        await happen(harness, joined(user, at(11, 24)))
    await happen(harness, posted("alice", "q1", at(11, 25), question=True))
    await happen(harness, posted("bob", "a1", at(11, 25, 9, 20), thread="q1"))
    await happen(harness, reacted("chloe", "q1", at(11, 26)))
    got = await report(harness, weeks=1)

    assert got["members"] == 4
    small = [
        "active_7d",
        "active_7d_pct",
        "active_28d",
        "active_28d_pct",
        "contributors_28d",
        "contributors_28d_pct",
        "participation_28d",
        "questions_28d",
        "newcomers_28d",
        "reciprocity_28d",
        "recognition_28d",
        "gap_points",
    ]
    assert {name: got[name] for name in small} == dict.fromkeys(small)  # null, never zero
    assert got["rituals"] == {"welcome": None}  # four welcomed
    assert got["withheld"] == {
        **dict.fromkeys(small, "fewer than 5"),
        "rituals.welcome": "fewer than 5",
        "sponsors_last_active": "never active",  # Emma never did anything there
        "facilitators_last_active": "never active",  # Dan only joined
        "weeks.2026-W48": "fewer than 5",
    }
    assert got["weeks"][0]["members"] == 4 and got["weeks"][0]["active_pct"] is None

    await happen(harness, joined("emma", at(11, 27)))  # a fifth member: figures show
    got = await report(harness, weeks=1)
    assert (got["members"], got["active_28d"], got["active_28d_pct"]) == (5, 3, 60.0)
    assert got["participation_28d"] == {"lurkers": 3, "occasional": 2, "regular": 0}
    assert got["newcomers_28d"] == {"joined": 5, "contributed_within_14d": 2}
    assert got["rituals"]["welcome"] == {"asked": 5, "answered": 0, "response_rate_pct": 0.0}
    assert got["sponsors_last_active"] is None  # joining is not taking part
    assert got["gap_points"] == 0.0
    assert got["withheld"] == {
        "sponsors_last_active": "never active",
        "facilitators_last_active": "never active",
        # too few questions for a rate or answer times
        "questions_28d.answered_pct": "fewer than 5",
        "questions_28d.median_first_answer_minutes": "fewer than 5",
        "questions_28d.p90_first_answer_minutes": "fewer than 5",
        "questions_28d.solved_pct": "fewer than 5",
        "weeks.2026-W48.answered_pct": "fewer than 5",
        "weeks.2026-W48.median_first_answer_minutes": "fewer than 5",
    }
    assert got["weeks"] == [  # Emma had joined when the week ended
        {
            "week": "2026-W48",
            "start": "2026-11-23",
            "members": 5,
            "active_pct": 60.0,
            "contributors_pct": 40.0,
            "answered_pct": None,  # Alice's one question: its answer time is Bob's
            "median_first_answer_minutes": None,
        }
    ]


async def test_a_report_reads_rollups_through_indexes_never_the_history(harness: Harness) -> None:
    if not harness.url.startswith("sqlite"):
        return  # the plan checked is SQLite's; PostgreSQL plans tiny tables with seq scans
    await build_history(harness)
    with recorded(harness.store.engine) as seen:
        await report(harness)
    plans: list[str] = []
    async with harness.store.engine.connect() as connection:
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith("SELECT"):
                explained = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                plans += [str(row[-1]) for row in explained.all()]
    tables = ("activityrecord", "pulsememberday", "pulsepair", "pulsequestion", "run", "answer")
    assert [p for p in plans if p.startswith("SCAN") and p.split()[1] in tables] == []
    history = [p for p in plans if p.split()[1:2] == ["activityrecord"]]
    # only the few days the windows cut through, by community and time
    assert history and all("ix_activity_community_time" in p for p in history), history
    rollups = [p for p in plans if p.split()[1:2] == ["pulsememberday"]]
    assert rollups and all(p.startswith("SEARCH") for p in rollups), rollups


async def test_a_ritual_run_begun_minutes_before_t_is_not_yet_unanswered(
    harness: Harness,
) -> None:
    await build_history(harness)
    # Zoé joins five minutes before t: her welcome has begun, she had no time to answer it
    await happen(harness, joined("zoe", at(11, 30, 11, 55)))
    got = await report(harness)
    assert got["rituals"] == {"welcome": {"asked": 6, "answered": 3, "response_rate_pct": 50.0}}
    # two days later, still unanswered: now it counts as asked and not answered
    later = await report(harness, at=at(12, 2, 12))
    assert later["rituals"]["welcome"]["asked"] == 7
    assert later["rituals"]["welcome"]["answered"] == 3


async def test_someone_only_seen_posting_or_reacting_is_no_member_and_not_counted(
    harness: Harness,
) -> None:
    """Only a join or the roster makes a member: Zoe posting and Yan reacting without having
    joined change neither the members nor the active count — nor lift a small community over
    the 5 people its figures need."""
    await harness.seed()
    for user in ("alice", "bob", "chloe", "dan"):
        await happen(harness, joined(user, at(11, 20)))
    await happen(harness, posted("alice", "m1", at(11, 25)))
    await happen(harness, posted("zoe", "z1", at(11, 26)))
    await happen(harness, reacted("yan", "m1", at(11, 26, 10)))

    got = await report(harness)

    assert got["members"] == 4
    assert got["active_7d"] is None  # 4 members: withheld, with the reason
    assert got["withheld"]["active_7d"] == "fewer than 5"
    await happen(harness, joined("emma", at(11, 27)))
    got = await report(harness)
    assert (got["members"], got["active_7d"], got["contributors_28d"]) == (5, 1, 1)


async def test_a_week_with_5_questions_shows_its_rate_and_answer_time(harness: Harness) -> None:
    """The weekly rows follow the 28-day rule: from 5 questions a week, rate and median show."""
    users = ("alice", "bob", "chloe", "dan", "emma", "finn")
    for user in users:
        await happen(harness, joined(user, at(11, 20)))
    for i, user in enumerate(users[:5]):
        await happen(harness, posted(user, f"q{i}", at(11, 24, 9 + i), question=True))
        answer = posted("finn", f"a{i}", at(11, 24, 9 + i, 10 * (i + 1)), thread=f"q{i}")
        await happen(harness, answer)

    got = await report(harness, weeks=1)

    [week] = got["weeks"]
    assert (week["answered_pct"], week["median_first_answer_minutes"]) == (100.0, 30.0)
    assert not [name for name in got["withheld"] if name.startswith("weeks.")]


async def test_a_ritual_s_rate_needs_5_people_asked_not_5_runs(harness: Harness) -> None:
    """A weekly ritual asks the same 3 members 4 times in 28 days: 12 runs, 3 people — its
    response rate would point at them, so it is withheld; asked of 5 people, it shows."""
    for user in ("alice", "bob", "chloe", "dan", "emma", "finn"):
        await happen(harness, joined(user, at(10, 20)))

    async def checkins(users: tuple[str, ...]) -> None:
        async with harness.store.transaction() as tx:
            for week, user in ((w, u) for w in range(4) for u in users):
                when = at(11, 9 + 7 * week)
                tx.session.add(
                    Run(id=f"ci-{user}-{week}", workspace_id=1, community_id=1,
                        playbook="checkin", subject=f"U-{user}", status="done",
                        created_at=when, updated_at=when)
                )  # fmt: skip

    await checkins(("alice", "bob", "chloe"))
    got = await report(harness)
    assert got["rituals"]["checkin"] is None
    assert got["withheld"]["rituals.checkin"] == "fewer than 5"

    await checkins(("dan", "emma"))
    got = await report(harness)
    assert got["rituals"]["checkin"] == {"asked": 20, "answered": 0, "response_rate_pct": 0.0}
