"""The generic pieces the experts ritual added to the playbook mechanism, in the pure engine: a
``dm_people`` step waits for the runtime to read its people, then DMs each once and says whom;
``mark_solved`` says which question; a ``wait_reply`` timeout counting working hours only; a
community moving that timeout; a ``dm_people`` on a thread nobody remembers refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.vocabulary import actions as act
from playbooks.calendar import Calendar
from playbooks.engine import Effect, Engine, Reached
from playbooks.loader import PlaybookError, load_library, parse_playbook
from playbooks.overrides import OverrideError, apply_overrides
from playbooks.schema import WaitReply
from tests.builders import T0, context, tick

PEOPLE = """\
name: people
title: {en: People, fr: Gens}
description: {en: People, fr: Gens}
trigger: {on: question}
steps:
  - id: tell
    kind: dm_people
    people: experts
    thread: question
    text: {en: "Look {{ answers.link }}", fr: "Regardez {{ answers.link }}"}
  - id: solved
    kind: mark_solved
    thread: question
"""
PARIS = ZoneInfo("Europe/Paris")


def test_dm_people_waits_for_its_people_then_dms_each_once_and_says_whom() -> None:
    engine = Engine({"people": parse_playbook(PEOPLE)})
    started = engine.start("people", context(), T0, variables={"question": "q1"})
    state = started.state
    assert (state.step, state.status, state.wake_at, started.actions) == (
        "tell",
        "waiting_timer",
        T0,
        (),
    ), "paused for the runtime to read the people"
    due = engine.people_step(state, {}, T0)
    assert due is not None and (due[0].id, due[0].people, due[1]) == ("tell", "experts", "q1")

    ctx = replace(context(), reached=Reached("tell", ("U-a", "U-b"), "https://x/q1"))
    went = engine.on_event(state, tick(), ctx, T0)
    assert [(a.user_id, a.text) for a in went.actions if isinstance(a, act.SendDirectMessage)] == [
        ("U-a", "Look https://x/q1"),
        ("U-b", "Look https://x/q1"),
    ]
    assert went.effects == (
        Effect("dm_people", "q1", "experts", ("U-a", "U-b")),
        Effect("mark_solved", "q1"),
    )
    assert went.state.status == "done"
    assert engine.people_step(went.state, {}, T0) is None


def test_working_hours_count_only_working_time() -> None:
    calendar = Calendar(timezone="Europe/Paris")
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=PARIS)
    four = timedelta(hours=4)
    assert calendar.add_working(friday, four) == datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)
    assert calendar.add_working(monday, four) == datetime(2026, 11, 30, 14, 0, tzinfo=PARIS)
    at_close = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)
    assert calendar.add_working(monday + timedelta(hours=4), four) == at_close
    sunday = datetime(2026, 11, 29, 23, 0, tzinfo=PARIS)
    assert calendar.add_working(sunday, four) == datetime(2026, 11, 30, 13, 0, tzinfo=PARIS)
    off = replace(calendar, holidays=frozenset({date(2026, 11, 30)}))
    assert off.add_working(friday, four) == datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)
    weekends = replace(calendar, workdays=(0, 1, 2, 3, 4, 5, 6))
    assert weekends.add_working(friday, four) == datetime(2026, 11, 28, 12, 0, tzinfo=PARIS)
    assert calendar.add_working(friday.astimezone(UTC), four).tzinfo == UTC


def test_a_community_moves_the_wait_before_the_experts() -> None:
    experts = load_library()["experts"]
    moved = apply_overrides(experts, {"waits": {"wait-answer": "2h"}})
    step = moved.step("wait-answer")
    assert isinstance(step, WaitReply) and (step.timeout, step.count) == ("2h", "working_hours")
    with pytest.raises(OverrideError, match="wait steps: wait-answer, wait-after"):
        apply_overrides(experts, {"waits": {"solved": "2h"}})


def test_dm_people_on_a_thread_nobody_remembers_is_refused() -> None:
    broken = PEOPLE.replace("trigger: {on: question}", "trigger: {on: member_joined}")
    with pytest.raises(PlaybookError, match="no earlier step remembers 'question'"):
        parse_playbook(broken)
