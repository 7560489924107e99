"""The pure playbook engine: (run state, event, context, now) → (new state, actions, answers).

No I/O, no clock, no randomness: everything it needs comes in as arguments, so a run can be
persisted between any two calls and resumed by another process days later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from bot.vocabulary import actions as act
from bot.vocabulary.events import ButtonClicked, Event, FormSubmitted, Tick
from playbooks import schema
from playbooks.calendar import Calendar
from playbooks.durations import parse_duration
from playbooks.overrides import OverrideError, apply_overrides
from playbooks.templates import RenderError, render

RunStatus = Literal["waiting_answer", "waiting_timer", "done"]

#: Steps executed in one transition before the engine declares a loop.
MAX_STEPS_PER_TRANSITION = 200
MAX_ANSWER_LENGTH = 3000
#: While a question waits for its reminder, when its own timeout falls ("" for never).
DEADLINE = "_deadline"
#: A run started outside working time waits for it before its first step.
NOT_STARTED = "_not_started"


@dataclass(frozen=True, slots=True)
class CommunityContext:
    channel: str
    name: str
    objective: str = ""
    charter: str = ""
    facilitators: tuple[str, ...] = ()
    sponsors: tuple[str, ...] = ()
    target_engagement: int = 60
    timezone: str = "UTC"
    resources: str = ""


@dataclass(frozen=True, slots=True)
class MemberContext:
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything about the run's world the texts may mention, resolved by the caller."""

    run_id: str
    community: CommunityContext
    member: MemberContext | None
    locale: str
    #: the subject's working time: the member's timezone, the community's hours and holidays
    calendar: Calendar = field(default_factory=Calendar)
    #: the community's own texts and schedule for this ritual (see playbooks.overrides)
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class RunState:
    playbook: str
    step: str | None
    status: RunStatus
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    wake_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    step: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Transition:
    state: RunState
    actions: tuple[act.Action, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()
    #: Why the event changed nothing (stale or unknown button, early tick…), else None.
    ignored: str | None = None
    #: Why the run stopped abnormally, else None.
    error: str | None = None


def _broken(state: RunState, exc: RenderError) -> Transition:
    """A text that cannot be rendered ends the run (with why), instead of failing every retry."""
    ended = replace(state, status="done", step=None, wake_at=None)
    return Transition(ended, error=f"a text cannot be rendered (at step {state.step!r}): {exc}")


def callback_for(run_id: str, step_id: str) -> str:
    return f"run:{run_id}:{step_id}"


def parse_callback(callback: str) -> tuple[str, str] | None:
    """``(run_id, step_id)`` from a callback made by :func:`callback_for`, else None."""
    parts = callback.split(":")
    if len(parts) == 3 and parts[0] == "run" and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None


class Engine:
    def __init__(self, playbooks: Mapping[str, schema.Playbook]) -> None:
        self._playbooks = dict(playbooks)

    @property
    def playbooks(self) -> Mapping[str, schema.Playbook]:
        return MappingProxyType(self._playbooks)

    def playbook_for(self, name: str, overrides: Mapping[str, Any]) -> schema.Playbook | None:
        """The playbook as a community customised it (the bundled one if that no longer fits)."""
        playbook = self._playbooks.get(name)
        if playbook is None:
            return None
        try:
            return apply_overrides(playbook, overrides)
        except OverrideError:
            return playbook

    def start(
        self, name: str, ctx: RunContext, now: datetime, *, in_working_time: bool = False
    ) -> Transition:
        """Start ``name``; ``in_working_time``: outside it, the run waits for it to begin (a
        scheduled ritual; one answering someone's own action starts at once)."""
        playbook = self.playbook_for(name, ctx.overrides)
        assert playbook is not None, f"unknown playbook {name!r}"
        state = RunState(playbook=name, step=playbook.steps[0].id, status="waiting_timer")
        opens = ctx.calendar.next_open(now)
        if in_working_time and opens > now:
            pending = MappingProxyType({NOT_STARTED: "yes"})
            return Transition(replace(state, variables=pending, wake_at=opens))
        try:
            return self._run_from(playbook, playbook.steps[0].id, state, ctx, now)
        except RenderError as exc:
            return _broken(state, exc)

    def on_event(self, state: RunState, event: Event, ctx: RunContext, now: datetime) -> Transition:
        playbook = self.playbook_for(state.playbook, ctx.overrides)
        if playbook is None:
            return Transition(state, ignored=f"playbook {state.playbook!r} is not loaded")
        if state.status == "done" or state.step is None:
            return Transition(state, ignored="run is finished")
        try:
            step = playbook.step(state.step)
        except KeyError:
            return Transition(
                replace(state, status="done", step=None),
                error=f"step {state.step!r} no longer exists in {playbook.name!r}",
            )
        try:
            if isinstance(event, Tick):
                return self._on_tick(playbook, step, state, ctx, now)
            if isinstance(event, ButtonClicked | FormSubmitted):
                if state.status != "waiting_answer" or not isinstance(step, schema.Ask):
                    return Transition(state, ignored="not waiting for an answer")
                if parse_callback(event.callback) != (ctx.run_id, step.id):
                    return Transition(state, ignored="answer to another question")
                return self._on_answer(playbook, step, state, event, ctx, now)
        except RenderError as exc:
            return _broken(state, exc)
        return Transition(state, ignored=f"{type(event).__name__} does not move a run")

    # -- event handlers -------------------------------------------------------------------

    def _on_tick(
        self,
        playbook: schema.Playbook,
        step: schema.Step,
        state: RunState,
        ctx: RunContext,
        now: datetime,
    ) -> Transition:
        if state.wake_at is None or now < state.wake_at:
            return Transition(state, ignored="not due yet")
        if NOT_STARTED in state.variables:
            variables = {k: v for k, v in state.variables.items() if k != NOT_STARTED}
            begun = replace(state, variables=MappingProxyType(variables))
            return self._run_from(playbook, playbook.steps[0].id, begun, ctx, now)
        if state.status == "waiting_timer":
            return self._run_from(playbook, self._next(playbook, step), state, ctx, now)
        if isinstance(step, schema.Ask) and DEADLINE in state.variables:
            return self._remind(step, state, ctx)
        if isinstance(step, schema.Ask):
            target = step.on_timeout or self._next(playbook, step)
            return self._run_from(playbook, target, state, ctx, now)
        return Transition(state, ignored="nothing is due")

    def _remind(self, step: schema.Ask, state: RunState, ctx: RunContext) -> Transition:
        """Ask again, once, then wait for the answer until the question's own timeout."""
        assert ctx.member is not None
        variables = dict(state.variables)
        deadline = variables.pop(DEADLINE)
        if step.reminder_text is not None:
            text = self._text(step.reminder_text, state, ctx)
        else:
            prefix = "⏰ Petit rappel — " if ctx.locale == "fr" else "⏰ A quick reminder — "
            text = prefix + self._text(step.text, state, ctx)
        question = replace(self._question(step, state, ctx, ctx.member), text=text)
        wake = datetime.fromisoformat(deadline) if deadline else None
        new = replace(state, variables=MappingProxyType(variables), wake_at=wake)
        return Transition(new, (question,))

    def _on_answer(
        self,
        playbook: schema.Playbook,
        step: schema.Ask,
        state: RunState,
        event: ButtonClicked | FormSubmitted,
        ctx: RunContext,
        now: datetime,
    ) -> Transition:
        question = self._text(step.text, state, ctx)
        if isinstance(event, ButtonClicked):
            choice = next((c for c in step.choices or () if c.value == event.value), None)
            if choice is None:
                return Transition(state, ignored=f"unknown choice {event.value!r}")
            value, shown = choice.value, self._text(choice.label, state, ctx)
        else:
            if step.choices:
                return Transition(state, ignored="this question expects a button")
            value = (event.values.get("answer") or "").strip()[:MAX_ANSWER_LENGTH]
            if not value:
                return Transition(state, ignored="empty answer")
            shown = value
        variables = {**state.variables, step.variable: value}
        variables.pop(DEADLINE, None)
        answered = replace(state, variables=MappingProxyType(variables))
        result = self._run_from(playbook, self._next(playbook, step), answered, ctx, now)
        update: tuple[act.Action, ...] = ()
        if event.message is not None:
            update = (act.UpdateMessage(message=event.message, text=f"{question}\n→ {shown}"),)
        return replace(
            result,
            actions=update + result.actions,
            answers=(RecordedAnswer(step.id, step.variable, value), *result.answers),
        )

    # -- stepping -------------------------------------------------------------------------

    @staticmethod
    def _next(playbook: schema.Playbook, step: schema.Step) -> str | None:
        return step.next or playbook.following(step.id)

    def _run_from(
        self,
        playbook: schema.Playbook,
        step_id: str | None,
        state: RunState,
        ctx: RunContext,
        now: datetime,
    ) -> Transition:
        actions: list[act.Action] = []
        answers: list[RecordedAnswer] = []
        variables = dict(state.variables)

        def finish(
            status: RunStatus,
            at: str | None,
            wake: datetime | None = None,
            error: str | None = None,
        ) -> Transition:
            new = RunState(playbook.name, at, status, MappingProxyType(dict(variables)), wake)
            return Transition(new, tuple(actions), tuple(answers), error=error)

        for _ in range(MAX_STEPS_PER_TRANSITION):
            if step_id is None:
                return finish("done", None)
            step = playbook.step(step_id)
            current = RunState(playbook.name, step.id, "waiting_timer", variables)
            member = ctx.member
            match step:
                case schema.End():
                    return finish("done", None)
                case schema.SendDm() if member is not None:
                    text = self._text(step.text, current, ctx)
                    actions.append(act.SendDirectMessage(user_id=member.user_id, text=text))
                case schema.PostToCommunity():
                    text = self._text(step.text, current, ctx)
                    actions.append(act.PostToCommunity(channel=ctx.community.channel, text=text))
                case schema.NotifyFacilitators():
                    text = self._text(step.text, current, ctx)
                    actions.append(act.NotifyFacilitators(channel=ctx.community.channel, text=text))
                case schema.Ask() if member is not None:
                    actions.append(self._question(step, current, ctx, member))
                    deadline, reminder = self._ask_times(step, ctx, now)
                    if reminder is not None:
                        variables[DEADLINE] = deadline.isoformat() if deadline else ""
                        return finish("waiting_answer", step.id, reminder)
                    return finish("waiting_answer", step.id, deadline)
                case schema.Wait():
                    return finish("waiting_timer", step.id, self._wake(step, ctx, now))
                case schema.Branch():
                    chosen = step.cases.get(variables.get(step.on, ""))
                    step_id = chosen or step.default or playbook.following(step.id)
                    continue
                case schema.Record():
                    value = self._render(step.value, current, ctx)
                    variables[step.key] = value
                    answers.append(RecordedAnswer(step.id, step.key, value))
                case _:
                    return finish("done", None, error=f"step {step.id!r} needs a member")
            step_id = self._next(playbook, step)
        return finish("done", None, error=f"more than {MAX_STEPS_PER_TRANSITION} steps: a loop?")

    @staticmethod
    def _wake(step: schema.Wait, ctx: RunContext, now: datetime) -> datetime:
        if step.until is not None:
            wake = ctx.calendar.next_at(step.until, now)
            if step.working_hours:  # a Friday holiday: ask on Thursday, not next Monday
                wake = ctx.calendar.last_working_day_before(wake, now)
        else:
            assert step.duration is not None
            wake = now + parse_duration(step.duration)
        return ctx.calendar.next_open(wake) if step.working_hours else wake

    @staticmethod
    def _ask_times(
        step: schema.Ask, ctx: RunContext, now: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """When the question times out, and when to remind (None: no reminder before that)."""
        timeout, remind_after = step.timeout_delta, step.reminder_delta
        deadline = ctx.calendar.next_open(now + timeout) if timeout else None
        reminder = ctx.calendar.next_open(now + remind_after) if remind_after else None
        if reminder is not None and deadline is not None and reminder >= deadline:
            reminder = None
        return deadline, reminder

    def _question(
        self, step: schema.Ask, state: RunState, ctx: RunContext, member: MemberContext
    ) -> act.AskQuestion:
        choices = tuple(
            act.Choice(value=c.value, label=self._text(c.label, state, ctx))
            for c in step.choices or ()
        )
        placeholder = self._text(step.placeholder, state, ctx) if step.placeholder else ""
        return act.AskQuestion(
            user_id=member.user_id,
            text=self._text(step.text, state, ctx),
            callback=callback_for(ctx.run_id, step.id),
            choices=choices,
            placeholder=placeholder,
            submit_label="Envoyer" if ctx.locale == "fr" else "Send",
            answer_label="Répondre" if ctx.locale == "fr" else "Answer",
        )

    def _text(self, text: schema.LocalizedText, state: RunState, ctx: RunContext) -> str:
        return self._render(text.get(ctx.locale), state, ctx)

    @staticmethod
    def _render(template: str, state: RunState, ctx: RunContext) -> str:
        variables: dict[str, Any] = {
            "community": ctx.community,
            "member": ctx.member,
            "answers": {k: v for k, v in state.variables.items() if not k.startswith("_")},
            "locale": ctx.locale,
        }
        return render(template, variables)
