"""The pure engine, driven step by step with the bundled welcome ritual and small playbooks."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from bot.vocabulary import actions as act
from playbooks.calendar import Calendar
from playbooks.engine import Engine, RunState
from playbooks.loader import _Loader, load_library, parse_playbook
from playbooks.overrides import OverrideError, apply_overrides
from playbooks.schema import Playbook
from tests.builders import T0, answer, click, context, tick


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_library())


def test_welcome_step_by_step(engine: Engine) -> None:
    ctx = context("en")
    started = engine.start("welcome", ctx, T0)
    dm, question = started.actions
    assert isinstance(dm, act.SendDirectMessage) and dm.user_id == "U1"
    assert dm.text.startswith("Welcome to *Data*, Ada!") and "share what works" in dm.text
    assert isinstance(question, act.AskQuestion)
    assert "be kind" in question.text
    assert [(c.value, c.label) for c in question.choices] == [
        ("accept", "I accept"),
        ("decline", "I don't accept"),
    ]
    assert (started.state.status, started.state.step) == ("waiting_answer", "charter")

    accepted = engine.on_event(started.state, click(question.callback, "accept"), ctx, T0)
    update, expectations = accepted.actions
    assert isinstance(update, act.UpdateMessage) and update.text.endswith("→ I accept")
    assert isinstance(expectations, act.AskQuestion) and not expectations.choices
    assert expectations.placeholder.startswith("e.g.")
    assert accepted.state.step == "expectations"

    done = engine.on_event(
        accepted.state, answer(expectations.callback, "  find help on dbt  "), ctx, T0
    )
    assert (done.state.step, done.state.status) == ("day-1", "waiting_timer")
    assert done.state.wake_at == T0 + timedelta(days=1)
    assert [(a.key, a.value) for a in accepted.answers + done.answers] == [
        ("charter", "accept"),
        ("expectations", "find help on dbt"),
    ]
    assert "Tomorrow I'll help you introduce yourself" in done.actions[-1].text  # type: ignore[union-attr]

    day1 = engine.on_event(done.state, tick(), ctx, T0 + timedelta(days=1))
    [intro] = day1.actions
    assert "> Hi all, I'm Ada. I work on …" in intro.text  # type: ignore[union-attr]
    day3 = engine.on_event(day1.state, tick(), ctx, T0 + timedelta(days=3))
    assert "1. The pinned messages of the channel." in day3.actions[0].text  # type: ignore[union-attr]
    day7 = engine.on_event(day3.state, tick(), ctx, T0 + timedelta(days=7))
    [checkback] = day7.actions
    assert isinstance(checkback, act.AskQuestion)
    assert [c.value for c in checkback.choices] == ["1", "2", "3", "4", "5"]
    rated = engine.on_event(day7.state, click(checkback.callback, "4"), ctx, day7.state.wake_at)  # type: ignore[arg-type]
    assert rated.state.status == "done" and rated.answers[0].value == "4"


def test_welcome_speaks_french_to_a_french_member(engine: Engine) -> None:
    started = engine.start("welcome", context("fr"), T0)
    assert started.actions[0].text.startswith("Bienvenue dans *Data*, Ada !")  # type: ignore[union-attr]
    assert [c.label for c in started.actions[1].choices] == ["J'accepte", "Je n'accepte pas"]  # type: ignore[union-attr]


def test_declining_the_charter_is_recorded_and_facilitators_are_told(engine: Engine) -> None:
    ctx = context("en")
    started = engine.start("welcome", ctx, T0)
    callback = started.actions[1].callback  # type: ignore[union-attr]
    declined = engine.on_event(started.state, click(callback, "decline"), ctx, T0)
    assert declined.state.status == "done"
    assert ("charter_declined", "yes") in [(a.key, a.value) for a in declined.answers]
    notices = [a for a in declined.actions if isinstance(a, act.NotifyFacilitators)]
    assert [n.text for n in notices] == ["Ada joined Data but did not accept the charter."]
    assert not any(isinstance(a, act.AskQuestion) for a in declined.actions)


def test_an_unknown_button_changes_nothing(engine: Engine) -> None:
    ctx = context()
    started = engine.start("welcome", ctx, T0)
    callback = started.actions[1].callback  # type: ignore[union-attr]
    result = engine.on_event(started.state, click(callback, "maybe"), ctx, T0)
    assert result.state == started.state and result.actions == ()
    assert result.ignored == "unknown choice 'maybe'"


def test_an_answer_to_another_question_or_run_is_ignored(engine: Engine) -> None:
    ctx = context()
    started = engine.start("welcome", ctx, T0)
    for callback in ("run:r1:expectations", "run:other:charter", "garbage"):
        result = engine.on_event(started.state, click(callback, "accept"), ctx, T0)
        assert result.ignored and result.state == started.state


def test_a_finished_run_ignores_late_clicks(engine: Engine) -> None:
    ctx = context()
    started = engine.start("welcome", ctx, T0)
    callback = started.actions[1].callback  # type: ignore[union-attr]
    declined = engine.on_event(started.state, click(callback, "decline"), ctx, T0)
    again = engine.on_event(declined.state, click(callback, "accept"), ctx, T0)
    assert again.ignored == "run is finished" and again.actions == ()


WAIT_AND_TIMEOUT = """
name: nudge
title: {en: Nudge, fr: Relance}
description: {en: test, fr: test}
trigger: {on: member_joined}
steps:
  - id: pause
    kind: wait
    duration: 1d
  - id: ask
    kind: ask
    text: {en: "Found what you came for?", fr: "Trouvé ce que vous cherchiez ?"}
    choices:
      - {value: "yes", label: {en: "Yes", fr: "Oui"}}
    timeout: 2d
    on_timeout: remind
  - id: thanks
    kind: send_dm
    text: {en: "Great, {{ answers.ask }}", fr: "Super"}
    next: end
  - id: remind
    kind: post_to_community
    text: {en: "{{ member.name }} has not answered", fr: "{{ member.name }} n'a pas répondu"}
  - id: end
    kind: end
"""


def test_wait_then_timeout_goes_to_the_timeout_step() -> None:
    engine = Engine({"nudge": parse_playbook(WAIT_AND_TIMEOUT)})
    ctx = context()
    waiting = engine.start("nudge", ctx, T0)
    assert waiting.actions == () and waiting.state.wake_at == T0 + timedelta(days=1)
    early = engine.on_event(waiting.state, tick(at=T0), ctx, T0 + timedelta(hours=23))
    assert early.ignored == "not due yet"
    asked = engine.on_event(waiting.state, tick(), ctx, T0 + timedelta(days=1))
    assert asked.state.status == "waiting_answer"
    assert asked.state.wake_at == T0 + timedelta(days=3)
    timed_out = engine.on_event(asked.state, tick(), ctx, T0 + timedelta(days=3))
    assert [a.text for a in timed_out.actions] == ["Ada has not answered"]  # type: ignore[union-attr]
    assert timed_out.state.status == "done"


def test_an_answer_before_the_timeout_continues_with_the_answer() -> None:
    engine = Engine({"nudge": parse_playbook(WAIT_AND_TIMEOUT)})
    ctx = context()
    asked = engine.on_event(
        engine.start("nudge", ctx, T0).state, tick(), ctx, T0 + timedelta(days=1)
    )
    result = engine.on_event(asked.state, click("run:r1:ask", "yes"), ctx, T0 + timedelta(days=1))
    assert [a.text for a in result.actions][-1] == "Great, yes"  # type: ignore[union-attr]


def test_a_run_whose_step_disappeared_stops_with_an_error(engine: Engine) -> None:
    state = RunState("welcome", "gone-step", "waiting_answer")
    result = engine.on_event(state, click("run:r1:gone-step", "x"), context(), T0)
    assert result.state.status == "done" and "gone-step" in (result.error or "")


REMIND = """
name: weekly
title: {en: Weekly, fr: Hebdo}
description: {en: test, fr: test}
trigger: {on: member_joined}
steps:
  - id: objective
    kind: ask
    text: {en: "Your objective this week?", fr: "Votre objectif de la semaine ?"}
    reminder: 4h
    timeout: 2d
    on_timeout: gave-up
  - id: until-friday
    kind: wait
    until: fri 15:00
  - id: result
    kind: send_dm
    text: {en: "Did you reach {{ answers.objective }}?", fr: "Atteint ?"}
    next: end
  - id: gave-up
    kind: record
    key: silent
    value: "yes"
  - id: end
    kind: end
"""


def test_a_reminder_asks_again_once_then_the_timeout_applies() -> None:
    engine = Engine({"weekly": parse_playbook(REMIND)})
    ctx = context("fr")
    asked = engine.start("weekly", ctx, T0)  # Tuesday 09:00 UTC
    assert asked.state.wake_at == T0 + timedelta(hours=4)
    reminded = engine.on_event(asked.state, tick(), ctx, T0 + timedelta(hours=4))
    [again] = reminded.actions
    assert isinstance(again, act.AskQuestion)
    assert again.text == "⏰ Petit rappel — Votre objectif de la semaine ?"
    assert again.callback == asked.actions[0].callback  # type: ignore[union-attr]
    assert reminded.state.wake_at == T0 + timedelta(days=2)
    timed_out = engine.on_event(reminded.state, tick(), ctx, T0 + timedelta(days=2))
    assert timed_out.actions == () and timed_out.state.status == "done"
    assert [(a.key, a.value) for a in timed_out.answers] == [("silent", "yes")]


def test_an_answer_before_the_reminder_means_no_reminder() -> None:
    engine = Engine({"weekly": parse_playbook(REMIND)})
    ctx = context()
    asked = engine.start("weekly", ctx, T0)
    answered = engine.on_event(asked.state, answer("run:r1:objective", "ship v2"), ctx, T0)
    friday_15h = datetime(2026, 11, 27, 15, tzinfo=UTC)
    assert (answered.state.step, answered.state.wake_at) == ("until-friday", friday_15h)
    assert answered.state.variables == {"objective": "ship v2"}, "no reminder left pending"
    result = engine.on_event(answered.state, tick(), ctx, friday_15h)
    assert [a.text for a in result.actions] == ["Did you reach ship v2?"]  # type: ignore[union-attr]


def test_a_community_can_reword_a_step_without_copying_the_playbook(engine: Engine) -> None:
    texts = {
        "objective": {
            "fr": "Bienvenue chez {{ community.name }} ! Notre cap : {{ community.objective }}"
        }
    }
    ctx = replace(context("fr"), overrides={"texts": texts})
    started = engine.start("welcome", ctx, T0)
    assert started.actions[0].text == "Bienvenue chez Data ! Notre cap : share what works"  # type: ignore[union-attr]
    english = engine.start("welcome", replace(ctx, locale="en"), T0)
    assert english.actions[0].text.startswith("Welcome to *Data*, Ada!"), "English kept"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"texts": {"nowhere": {"fr": "x"}}}, "no step 'nowhere' with a text"),
        ({"texts": {"objective": {"fr": "{{ oops"}}}, "steps.0.send_dm.text.fr: template error"),
        ({"schedule": "30 9 * * mon"}, "'welcome' is not scheduled"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
    ],
)
def test_overrides_that_do_not_fit_say_why(
    engine: Engine, overrides: dict[str, object], problem: str
) -> None:
    with pytest.raises(OverrideError, match=re.escape(problem)):
        apply_overrides(engine.playbooks["welcome"], overrides)


def test_a_text_that_cannot_be_rendered_ends_the_run_with_why() -> None:
    broken = WAIT_AND_TIMEOUT.replace(
        'text: {en: "Found what you came for?"', 'text: {en: "{{ community.sponsors[3].name }}"'
    )
    # past the loader (which refuses it: tests/test_bounds.py), as a playbook loaded earlier
    engine = Engine({"nudge": Playbook.model_validate(yaml.load(broken, _Loader))})
    waiting = engine.start("nudge", context(), T0)
    result = engine.on_event(waiting.state, tick(), context(), T0 + timedelta(days=1))
    assert result.state.status == "done" and result.actions == ()
    assert (result.error or "").startswith("a text cannot be rendered (at step 'pause')")


def test_a_friday_question_on_a_holiday_comes_on_thursday() -> None:
    engine = Engine({"weekly": parse_playbook(REMIND)})
    christmas = Calendar("Europe/Paris", holidays=frozenset({date(2026, 12, 25)}))
    ctx = replace(context(), calendar=christmas)
    monday = datetime(2026, 12, 21, 9, 30, tzinfo=christmas.tz)
    asked = engine.start("weekly", ctx, monday)
    answered = engine.on_event(asked.state, answer("run:r1:objective", "x"), ctx, monday)
    assert answered.state.wake_at == datetime(2026, 12, 24, 15, 0, tzinfo=christmas.tz)


def test_a_scheduled_start_outside_working_time_waits_for_it() -> None:
    engine = Engine({"weekly": parse_playbook(REMIND)})
    new_york = replace(context(), calendar=Calendar("America/New_York"))
    night = datetime(2026, 11, 24, 4, 0, tzinfo=new_york.calendar.tz)
    waiting = engine.start("weekly", new_york, night, in_working_time=True)
    assert waiting.actions == () and waiting.state.wake_at == night.replace(hour=9)
    begun = engine.on_event(waiting.state, tick(), new_york, night.replace(hour=9))
    [question] = begun.actions
    assert question.text == "Your objective this week?"  # type: ignore[union-attr]
    assert "_not_started" not in begun.state.variables
    assert engine.start("weekly", new_york, night).actions, "an answer to someone's action: now"


def test_a_community_moves_the_second_question_and_the_reminder(engine: Engine) -> None:
    overrides = {"waits": {"until-friday": "thu 16:00"}, "reminders": {"objective": "2h"}}
    ctx = replace(context(), overrides=overrides)  # UTC, Tuesday 09:00
    asked = engine.start("checkin", ctx, T0)
    assert asked.state.wake_at == T0 + timedelta(hours=2), "reminder after 2 h"
    answered = engine.on_event(asked.state, answer("run:r1:objective", "x"), ctx, T0)
    assert answered.state.wake_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC), "Thursday 16:00"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"waits": {"objective": "2d"}}, "no wait step 'objective' (wait steps: until-friday)"),
        ({"waits": {"until-friday": "friday"}}, "'friday' is not a moment of the week"),
        ({"reminders": {"done": "1h"}}, "no question 'done' (questions: objective, result, note)"),
        ({"reminders": {"objective": "soon"}}, "'soon' is not a duration"),
    ],
)
def test_wait_and_reminder_overrides_are_checked(
    engine: Engine, overrides: dict[str, object], problem: str
) -> None:
    with pytest.raises(OverrideError, match=re.escape(problem)):
        apply_overrides(engine.playbooks["checkin"], overrides)
