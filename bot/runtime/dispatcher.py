"""Inbound path: dedupe → record activity → engine → outbox, all in one transaction.

A crash anywhere before the commit leaves no trace, so the platform's retry is processed again;
after the commit, the event key makes any retry a no-op.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.runtime import commands
from bot.runtime.clock import Clock
from bot.runtime.commands import BUILT_IN, Invocation
from bot.runtime.context import resolve_locale, run_context
from bot.runtime.home import apply_toggle, build_home
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


class Dispatcher:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        clock: Clock,
        on_enqueued: Callable[[], None] = lambda: None,
        new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._store = store
        self._engine = engine
        self._clock = clock
        self._on_enqueued = on_enqueued
        self._new_run_id = new_run_id

    async def handle(self, event: Event) -> DispatchResult:
        now = self._clock()
        key = f"{event.workspace.platform}:{event.workspace.external_id}:{event.key}"
        async with self._store.transaction() as tx:
            if not await tx.activity.mark_processed(key, now):
                log.info("duplicate event skipped", extra={"event_key": key})
                return "duplicate"
            workspace = await tx.directory.ensure_workspace(event.workspace, now)
            assert workspace.id is not None
            turn = _Turn(tx, workspace, now)
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
        return "processed"

    async def fire_schedule(
        self,
        community_id: int,
        playbook: str,
        fire_at: datetime,
        *,
        missed: bool,
        members: Sequence[MemberProfile] | None = None,
    ) -> bool:
        """Start a scheduled playbook once per fire time, across processes: for the community,
        or for each of ``members`` (its roster) when the playbook's audience is each member.

        A ``missed`` fire (beyond the grace window) is recorded as skipped and starts nothing.
        """
        now = self._clock()
        async with self._store.transaction() as tx:
            community = await tx.directory.community(community_id)
            if community is None:
                return False
            occurrence = ScheduleOccurrence(
                community_id=community_id,
                playbook=playbook,
                fire_at=fire_at,
                outcome="skipped" if missed else "started",
                recorded_at=now,
            )
            if not await tx.runs.claim_occurrence(occurrence):
                return False
            if missed:
                log.warning(
                    "scheduled fire missed beyond grace window", extra={"playbook": playbook}
                )
                return False
            workspace = await tx.directory.workspace_by_id(community.workspace_id)
            assert workspace is not None
            turn = _Turn(tx, workspace, now)
            assert workspace.id is not None
            started = 0
            if members is None:
                started = await self._start(turn, playbook, community, None)
            for profile in members or ():
                member = await tx.directory.upsert_member(workspace.id, profile, now)
                started += await self._start(turn, playbook, community, member)
            log.info("scheduled ritual started", extra={"playbook": playbook, "runs": started})
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
                await self._publish_home(turn, member)
            case ButtonClicked() if event.callback.startswith(START_PREFIX):
                await self._start_from_button(turn, event.callback, member)
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
        self, turn: _Turn, name: str, community: Community, member: Member | None
    ) -> int:
        playbook = self._engine.playbooks[name]
        if playbook.has_member_subject and member is None:
            return 0
        subject = member.user_id if (member and playbook.has_member_subject) else ""
        assert community.id is not None and turn.workspace.id is not None
        if await turn.tx.runs.active(community.id, name, subject) is not None:
            log.info("playbook already running for this subject", extra={"playbook": name})
            return 0
        run_id = self._new_run_id()
        ctx = run_context(run_id, community, member if subject else None, turn.workspace)
        transition = self._engine.start(name, ctx, turn.now)
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
        await self._apply(turn, run, community, transition)
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
        ctx = run_context(run.id, community, subject, turn.workspace)
        state = RunState(run.playbook, run.step, run.status, dict(run.variables), run.wake_at)  # type: ignore[arg-type]
        transition = self._engine.on_event(state, event, ctx, turn.now)
        if transition.ignored:
            log.info("event did not move the run", extra={"reason": transition.ignored})
            return
        await self._apply(turn, run, community, transition)

    async def _apply(
        self, turn: _Turn, run: Run, community: Community, transition: Transition
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
        await self._enqueue(turn, self._fan_out(transition.actions, community), run)

    @staticmethod
    def _fan_out(actions: Iterable[act.Action], community: Community) -> list[act.Action]:
        """One delivery per recipient: facilitator notices become one DM each."""
        out: list[act.Action] = []
        for action in actions:
            if isinstance(action, act.NotifyFacilitators):
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
        self, turn: _Turn, community: Community | None, member: Member, event: CommandInvoked
    ) -> None:
        """A built-in command, else an unknown one: answered privately either way."""
        invocation = Invocation(
            turn.tx, turn.workspace, member, community, event, turn.now, self._engine.playbooks
        )
        reply = act.RespondPrivately(
            user_id=member.user_id,
            channel=event.channel,
            text=await commands.answer(invocation),
            reply_to=event.reply_to,
        )
        await self._enqueue(turn, [reply], None)

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
