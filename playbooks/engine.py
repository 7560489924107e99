"""The pure playbook engine: (run state, event, context, now) → (new state, actions, answers).

No I/O, no clock, no randomness: everything it needs comes in as arguments, so a run can be
persisted between any two calls and resumed by another process days later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from bot.vocabulary import actions as act
from bot.vocabulary.events import ButtonClicked, Event, FormSubmitted, ThreadReplied, Tick
from playbooks import conversation, schema
from playbooks.calendar import Calendar
from playbooks.conversation import (
    COLLECTED,
    Season,
    Tally,
    picked,
    season_view,
    tallied,
)
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
#: Since when a step waits for its thread's variable (the post not delivered yet).
THREAD_PENDING = "_thread_pending"
#: A step whose thread is not known yet tries again this often, for this long.
THREAD_RETRY = timedelta(minutes=1)
THREAD_GIVE_UP = timedelta(minutes=30)
#: The variables ``wait_reply`` sets: who replied (user id), and their name.
REPLIER, REPLIER_NAME = conversation.REPLIER, conversation.REPLIER_NAME
#: Since when a ``wait_reply`` step waits, when its thread was not known yet then (its post's id
#: on its way back): a reply recorded in the thread since then counts, even one that came
#: before the run could wait on it.
WAITING_SINCE = "_waiting_since"
#: The round a run of a ritual for each member belongs to (the local day it started): the
#: runs of one round share what a ``pick`` step draws.
PICK_ROUND = "_round"
#: The variables a ``group_members`` step sets: how many could be grouped (in the community's
#: run), the others of a member's group and the round's number (in each member's own run).
GROUPED, PARTNERS, ROUND = "grouped", "partners", "round"
#: A weekly schedule meets a round every two weeks a little early, or a day after a round that
#: came late (a holiday): this much early is on time.
ROUND_TOLERANCE = timedelta(days=2)


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
class Reached:
    """Whom a due ``dm_people`` step DMs, as the caller resolved them for its thread (see
    :meth:`Engine.people_step`), and where the thread opens ("" when unknown)."""

    step: str
    people: tuple[str, ...] = ()
    link: str = ""
    #: each person's language, when known (else the run's)
    locales: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Effect:
    """What the caller records for a step, beyond messages: ``dm_people`` — ``people`` of the
    ``source`` were DMed about ``thread``; ``mark_solved`` — the question ``thread`` is solved."""

    kind: Literal["dm_people", "mark_solved"]
    thread: str
    source: str = ""
    people: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Grouping:
    """What the runtime found for a due ``group_members`` step (read by the caller, see
    :meth:`Engine.grouping_step`): this round's groups (none: fewer than 2 people could be
    grouped, or the round is too early), its number, when the last round was, and how many
    people could be grouped."""

    groups: tuple[tuple[MemberContext, ...], ...]
    round: int
    last_round_at: datetime | None
    eligible: int


@dataclass(frozen=True, slots=True)
class Spawn:
    """A run of the same ritual to start for a member at ``step`` (a grouped member's own run),
    knowing ``variables``."""

    user_id: str
    step: str
    variables: Mapping[str, str]


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
    #: the tally of the thread a due ``collect`` step counts (read by the caller, see
    #: :meth:`Engine.collect_thread`)
    collected: Tally | None = None
    #: the season's state, for playbooks that use it (:attr:`schema.Playbook.uses_season`)
    season: Season | None = None
    #: the people a due ``dm_people`` step DMs (read by the caller, see
    #: :meth:`Engine.people_step`)
    reached: Reached | None = None
    #: the round a due ``group_members`` step forms (read by the caller)
    grouping: Grouping | None = None
    #: what is worth the member's visit (a busy thread, an open question…), read by the caller
    #: for playbooks whose texts mention it (:attr:`schema.Playbook.uses_highlights`)
    highlights: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class RunState:
    playbook: str
    step: str | None
    status: RunStatus
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    wake_at: datetime | None = None
    #: the thread (platform message id) a ``wait_reply`` step waits on, else None
    waiting_thread: str | None = None


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
    #: The season's state as this transition leaves it, to be saved (None: unchanged).
    season: Mapping[str, Any] | None = None
    #: What the run's log should say of this transition (a fallback taken…), never texts.
    notes: tuple[str, ...] = ()
    #: What the caller records beyond messages (people DMed, a question solved).
    effects: tuple[Effect, ...] = ()
    #: The ``collect`` step whose post was never delivered (its thread never known): the run
    #: ended without counting a round; the facilitators are to be told. None otherwise.
    undelivered: str | None = None
    #: A round of groups formed by a ``group_members`` step (user ids), to keep in history.
    grouped: tuple[tuple[str, ...], ...] = ()
    #: Runs to start for members (each grouped member's own run).
    spawned: tuple[Spawn, ...] = ()


@dataclass(slots=True)
class _Work:
    """What one transition builds up while stepping."""

    variables: dict[str, str]
    season: dict[str, Any]
    season_changed: bool = False
    actions: list[act.Action] = field(default_factory=list)
    answers: list[RecordedAnswer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    grouped: list[tuple[str, ...]] = field(default_factory=list)
    spawned: list[Spawn] = field(default_factory=list)

    @staticmethod
    def of(state: RunState, ctx: RunContext) -> _Work:
        season = dict(ctx.season.data) if ctx.season is not None else {}
        return _Work(dict(state.variables), season)


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

    def uses_season(self, name: str, overrides: Mapping[str, Any]) -> bool:
        """Whether a run of ``name`` needs the season's state in its context."""
        playbook = self.playbook_for(name, overrides)
        return playbook is not None and playbook.uses_season

    def uses_highlights(self, name: str, overrides: Mapping[str, Any]) -> bool:
        """Whether a run of ``name`` needs ``RunContext.highlights``."""
        playbook = self.playbook_for(name, overrides)
        return playbook is not None and playbook.uses_highlights

    def collect_thread(
        self, state: RunState, overrides: Mapping[str, Any], now: datetime
    ) -> str | None:
        """The thread whose tally the caller must read into ``RunContext.collected`` before
        waking this run: it waits at a ``collect`` step that is due. None otherwise."""
        step = self._due_step(state, overrides, now)
        return state.variables.get(step.thread) if isinstance(step, schema.Collect) else None

    def _due_step(
        self, state: RunState, overrides: Mapping[str, Any], now: datetime
    ) -> schema.Step | None:
        """The step a started run waits at with its timer due (None: no such step)."""
        playbook = self.playbook_for(state.playbook, overrides)
        if playbook is None or state.step is None or state.status != "waiting_timer":
            return None
        if NOT_STARTED in state.variables or state.wake_at is None or now < state.wake_at:
            return None
        try:
            return playbook.step(state.step)
        except KeyError:
            return None

    def people_step(
        self, state: RunState, overrides: Mapping[str, Any], now: datetime
    ) -> tuple[schema.DmPeople, str] | None:
        """The ``dm_people`` step (and its thread's platform id) whose people the caller must
        read into ``RunContext.reached`` before waking this run: it waits at it, due. None
        otherwise."""
        step = self._due_step(state, overrides, now)
        if not isinstance(step, schema.DmPeople):
            return None
        return step, state.variables.get(step.thread) or ""

    def grouping_step(
        self,
        name: str,
        state: RunState | None,
        overrides: Mapping[str, Any],
        now: datetime,
    ) -> schema.GroupMembers | None:
        """The ``group_members`` step the caller must read a round for (into
        ``RunContext.grouping``) before starting (``state`` None) or waking this run: the
        first step of a starting run, or the step a due run waits at. None otherwise."""
        playbook = self.playbook_for(name, overrides)
        if playbook is None:
            return None
        if state is None:
            first = playbook.steps[0]
            return first if isinstance(first, schema.GroupMembers) else None
        if state.step is None or state.status != "waiting_timer":
            return None
        if state.wake_at is None or now < state.wake_at:
            return None
        try:
            step = playbook.step(state.step)
        except KeyError:
            return None
        return step if isinstance(step, schema.GroupMembers) else None

    @staticmethod
    def waiting_since(state: RunState) -> datetime | None:
        """Since when a run waiting at a ``wait_reply`` step waits: a reply recorded in its
        thread since then (before the run could wait on it: its post's id came back later)
        moves it. None when the run waits on no thread."""
        since = state.variables.get(WAITING_SINCE)
        if state.waiting_thread is None or state.status != "waiting_answer" or not since:
            return None
        return datetime.fromisoformat(since)

    def start(
        self,
        name: str,
        ctx: RunContext,
        now: datetime,
        *,
        in_working_time: bool = False,
        variables: Mapping[str, str] | None = None,
        at: str | None = None,
    ) -> Transition:
        """Start ``name``; ``in_working_time``: outside it, the run waits for it to begin (a
        scheduled ritual; one answering someone's own action starts at once). ``variables``:
        what the run knows from the start (a question-triggered run: ``question``). ``at``:
        the step to start from (a grouped member's own run), else the first."""
        playbook = self.playbook_for(name, ctx.overrides)
        assert playbook is not None, f"unknown playbook {name!r}"
        known = dict(variables or {})
        draws = any(isinstance(s, schema.Pick) for s in playbook.steps)
        if (
            draws
            and isinstance(playbook.trigger, schema.ScheduleTrigger)
            and playbook.has_member_subject
        ):
            # one round per local day: every member's run of this fire draws the same pick
            known.setdefault(PICK_ROUND, now.astimezone(ctx.calendar.tz).date().isoformat())
        first = at or playbook.steps[0].id
        state = RunState(
            playbook=name,
            step=first,
            status="waiting_timer",
            variables=MappingProxyType(known),
        )
        opens = ctx.calendar.next_open(now)
        if in_working_time and opens > now:
            pending = MappingProxyType({**state.variables, NOT_STARTED: "yes"})
            return Transition(replace(state, variables=pending, wake_at=opens))
        try:
            return self._run_from(playbook, first, state, ctx, now)
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
            if isinstance(event, ThreadReplied):
                return self._on_reply(playbook, step, state, event, ctx, now)
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
            return self._run_from(playbook, state.step or playbook.steps[0].id, begun, ctx, now)
        if state.status == "waiting_timer" and isinstance(step, schema.GroupMembers):
            return self._run_from(playbook, step.id, state, ctx, now)  # its round, read now
        if isinstance(step, schema.Collect) and state.status == "waiting_timer":
            return self._collected(playbook, step, state, ctx, now)
        if isinstance(step, schema.DmPeople) and state.status == "waiting_timer":
            return self._run_from(playbook, step.id, state, ctx, now)  # its people, read now
        if state.status == "waiting_timer" and THREAD_PENDING in state.variables:
            return self._run_from(playbook, step.id, state, ctx, now)  # its thread, again
        if state.status == "waiting_timer":
            return self._run_from(playbook, self._next(playbook, step), state, ctx, now)
        if isinstance(step, schema.WaitReply):
            target = step.on_timeout or self._next(playbook, step)
            work = _Work.of(state, ctx)
            work.variables.pop(WAITING_SINCE, None)
            return self._run_from(playbook, target, state, ctx, now, work)
        if isinstance(step, schema.Ask) and DEADLINE in state.variables:
            return self._remind(step, state, ctx)
        if isinstance(step, schema.Ask):
            target = step.on_timeout or self._next(playbook, step)
            return self._run_from(playbook, target, state, ctx, now)
        return Transition(state, ignored="nothing is due")

    def _collected(
        self,
        playbook: schema.Playbook,
        step: schema.Collect,
        state: RunState,
        ctx: RunContext,
        now: datetime,
    ) -> Transition:
        """The collect is due: keep the thread's tally (``collected.<save_as>``), add it to the
        season, go on. A thread not known yet (its post not delivered) is waited for a while;
        never known, the run ends without counting anything — not a round nobody answered."""
        work = _Work.of(state, ctx)
        thread = self._thread(step.thread, work, now)
        if thread is None:
            variables = MappingProxyType(dict(work.variables))
            return Transition(replace(state, variables=variables, wake_at=now + THREAD_RETRY))
        if not thread:
            variables = MappingProxyType(dict(work.variables))
            ended = replace(state, step=None, status="done", wake_at=None, variables=variables)
            note = (
                f"step {step.id!r}: the thread {step.thread!r} was still unknown after "
                f"{THREAD_GIVE_UP}: its post was never delivered; the round is not counted"
            )
            return Transition(ended, notes=(note,), undelivered=step.id)
        tally = ctx.collected or Tally()
        work.variables[COLLECTED + step.save_as] = tally.to_json()
        work.season = tallied(work.season, tally)
        work.season_changed = True
        return self._run_from(playbook, self._next(playbook, step), state, ctx, now, work)

    def _on_reply(
        self,
        playbook: schema.Playbook,
        step: schema.Step,
        state: RunState,
        event: ThreadReplied,
        ctx: RunContext,
        now: datetime,
    ) -> Transition:
        """A reply in a thread: it moves a run waiting on that thread for someone else than
        its own member."""
        if not isinstance(step, schema.WaitReply) or state.status != "waiting_answer":
            return Transition(state, ignored="not waiting for a reply")
        if state.variables.get(step.thread) != event.thread:
            return Transition(state, ignored="a reply in another thread")
        if not event.user_id or (ctx.member is not None and event.user_id == ctx.member.user_id):
            return Transition(state, ignored="a reply from the run's own member")
        work = _Work.of(state, ctx)
        work.variables.pop(WAITING_SINCE, None)
        work.variables[REPLIER] = event.user_id
        work.variables[REPLIER_NAME] = event.name or event.user_id
        return self._run_from(playbook, self._next(playbook, step), state, ctx, now, work)

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
        work: _Work | None = None,
    ) -> Transition:
        work = work or _Work.of(state, ctx)
        actions, answers, variables = work.actions, work.answers, work.variables

        def finish(
            status: RunStatus,
            at: str | None,
            wake: datetime | None = None,
            error: str | None = None,
            thread: str | None = None,
        ) -> Transition:
            new = RunState(
                playbook.name, at, status, MappingProxyType(dict(variables)), wake, thread
            )
            season = dict(work.season) if work.season_changed else None
            return Transition(
                new,
                tuple(actions),
                tuple(answers),
                error=error,
                season=season,
                notes=tuple(work.notes),
                effects=tuple(work.effects),
                grouped=tuple(work.grouped),
                spawned=tuple(work.spawned),
            )

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
                    text = self._text(step.text, current, ctx, work)
                    actions.append(act.SendDirectMessage(user_id=member.user_id, text=text))
                case schema.PostToCommunity():
                    text = self._text(step.text, current, ctx, work)
                    remember = step.remember_as or ""
                    if remember:  # known again once this post is delivered
                        variables.pop(remember, None)
                    post = act.PostToCommunity(
                        channel=ctx.community.channel, text=text, remember=remember
                    )
                    actions.append(post)
                case schema.NotifyFacilitators():
                    text = self._text(step.text, current, ctx, work)
                    actions.append(act.NotifyFacilitators(channel=ctx.community.channel, text=text))
                case schema.Ask() if member is not None:
                    actions.append(self._question(step, current, ctx, member))
                    deadline, reminder = self._ask_times(step, ctx, now)
                    if reminder is not None:
                        variables[DEADLINE] = deadline.isoformat() if deadline else ""
                        return finish("waiting_answer", step.id, reminder)
                    return finish("waiting_answer", step.id, deadline)
                case schema.Wait():
                    wake = self._wake(step.until, step.duration, step.working_hours, ctx, now)
                    return finish("waiting_timer", step.id, wake)
                case schema.Collect():
                    wake = self._wake(step.until, step.duration, step.working_hours, ctx, now)
                    return finish("waiting_timer", step.id, wake)
                case schema.ReplyInThread():
                    thread = self._thread(step.thread, work, now)
                    if thread is None:
                        return finish("waiting_timer", step.id, now + THREAD_RETRY)
                    text = self._text(step.text, current, ctx, work)
                    channel = ctx.community.channel
                    if thread:
                        actions.append(act.ReplyInThread(channel=channel, thread=thread, text=text))
                    else:
                        work.notes.append(
                            f"step {step.id!r}: the thread {step.thread!r} was still unknown after "
                            f"{THREAD_GIVE_UP}: posted in the channel instead"
                        )
                        actions.append(act.PostToCommunity(channel=channel, text=text))
                case schema.WaitReply():
                    since = variables.get(THREAD_PENDING)  # its post's id on its way back
                    thread = self._thread(step.thread, work, now)
                    if thread is None:
                        return finish("waiting_timer", step.id, now + THREAD_RETRY)
                    if not thread:
                        work.notes.append(
                            f"step {step.id!r}: the thread {step.thread!r} was still unknown after "
                            f"{THREAD_GIVE_UP}: timed out"
                        )
                        step_id = step.on_timeout or self._next(playbook, step)
                        continue
                    deadline = self._reply_deadline(step, ctx, now)
                    if since:  # replies may have come meanwhile: they count
                        variables[WAITING_SINCE] = since
                    return finish("waiting_answer", step.id, deadline, thread=thread)
                case schema.DmPeople():
                    reached = ctx.reached
                    thread = variables.get(step.thread) or ""
                    if thread and (reached is None or reached.step != step.id):
                        return finish("waiting_timer", step.id, now)  # the caller reads them
                    if reached is not None and reached.step == step.id and thread:
                        variables[schema.LINK] = reached.link
                        for person in reached.people:
                            said = step.text.get(reached.locales.get(person, ctx.locale))
                            text = self._render(said, current, ctx, work)
                            actions.append(act.SendDirectMessage(user_id=person, text=text))
                        effect = Effect("dm_people", thread, step.people, reached.people)
                        work.effects.append(effect)
                        ctx = replace(ctx, reached=None)  # once: a later dm_people reads its own
                    else:
                        work.notes.append(f"step {step.id!r}: no thread {step.thread!r}: skipped")
                case schema.MarkSolved():
                    thread = variables.get(step.thread) or ""
                    if thread:
                        work.effects.append(Effect("mark_solved", thread))
                case schema.Pick():
                    items = playbook.lists[step.from_].get(ctx.locale)
                    index, work.season = picked(
                        work.season, step.from_, len(items), variables.get(PICK_ROUND, "")
                    )
                    work.season_changed = True
                    variables[step.save_as] = items[index]
                case schema.GroupMembers():
                    if ctx.grouping is None:  # read at the scheduler's next pass
                        return finish("waiting_timer", step.id, now + THREAD_RETRY)
                    target = self._grouped(playbook, step, ctx, ctx.grouping, current, work, now)
                    if target == "":
                        return finish("done", None)
                    step_id = target
                    continue
                case schema.Branch():
                    chosen = step.cases.get(variables.get(step.on, ""))
                    step_id = chosen or step.default or playbook.following(step.id)
                    continue
                case schema.Record():
                    value = self._render(step.value, current, ctx, work)
                    variables[step.key] = value
                    answers.append(RecordedAnswer(step.id, step.key, value))
                case _:
                    return finish("done", None, error=f"step {step.id!r} needs a member")
            step_id = self._next(playbook, step)
        return finish("done", None, error=f"more than {MAX_STEPS_PER_TRANSITION} steps: a loop?")

    def _grouped(
        self,
        playbook: schema.Playbook,
        step: schema.GroupMembers,
        ctx: RunContext,
        grouping: Grouping,
        state: RunState,
        work: _Work,
        now: datetime,
    ) -> str | None:
        """A round of ``step``: the step to go to next ("" to end the run: too early)."""
        last = grouping.last_round_at
        if last is not None and now - last < step.every_delta - ROUND_TOLERANCE:
            work.notes.append(f"step {step.id!r}: the last round is younger than {step.every}")
            return ""
        work.variables[GROUPED] = str(grouping.eligible)
        if not grouping.groups:
            return step.on_too_few or ""
        for group in grouping.groups:
            people = [
                {"user_id": m.user_id, "name": m.name, "mention": act.mention(m.user_id, m.name)}
                for m in group
            ]
            text = self._text(step.text, state, ctx, work, {"group": people})
            ids = tuple(m.user_id for m in group)
            work.actions.append(act.MessageGroup(user_ids=ids, text=text))
            work.grouped.append(ids)
            for member in group:
                others = ", ".join(act.mention(m.user_id, m.name) for m in group if m != member)
                known = {PARTNERS: others, ROUND: str(grouping.round)}
                work.spawned.append(Spawn(member.user_id, step.then, MappingProxyType(known)))
        return self._next(playbook, step)

    @staticmethod
    def _thread(name: str, work: _Work, now: datetime) -> str | None:
        """The thread in variable ``name``; None: not known yet, try again in a while (the
        waiting begins now); "": not known after THREAD_GIVE_UP, do without."""
        variables = work.variables
        thread = variables.get(name)
        if thread:
            variables.pop(THREAD_PENDING, None)
            return thread
        since = variables.setdefault(THREAD_PENDING, now.isoformat())
        if now - datetime.fromisoformat(since) < THREAD_GIVE_UP:
            return None
        variables.pop(THREAD_PENDING, None)
        return ""

    @staticmethod
    def _reply_deadline(step: schema.WaitReply, ctx: RunContext, now: datetime) -> datetime:
        if step.count == "working_hours":
            return ctx.calendar.add_working(now, step.timeout_delta)
        deadline = now + step.timeout_delta
        return ctx.calendar.next_open(deadline) if step.working_hours else deadline

    @staticmethod
    def _wake(
        until: str | None, duration: str | None, working_hours: bool, ctx: RunContext, now: datetime
    ) -> datetime:
        if until is not None:
            wake = ctx.calendar.next_at(until, now)
            if working_hours:  # a Friday holiday: ask on Thursday, not next Monday
                wake = ctx.calendar.last_working_day_before(wake, now)
        else:
            assert duration is not None
            wake = now + parse_duration(duration)
        return ctx.calendar.next_open(wake) if working_hours else wake

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

    def _text(
        self,
        text: schema.LocalizedText,
        state: RunState,
        ctx: RunContext,
        work: _Work | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        return self._render(text.get(ctx.locale), state, ctx, work, extra)

    @staticmethod
    def _render(
        template: str,
        state: RunState,
        ctx: RunContext,
        work: _Work | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        season = work.season if work is not None else dict(ctx.season.data if ctx.season else {})
        variables: dict[str, Any] = {
            "community": ctx.community,
            "member": ctx.member,
            "answers": {k: v for k, v in state.variables.items() if not k.startswith("_")},
            "locale": ctx.locale,
            "collected": {
                k.removeprefix(COLLECTED): Tally.from_json(v).as_template()
                for k, v in state.variables.items()
                if k.startswith(COLLECTED)
            },
            "season": season_view(ctx.season, season),
            "highlights": ctx.highlights,
            **(extra or {}),
        }
        return render(template, variables)
