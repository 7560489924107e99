"""Inbound path: dedupe → record activity → engine → outbox, all in one transaction.

A crash anywhere before the commit leaves no trace, so the platform's retry is processed again;
after the commit, the event key makes any retry a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.runtime import commands
from bot.runtime.clock import Clock
from bot.runtime.commands import BUILT_IN
from bot.runtime.community_setup import SETUP_PREFIX, opened_for, setup_command
from bot.runtime.context import resolve_locale, run_context
from bot.runtime.delivery import not_now
from bot.runtime.digests import digest_actions
from bot.runtime.governance import ROUNDS, Answers, Governance, PlatformQuestions
from bot.runtime.home import OPTOUT, apply_toggle, build_home, toggle_of
from bot.runtime.invocation import Invocation, OpenedFor
from bot.runtime.scheduler import Fire
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from bot.vocabulary.events import (
    ACTIVITY_KIND,
    AppInstalled,
    AppRemoved,
    ButtonClicked,
    CommandInvoked,
    Event,
    FormSubmitted,
    HomeOpened,
    MemberJoined,
    MemberProfile,
    Tick,
)
from bot.vocabulary.ports import DispatchResult
from playbooks.calendar import zone_name
from playbooks.engine import Engine, RunState, Transition, parse_callback
from storage.store import Store, Transaction
from storage.tables import (
    ActivityRecord,
    Answer,
    Community,
    Member,
    Run,
    ScheduleOccurrence,
    Workspace,
)

log = logging.getLogger(__name__)

START_PREFIX = "start:"


def start_callback(playbook: str, channel: str) -> str:
    """The callback of a button that starts ``playbook`` for the clicker in ``channel``."""
    return f"{START_PREFIX}{playbook}:{channel}"


@dataclass(slots=True)
class _Turn:
    """What one event's handling shares: its transaction, workspace and instant."""

    tx: Transaction
    workspace: Workspace
    now: datetime
    enqueued: int = 0
    #: (community id, playbook) to run at once for its members, after the commit
    run_now: tuple[int, str] | None = None
    #: what the platform answered for this event (who may run a community)
    answers: Answers | None = None


#: A member's run of a scheduled ritual begun less than this ago is this cycle's: not redone.
RECENT = timedelta(hours=20)
#: Runs a scheduled ritual at once for a community's members (the scheduler's ``run_now``).
RunNow = Callable[[int, str], Awaitable[bool]]


class Dispatcher:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        clock: Clock,
        on_enqueued: Callable[[], None] = lambda: None,
        new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        governance: Governance | None = None,
    ) -> None:
        self._store = store
        self._governance = governance or Governance({})
        self._engine = engine
        self._clock = clock
        self._on_enqueued = on_enqueued
        self._new_run_id = new_run_id
        #: set by the composition root once the scheduler exists (it needs this dispatcher)
        self.run_now: RunNow | None = None
        self._background: set[asyncio.Future[None]] = set()

    async def handle(self, event: Event) -> DispatchResult:
        """Process the event once. A command that needs the platform's answers (who may run a
        community) rolls back; they are asked outside any transaction and the event runs again."""
        answers = Answers()
        for _ in range(ROUNDS - 1):
            try:
                return await self._handle(event, answers)
            except PlatformQuestions as asked:
                await self._governance.ask(event.workspace, asked.questions, answers)
        answers.final = True  # what is still unknown now, the platform could not tell
        return await self._handle(event, answers)

    async def _handle(self, event: Event, answers: Answers) -> DispatchResult:
        now = self._clock()
        key = f"{event.workspace.platform}:{event.workspace.external_id}:{event.key}"
        async with self._store.transaction() as tx:
            if not await tx.activity.mark_processed(key, now):
                log.info("duplicate event skipped", extra={"event_key": key})
                return "duplicate"
            workspace = await tx.directory.ensure_workspace(event.workspace, now)
            assert workspace.id is not None
            turn = _Turn(tx, workspace, now, answers=answers)
            member = None
            profile = getattr(event, "member", None)
            if profile is not None:
                member = await tx.directory.upsert_member(workspace.id, profile, now)
            channel = getattr(event, "channel", None)
            community = (
                await tx.directory.community_by_channel(workspace.id, channel) if channel else None
            )
            kind = ACTIVITY_KIND.get(type(event))
            if kind and member is not None:
                await tx.activity.record(
                    ActivityRecord(
                        workspace_id=workspace.id,
                        community_id=community.id if community else None,
                        user_id=member.user_id,
                        kind=kind,
                        channel=channel,
                        occurred_at=event.occurred_at,
                    )
                )
            await self._route(turn, event, member, community)
        log.info(
            "event processed",
            extra={"event_type": type(event).__name__, "event_key": key, "enqueued": turn.enqueued},
        )
        if turn.enqueued:
            self._on_enqueued()
        if turn.run_now is not None and self.run_now is not None:
            # after the answer, not before: platforms wait for it (Slack: 3 seconds)
            task = asyncio.ensure_future(self._run_now(*turn.run_now))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return "processed"

    async def _run_now(self, community_id: int, playbook: str) -> None:
        assert self.run_now is not None
        try:
            await self.run_now(community_id, playbook)
        except Exception:
            log.exception("running a ritual now failed", extra={"playbook": playbook})

    async def idle(self) -> None:
        """Wait for work begun after an event's answer (``checkin now``) to finish."""
        while self._background:
            await asyncio.gather(*self._background)

    async def fire_schedule(self, fire: Fire, members: Sequence[MemberProfile] | None) -> bool:
        """Act on a scheduled fire once, across processes: start the ritual for the community,
        or for each of ``members`` (its roster) whose timezone fires now, or post its digest.

        A fire that is ``skipped`` (missed beyond the grace window) or falls on a ``holiday`` is
        recorded and starts nothing. A member's run still going from the previous fire ends:
        nobody gets two of the same ritual at once.
        """
        now = self._clock()
        schedule = fire.schedule
        async with self._store.transaction() as tx:
            community = await tx.directory.community(fire.community_id)
            if community is None:
                return False
            occurrence = ScheduleOccurrence(
                community_id=fire.community_id,
                playbook=schedule.key,
                fire_at=fire.fire_at,
                outcome=fire.outcome,
                recorded_at=now,
            )
            if not await tx.runs.claim_occurrence(occurrence):
                return False
            if fire.outcome != "started":
                log.info(
                    "scheduled fire not run", extra={"key": schedule.key, "outcome": fire.outcome}
                )
                return False
            workspace = await tx.directory.workspace_by_id(community.workspace_id)
            assert workspace is not None and workspace.id is not None
            turn = _Turn(tx, workspace, now)
            started = 0
            if schedule.is_digest:
                overrides = await tx.directory.playbook_settings(
                    fire.community_id, schedule.playbook
                )
                playbook = self._engine.playbook_for(schedule.playbook, overrides)
                assert playbook is not None
                digest = await digest_actions(tx, workspace, community, playbook, fire.fire_at)
                await self._enqueue(turn, digest, None)
            elif not schedule.per_member:
                started = await self._start(
                    turn, schedule.playbook, community, None, scheduled=True
                )
            for profile in members or ():
                member = await tx.directory.upsert_member(workspace.id, profile, now)
                if (
                    fire.zones is None
                    or zone_name(member.timezone, community.timezone) in fire.zones
                ):
                    started += await self._start(
                        turn, schedule.playbook, community, member, scheduled=True
                    )
            log.info("scheduled ritual fired", extra={"key": schedule.key, "runs": started})
        if turn.enqueued:
            self._on_enqueued()
        return True

    # -- routing --------------------------------------------------------------------------

    async def _route(
        self, turn: _Turn, event: Event, member: Member | None, community: Community | None
    ) -> None:
        match event:
            case AppInstalled() if member is not None:
                member.unreachable = False
            case AppInstalled():
                turn.workspace.status = "active"
                turn.workspace.name = event.name or turn.workspace.name
                log.info("app installed in workspace", extra={"workspace": turn.workspace.id})
            case AppRemoved() if member is not None:
                member.unreachable = True
            case MemberJoined() if community is not None:
                await self._start_triggered(turn, community, member, "member_joined")
            case CommandInvoked() if member is not None:
                started = 0
                if community is not None and event.name not in BUILT_IN:
                    started = await self._start_triggered(
                        turn, community, member, "command", event.name
                    )
                if not started:
                    await self._command(turn, community, member, event)
            case HomeOpened() if member is not None:
                await self._publish_home(turn, member)
            case ButtonClicked() if member is not None and apply_toggle(member, event.callback):
                log.info("ritual preference changed", extra={"toggle": event.callback})
                if event.message is None:  # on the home tab: show it again, as it now is
                    await self._publish_home(turn, member)
                else:  # in a message (a ritual DM's stop button): answer there; homes are
                    # rebuilt when opened, and on Teams one would be one more card in the chat
                    await self._confirm_toggle(turn, member, event.callback)
            case ButtonClicked() if event.callback.startswith(START_PREFIX):
                await self._start_from_button(turn, event.callback, member)
            case FormSubmitted() if member is not None and event.callback.startswith(SETUP_PREFIX):
                await self._setup_submitted(turn, member, event)
            case ButtonClicked() | FormSubmitted():
                parsed = parse_callback(event.callback)
                if parsed is None:
                    log.info("answer with an unknown callback ignored")
                    return
                await self._resume(turn, parsed[0], event, member)
            case Tick():
                await self._resume(turn, event.run_id, event, None)
            case _:
                pass

    async def _start_triggered(
        self,
        turn: _Turn,
        community: Community,
        member: Member | None,
        trigger: str,
        command: str | None = None,
    ) -> int:
        assert community.id is not None
        started = 0
        for name in await turn.tx.directory.enabled_playbooks(community.id):
            playbook = self._engine.playbooks.get(name)
            if playbook is None or playbook.trigger.on != trigger:
                continue
            if command is not None and getattr(playbook.trigger, "command", None) != command:
                continue
            started += await self._start(turn, name, community, member)
        return started

    async def _start_from_button(self, turn: _Turn, callback: str, member: Member | None) -> None:
        name, _, channel = callback.removeprefix(START_PREFIX).partition(":")
        assert turn.workspace.id is not None
        community = await turn.tx.directory.community_by_channel(turn.workspace.id, channel)
        playbook = self._engine.playbooks.get(name)
        if community is None or playbook is None or playbook.trigger.on != "button":
            log.info("start button for an unknown playbook or community ignored")
            return
        if community.id is not None and name in await turn.tx.directory.enabled_playbooks(
            community.id
        ):
            await self._start(turn, name, community, member)

    async def _start(
        self,
        turn: _Turn,
        name: str,
        community: Community,
        member: Member | None,
        *,
        scheduled: bool = False,
    ) -> int:
        """Start ``name`` for its subject, unless it already runs for them. A ``scheduled``
        start waits for working time, and ends a run of an earlier cycle first (last week's
        check-in when this week's starts) — but leaves one begun less than RECENT ago alone
        (``checkin now`` this morning, or a member who just changed timezone)."""
        playbook = self._engine.playbooks[name]
        if playbook.has_member_subject and member is None:
            return 0
        subject = member.user_id if (member and playbook.has_member_subject) else ""
        assert community.id is not None and turn.workspace.id is not None
        if member is not None and subject and not_now(member, name, turn.now):
            log.info("member opted out or snoozed: ritual not started", extra={"playbook": name})
            return 0
        running = await turn.tx.runs.active(community.id, name, subject)
        if running is not None and (not scheduled or running.created_at > turn.now - RECENT):
            log.info("playbook already running for this subject", extra={"playbook": name})
            return 0
        if running is not None:
            await turn.tx.runs.finish(running, turn.now)
            log.info("previous run superseded", extra={"playbook": name})
        run_id = self._new_run_id()
        overrides = await turn.tx.directory.playbook_settings(community.id, name)
        ctx = run_context(run_id, community, member if subject else None, turn.workspace, overrides)
        transition = self._engine.start(name, ctx, turn.now, in_working_time=scheduled)
        run = Run(
            id=run_id,
            workspace_id=turn.workspace.id,
            community_id=community.id,
            playbook=name,
            subject=subject,
            status=transition.state.status,
            created_at=turn.now,
            updated_at=turn.now,
        )
        await turn.tx.runs.add(run)
        await self._apply(turn, run, community, transition, ctx.locale)
        return 1

    async def _resume(self, turn: _Turn, run_id: str, event: Event, member: Member | None) -> None:
        run = await turn.tx.runs.get(run_id, lock=True)
        if run is None or run.workspace_id != turn.workspace.id:
            log.info("event for an unknown run ignored")
            return
        if member is not None and run.subject and member.user_id != run.subject:
            log.info("answer from someone else than the run's member ignored")
            return
        community = await turn.tx.directory.community(run.community_id)
        assert community is not None and turn.workspace.id is not None
        subject = (
            await turn.tx.directory.member(turn.workspace.id, run.subject) if run.subject else None
        )
        overrides = await turn.tx.directory.playbook_settings(run.community_id, run.playbook)
        ctx = run_context(run.id, community, subject, turn.workspace, overrides)
        state = RunState(run.playbook, run.step, run.status, dict(run.variables), run.wake_at)  # type: ignore[arg-type]
        transition = self._engine.on_event(state, event, ctx, turn.now)
        if transition.ignored:
            log.info("event did not move the run", extra={"reason": transition.ignored})
            return
        await self._apply(turn, run, community, transition, ctx.locale)

    async def _apply(
        self, turn: _Turn, run: Run, community: Community, transition: Transition, locale: str
    ) -> None:
        state = transition.state
        run.step = state.step
        run.status = state.status
        run.variables = dict(state.variables)
        run.wake_at = state.wake_at
        run.updated_at = turn.now
        run.error = transition.error
        if transition.error:
            log.error("run stopped", extra={"playbook": run.playbook, "reason": transition.error})
        assert community.id is not None
        for answer in transition.answers:
            await turn.tx.runs.add_answer(
                Answer(
                    workspace_id=run.workspace_id,
                    community_id=community.id,
                    run_id=run.id,
                    playbook=run.playbook,
                    user_id=run.subject,
                    step=answer.step,
                    key=answer.key,
                    value=answer.value,
                    created_at=turn.now,
                )
            )
        stop = None
        if run.subject:
            title = self._engine.playbooks[run.playbook].title.get(locale)
            label = text("button_optout", locale, title=title)
            stop = act.HomeButton(label, f"{OPTOUT}{run.playbook}")
        await self._enqueue(turn, self._fan_out(transition.actions, community, run, stop), run)

    @staticmethod
    def _fan_out(
        actions: Iterable[act.Action],
        community: Community,
        run: Run,
        stop: act.HomeButton | None,
    ) -> list[act.Action]:
        """One delivery per recipient: facilitator notices become one DM each; a ritual's DMs
        to its member carry the button that stops the ritual for them."""
        out: list[act.Action] = []
        for action in actions:
            if isinstance(action, act.SendDirectMessage | act.AskQuestion):
                if action.user_id == run.subject and stop is not None:
                    action = replace(action, stop=stop)
                out.append(action)
            elif isinstance(action, act.NotifyFacilitators):
                out += [
                    act.SendDirectMessage(user_id=f, text=action.text)
                    for f in community.facilitators
                ]
            else:
                out.append(action)
        return out

    async def _enqueue(self, turn: _Turn, actions: Iterable[act.Action], run: Run | None) -> None:
        assert turn.workspace.id is not None
        for action in actions:
            await turn.tx.outbox.enqueue(
                workspace_id=turn.workspace.id,
                action=act.action_to_dict(action),
                recipient=act.recipient_of(action),
                now=turn.now,
                run_id=run.id if run else None,
                playbook=run.playbook if run else None,
            )
            turn.enqueued += 1

    async def _command(
        self,
        turn: _Turn,
        community: Community | None,
        member: Member,
        event: CommandInvoked,
        submitted: Mapping[str, str] | None = None,
        opened: OpenedFor | None = None,
    ) -> None:
        """A built-in command, else an unknown one: answered privately either way."""
        invocation = Invocation(
            turn.tx,
            turn.workspace,
            member,
            community,
            event,
            turn.now,
            self._engine.playbooks,
            submitted=submitted,
            governance=self._governance.checks(turn.answers),
            opened_for=opened,
        )
        await self._enqueue(turn, [await commands.reply(invocation)], None)
        if invocation.run_now is not None and community is not None:
            assert community.id is not None
            turn.run_now = (community.id, invocation.run_now)

    async def _setup_submitted(self, turn: _Turn, member: Member, event: FormSubmitted) -> None:
        """A setup form: the ``community setup`` command of its channel, with its values."""
        command = setup_command(event)
        assert turn.workspace.id is not None
        community = await turn.tx.directory.community_by_channel(turn.workspace.id, command.channel)
        await self._command(
            turn, community, member, command, event.values, opened_for(event.callback)
        )

    async def _confirm_toggle(self, turn: _Turn, member: Member, callback: str) -> None:
        """Tell the member who stopped a ritual from one of its messages how to get it back."""
        toggle = toggle_of(callback)
        assert toggle is not None
        target, out = toggle
        locale = resolve_locale(member, None, turn.workspace)
        said = commands.opted_text(target, out, locale, self._engine.playbooks)
        await self._enqueue(turn, [act.SendDirectMessage(user_id=member.user_id, text=said)], None)

    async def _publish_home(self, turn: _Turn, member: Member) -> None:
        home = await build_home(
            turn.tx,
            turn.workspace,
            member,
            self._engine.playbooks,
            resolve_locale(member, None, turn.workspace),
            turn.now,
        )
        await self._enqueue(turn, [home], None)
