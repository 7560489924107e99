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
from typing import Any

from bot.runtime import commands, notices, seeing
from bot.runtime.clock import Clock
from bot.runtime.commands import BUILT_IN
from bot.runtime.community_setup import SETUP_PREFIX, opened_for, setup_command
from bot.runtime.context import known_profile, resolve_locale, run_context
from bot.runtime.dashboard.links import DashboardLinks
from bot.runtime.delivery import not_now
from bot.runtime.digests import digest_actions
from bot.runtime.governance import Answers, Governance, read_outside
from bot.runtime.home import (
    FROM_HOME,
    OPTOUT,
    apply_toggle,
    asking_rituals,
    build_home,
    toggle_of,
)
from bot.runtime.home_health import Glance, read_glances
from bot.runtime.invocation import Invocation, OpenedFor
from bot.runtime.person_keys import PersonKeys
from bot.runtime.scheduler import Fire
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from bot.vocabulary.events import (
    AppInstalled,
    AppRemoved,
    ButtonClicked,
    CommandInvoked,
    Event,
    FormSubmitted,
    HomeOpened,
    MemberJoined,
    MemberLeft,
    MemberProfile,
    MessageRef,
    Tick,
)
from bot.vocabulary.ports import DispatchResult
from playbooks.calendar import zone_name
from playbooks.engine import NOT_STARTED, Engine, RunState, Transition, parse_callback
from storage.outbox import Outgoing
from storage.runs import ACTIVE
from storage.store import Store, Transaction
from storage.tables import (
    Answer,
    Community,
    Member,
    RitualLaunch,
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
    #: a ritual launch was recorded (``checkin now``): have the scheduler run it after commit
    run_now: bool = False
    #: what the platform answered for this event (who may run a community)
    answers: Answers | None = None
    #: a launch's chunk: the runs of its ritual still going, by subject, read for the chunk
    running: dict[str, Run] | None = None


#: A member's run of a scheduled ritual begun less than this ago is this cycle's: not redone.
RECENT = timedelta(hours=20)
#: Executes the recorded ritual launches now (the scheduler's ``run_now``); the scheduler's
#: tick would do it anyway, this only spares the wait.
RunNow = Callable[[], Awaitable[object]]
#: Events handled at once by one process (each holds a database connection meanwhile); fewer
#: than PostgreSQL connections it keeps (storage.database.POOL_SIZE), leaving some to launches,
#: the delivery worker and the scheduler.
EVENTS_AT_ONCE = 12
#: A run whose wake-up raised this many times in a row is marked failed (facilitators told).
MAX_WAKE_FAILURES = 3
#: The wait before waking a run that raised again: this, then 4 times more each time.
WAKE_BACKOFF = timedelta(minutes=5)
#: Facilitators are told once within this of a ritual failing the same way for many members.
FAILURE_NOTICE_QUIET = timedelta(hours=1)


class _MemberFailed(Exception):
    """A member's start raised in a chunk started without savepoints: do it again, isolated."""


def _news(stored: Member, profile: MemberProfile) -> bool:
    """Whether ``profile`` says something of the member that is not stored yet."""
    return any(
        value and value != getattr(stored, name)
        for name, value in (
            ("display_name", profile.display_name),
            ("locale", profile.locale),
            ("timezone", profile.timezone),
        )
    )


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
        #: signs ``/animateur dashboard``'s links (set by the composition root)
        self.dashboard: DashboardLinks | None = None
        #: names people by a keyed hash: a member seen again after their erasure gets back
        #: the opt-outs kept under it (None: nothing is looked up)
        self.person_keys: PersonKeys | None = None
        self._background: set[asyncio.Future[None]] = set()
        self._at_once = asyncio.Semaphore(EVENTS_AT_ONCE)

    async def handle(self, event: Event) -> DispatchResult:
        """Process the event once. A command that needs the platform's answers (who may run a
        community) or slow work (trial renders of a facilitator's texts) rolls back; they are
        asked or done outside any transaction and the event runs again.
        A run's wake-up that fails is retried later, and not for ever."""
        try:
            return await self._governance.settle(
                event.workspace, lambda answers: self._handle(event, answers)
            )
        except Exception as exc:
            if isinstance(event, Tick):
                await self._wake_failed(event, exc)
            raise

    async def _handle(self, event: Event, answers: Answers) -> DispatchResult:
        key = f"{event.workspace.platform}:{event.workspace.external_id}:{event.key}"
        # At most EVENTS_AT_ONCE events hold a transaction (a database connection) at once;
        # more wait here, in order — not for a connection: a flood of events then never takes
        # every connection from a launch or the delivery worker, nor times out waiting for one.
        async with self._at_once:
            return await self._in_transaction(event, answers, key)

    async def _in_transaction(self, event: Event, answers: Answers, key: str) -> DispatchResult:
        now = self._clock()
        async with self._store.transaction() as tx:
            if not await tx.activity.mark_processed(key, now):
                log.info("duplicate event skipped", extra={"event_key": key})
                return "duplicate"
            channel = getattr(event, "channel", None)
            workspace, community = await tx.directory.workspace_with_community(
                event.workspace, channel
            )
            if workspace is None:  # the first event of a workspace
                workspace = await tx.directory.ensure_workspace(event.workspace, now)
                assert workspace.id is not None
                community = (
                    await tx.directory.community_by_channel(workspace.id, channel)
                    if channel
                    else None
                )
            assert workspace.id is not None
            turn = _Turn(tx, workspace, now, answers=answers)
            member = None
            profile = getattr(event, "member", None)
            if profile is not None:
                member = await self._remember(tx, workspace.id, profile, now)
            await seeing.record(tx, workspace, event, member, community)
            stopped = (member.opted_out_all, set(member.opted_out)) if member else None
            await self._route(turn, event, member, community)
            if member is not None and stopped is not None:
                await self._end_stopped_runs(turn, member, *stopped)
        # An event the bot acted on is logged; the busy ones that are only recorded (messages,
        # reactions: hundreds a second in a large workspace) only at DEBUG — /metrics counts
        # every event in by platform and type.
        log.log(
            logging.INFO if turn.enqueued or turn.run_now else logging.DEBUG,
            "event processed",
            extra={"event_type": type(event).__name__, "event_key": key, "enqueued": turn.enqueued},
        )
        if turn.enqueued:
            self._on_enqueued()
        if turn.run_now and self.run_now is not None:
            # after the answer, not before: platforms wait for it (Slack: 3 seconds). Nothing
            # is lost if this process dies first: the launch is recorded, the scheduler runs it.
            task = asyncio.ensure_future(self._run_now())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return "processed"

    async def _run_now(self) -> None:
        assert self.run_now is not None
        try:
            await self.run_now()
        except Exception:
            log.exception("running ritual launches failed; the scheduler will retry")

    async def _remember(
        self, tx: Transaction, workspace_id: int, profile: MemberProfile, now: datetime
    ) -> Member:
        """Store what the platform says of a member, but no timezone or locale we don't know;
        someone made a member again after their erasure gets back the opt-outs kept for them."""
        keys = self.person_keys.of(workspace_id, profile.user_id) if self.person_keys else []
        return await tx.directory.upsert_member(workspace_id, known_profile(profile), now, keys)

    async def idle(self) -> None:
        """Wait for work begun after an event's answer (``checkin now``) to finish."""
        while self._background:
            await asyncio.gather(*self._background)

    async def fire_schedule(self, fire: Fire) -> bool:
        """Act on a scheduled fire once, across processes: start the ritual for the community,
        or record its launch for each member whose timezone fires now (the scheduler executes
        it, in chunks), or post its digest.

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
                run = await self._start(turn, schedule.playbook, community, None, scheduled=True)
                started = int(run is not None)
            else:
                await tx.runs.request_launch(
                    fire.community_id, schedule.playbook, now, zones=fire.zones
                )
            log.info("scheduled ritual fired", extra={"key": schedule.key, "runs": started})
        if turn.enqueued:
            self._on_enqueued()
        return True

    async def launch_chunk(
        self,
        launch_id: int,
        token: str,
        members: Sequence[MemberProfile] | None,
        *,
        final: bool,
        lease: timedelta,
    ) -> bool:
        """Start a recorded launch's ritual for the next ``members`` (in user-id order; None:
        a ritual for the community as a whole), in one transaction with the launch's progress,
        so a crash between chunks resumes after the last one committed and asks nobody twice.
        The ``final`` chunk finishes the launch and tells who asked for it how many members
        were asked now and how many later (outside their working hours).

        False when the launch is no longer this caller's (another process took it over).

        The chunk's members are started without a savepoint each (two statements fewer per
        member); if one of them raises, the chunk is rolled back and done again with each
        member's start in its own savepoint, so that only that member is left out."""
        try:
            return await self._launch_chunk(
                launch_id, token, members, final=final, lease=lease, isolated=False
            )
        except _MemberFailed:
            return await self._launch_chunk(
                launch_id, token, members, final=final, lease=lease, isolated=True
            )

    async def _launch_chunk(
        self,
        launch_id: int,
        token: str,
        members: Sequence[MemberProfile] | None,
        *,
        final: bool,
        lease: timedelta,
        isolated: bool,
    ) -> bool:
        now = self._clock()
        async with self._store.transaction() as tx:
            launch = await tx.runs.held_launch(launch_id, token)
            if launch is None:
                return False
            community = await tx.directory.community(launch.community_id)
            workspace = (
                await tx.directory.workspace_by_id(community.workspace_id) if community else None
            )
            if (
                community is None
                or workspace is None
                or launch.playbook not in self._engine.playbooks
            ):
                launch.status, launch.finished_at = "failed", now
                launch.error = "the community or the ritual no longer exists"
                return False
            assert community.id is not None
            turn = _Turn(tx, workspace, now)
            if launch.playbook not in await tx.directory.enabled_playbooks(community.id):
                launch.status, launch.finished_at = "failed", now
                launch.error = "the ritual was switched off"
                log.info("launch of a ritual switched off dropped", extra={"launch": launch_id})
                # who asked for it was told it starts: now they learn it did not
                told = await notices.launch_failed(
                    tx, workspace, community, launch, self._engine.playbooks
                )
                await self._enqueue(turn, told, None)
                final, members, dropped = False, (), True  # nothing more of it
            else:
                dropped = False
            if members is None and final:
                run = await self._start(turn, launch.playbook, community, None, scheduled=True)
                launch.asked_now += int(run is not None)
            # a chunk committed before a crash is done already
            profiles = [p for p in members or () if p.user_id > launch.cursor]
            stored: dict[str, Member] = {}
            overrides: dict[str, Any] = {}
            if profiles:
                assert workspace.id is not None
                # what every member's start reads, read once for the chunk
                users = [p.user_id for p in profiles]
                stored = await tx.directory.members_by_user_id(workspace.id, users)
                overrides = await tx.directory.playbook_settings(community.id, launch.playbook)
                turn.running = await tx.runs.active_of(community.id, launch.playbook, users)
            for profile in profiles:
                run = await self._start_for(
                    turn,
                    launch,
                    community,
                    profile,
                    stored.get(profile.user_id),
                    overrides,
                    isolated=isolated,
                )
                if run is not None and NOT_STARTED in run.variables:
                    launch.asked_later += 1
                elif run is not None:
                    launch.asked_now += 1
                launch.cursor = profile.user_id
            if not dropped:
                launch.lease_until = now + lease
            if final:
                launch.status, launch.finished_at = "done", now
                told = await notices.launch_counted(
                    tx, workspace, community, launch, self._engine.playbooks
                )
                await self._enqueue(turn, told, None)
                log.info(
                    "ritual launched",
                    extra={
                        "playbook": launch.playbook,
                        "now": launch.asked_now,
                        "later": launch.asked_later,
                    },
                )
        if turn.enqueued:
            self._on_enqueued()
        return not dropped

    async def fail_launch(self, launch_id: int, token: str, reason: str) -> None:
        """Give up a launch that cannot go on (its roster cannot be read, again and again):
        recorded, and who asked for it is told."""
        now = self._clock()
        async with self._store.transaction() as tx:
            launch = await tx.runs.held_launch(launch_id, token)
            if launch is None:
                return
            launch.status, launch.finished_at, launch.error = "failed", now, reason[:500]
            community = await tx.directory.community(launch.community_id)
            workspace = (
                await tx.directory.workspace_by_id(community.workspace_id) if community else None
            )
            if community is None or workspace is None:
                return
            turn = _Turn(tx, workspace, now)
            told = await notices.launch_failed(
                tx, workspace, community, launch, self._engine.playbooks
            )
            await self._enqueue(turn, told, None)
        if turn.enqueued:
            self._on_enqueued()

    async def _start_for(
        self,
        turn: _Turn,
        launch: RitualLaunch,
        community: Community,
        profile: MemberProfile,
        stored: Member | None,
        overrides: dict[str, Any],
        *,
        isolated: bool,
    ) -> Run | None:
        """Start a launch's ritual for one member, if their timezone is one it is for. A
        member whose start raises is left out (logged) when ``isolated`` (each start in its own
        savepoint); otherwise _MemberFailed says to do the chunk again isolated. ``stored``: the
        member as stored (written again only when the roster says something new of them)."""
        if not isolated:
            try:
                return await self._start_member(turn, launch, community, profile, stored, overrides)
            except Exception as exc:
                raise _MemberFailed() from exc
        try:
            async with turn.tx.session.begin_nested():
                return await self._start_member(turn, launch, community, profile, stored, overrides)
        except Exception:
            log.exception(
                "starting a ritual for one member failed", extra={"playbook": launch.playbook}
            )
            return None

    async def _start_member(
        self,
        turn: _Turn,
        launch: RitualLaunch,
        community: Community,
        profile: MemberProfile,
        stored: Member | None,
        overrides: dict[str, Any],
    ) -> Run | None:
        assert turn.workspace.id is not None
        member = stored
        if member is None or _news(member, known_profile(profile)):
            member = await self._remember(turn.tx, turn.workspace.id, profile, turn.now)
        zone = zone_name(member.timezone, community.timezone)
        if launch.zones is not None and zone not in launch.zones:
            return None
        return await self._start(
            turn, launch.playbook, community, member, scheduled=True, overrides=overrides
        )

    # -- runs that fail, stop or lose their member ----------------------------------------

    async def _wake_failed(self, tick: Tick, exc: Exception) -> None:
        """A run's wake-up raised (its transaction rolled back): wake it again later, backing
        off, and after MAX_WAKE_FAILURES in a row mark it failed and tell the facilitators —
        unless the run moved on meanwhile (an answer, another process): then that stands."""
        now = self._clock()
        try:
            async with self._store.transaction() as tx:
                run = await tx.runs.get(tick.run_id, lock=True)
                if run is None or run.status not in ACTIVE:
                    return
                if tick.wake_at is not None and run.wake_at != tick.wake_at:
                    log.info("a failed wake-up of a run that moved on meanwhile is ignored")
                    return
                run.failures += 1
                run.updated_at = now
                if run.failures < MAX_WAKE_FAILURES:
                    run.wake_at = now + WAKE_BACKOFF * 4 ** (run.failures - 1)
                    log.warning(
                        "waking a run failed; retried later",
                        extra={"run": run.id, "failures": run.failures, "wake_at": run.wake_at},
                    )
                    return
                run.status, run.wake_at = "failed", None
                run.error = (
                    f"waking it at step {run.step!r} failed {run.failures} times "
                    f"({type(exc).__name__})"
                )
                await tx.runs.skip_queued(run.id, run.error)
                log.error("run failed", extra={"run": run.id, "playbook": run.playbook})
                community = await tx.directory.community(run.community_id)
                workspace = await tx.directory.workspace_by_id(run.workspace_id)
                if community is None or workspace is None:
                    return
                turn = _Turn(tx, workspace, now)
                await self._tell_failed(turn, run, community)
        except Exception:
            log.exception("recording a run's failure failed; the next pass retries")
            return
        if turn.enqueued:
            self._on_enqueued()

    async def _tell_failed(self, turn: _Turn, run: Run, community: Community) -> None:
        """Tell the community's facilitators a run failed — once for a ritual failing the same
        way for many members."""
        if await turn.tx.runs.failed_alike_since(run, turn.now - FAILURE_NOTICE_QUIET):
            return
        told = await notices.run_failed(
            turn.tx, turn.workspace, community, run, self._engine.playbooks
        )
        await self._enqueue(turn, told, None, [run.subject])

    async def _end_stopped_runs(
        self, turn: _Turn, member: Member, all_before: bool, before: set[str]
    ) -> None:
        """A member who just stopped a ritual (its stop button, ``optout``) or all of them:
        their runs of it end at once, and what those runs still had queued is not sent."""
        playbooks: set[str] | None
        if member.opted_out_all and not all_before:
            playbooks = None
        else:
            playbooks = set(member.opted_out) - before
            if not playbooks:
                return
        assert turn.workspace.id is not None
        ended = await turn.tx.runs.finish_member_runs(
            turn.workspace.id,
            member.user_id,
            turn.now,
            "member stopped the ritual",
            playbooks=playbooks,
        )
        if ended:
            log.info("runs ended: member stopped the ritual", extra={"runs": ended})

    async def _answer_stale(self, turn: _Turn, member: Member, run: Run) -> None:
        """A click on a button of a run that is over: say so, instead of nothing."""
        answer = notices.stale_click(member, run, turn.workspace, self._engine.playbooks)
        await self._enqueue(turn, [answer], None)

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
            case MemberLeft() if community is not None and member is not None:
                assert turn.workspace.id is not None
                ended = await turn.tx.runs.finish_member_runs(
                    turn.workspace.id,
                    member.user_id,
                    turn.now,
                    "member left the community",
                    community_id=community.id,
                )
                log.info("member left: their runs ended", extra={"runs": ended})
            case CommandInvoked(name="home") if member is not None:
                # the home on demand: Teams has no home tab, its card answers ``home``
                await self._publish_home(turn, member)
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
                elif event.value == FROM_HOME:  # on a home card (Teams): updated in place
                    await self._publish_home(turn, member, replacing=event.message)
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
        enabled = await turn.tx.directory.enabled_settings(community.id)
        for name, overrides in enabled.items():
            playbook = self._engine.playbooks.get(name)
            if playbook is None or playbook.trigger.on != trigger:
                continue
            if command is not None and getattr(playbook.trigger, "command", None) != command:
                continue
            run = await self._start(turn, name, community, member, overrides=overrides)
            started += run is not None
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
        overrides: dict[str, Any] | None = None,
    ) -> Run | None:
        """Start ``name`` for its subject, unless it already runs for them. A ``scheduled``
        start waits for working time, and ends a run of an earlier cycle first (last week's
        check-in when this week's starts) — but leaves one begun less than RECENT ago alone
        (``checkin now`` this morning, or a member who just changed timezone)."""
        playbook = self._engine.playbooks[name]
        if playbook.has_member_subject and member is None:
            return None
        subject = member.user_id if (member and playbook.has_member_subject) else ""
        assert community.id is not None and turn.workspace.id is not None
        if member is not None and subject and not_now(member, name, turn.now):
            log.info("member opted out or snoozed: ritual not started", extra={"playbook": name})
            return None
        if turn.running is not None:  # read for the whole chunk of a launch
            running = turn.running.get(subject)
        else:
            running = await turn.tx.runs.active(community.id, name, subject)
        if running is not None and (not scheduled or running.created_at > turn.now - RECENT):
            log.info("playbook already running for this subject", extra={"playbook": name})
            return None
        if running is not None:
            await turn.tx.runs.finish(running, turn.now, "superseded by the next cycle")
            log.info("previous run superseded", extra={"playbook": name})
        run_id = self._new_run_id()
        if overrides is None:
            overrides = await turn.tx.directory.playbook_settings(community.id, name)
        ctx = run_context(run_id, community, member if subject else None, turn.workspace, overrides)
        transition = self._engine.start(name, ctx, turn.now, in_working_time=scheduled)
        state = transition.state
        run = Run(  # inserted as the transition leaves it: no update right after
            id=run_id,
            workspace_id=turn.workspace.id,
            community_id=community.id,
            playbook=name,
            subject=subject,
            status="failed" if transition.error else state.status,
            step=state.step,
            variables=dict(state.variables),
            wake_at=state.wake_at,
            created_at=turn.now,
            updated_at=turn.now,
        )
        await turn.tx.runs.add(run)
        await self._apply(turn, run, community, transition, ctx.locale)
        return run

    async def _resume(self, turn: _Turn, run_id: str, event: Event, member: Member | None) -> None:
        run = await turn.tx.runs.get(run_id, lock=True)
        if run is None or run.workspace_id != turn.workspace.id:
            log.info("event for an unknown run ignored")
            return
        if member is not None and run.subject and member.user_id != run.subject:
            log.info("answer from someone else than the run's member ignored")
            return
        answering = isinstance(event, ButtonClicked | FormSubmitted) and member is not None
        if run.status not in ACTIVE:
            if answering and member is not None and run.subject:
                await self._answer_stale(turn, member, run)
            log.info("event for a finished run ignored")
            return
        community = await turn.tx.directory.community(run.community_id)
        assert community is not None and turn.workspace.id is not None
        subject = (
            await turn.tx.directory.member(turn.workspace.id, run.subject) if run.subject else None
        )
        if subject is not None and (subject.opted_out_all or run.playbook in subject.opted_out):
            # stopped by other means than its own button (a command, another process): end it
            await turn.tx.runs.finish(run, turn.now, "member stopped the ritual")
            if answering:
                await self._answer_stale(turn, subject, run)
            return
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
        run.status = "failed" if transition.error else state.status
        run.variables = dict(state.variables)
        run.wake_at = state.wake_at
        run.updated_at = turn.now
        run.error = transition.error[:500] if transition.error else None
        run.failures = 0
        if transition.error:
            log.error("run stopped", extra={"playbook": run.playbook, "reason": transition.error})
            await turn.tx.session.flush()
            await self._tell_failed(turn, run, community)
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

    async def _enqueue(
        self,
        turn: _Turn,
        actions: Iterable[act.Action],
        run: Run | None,
        names: Iterable[str] = (),
    ) -> None:
        """Queue ``actions``; ``names``: the people they may name besides a run's subject."""
        assert turn.workspace.id is not None
        named = {*names, *([run.subject] if run is not None and run.subject else [])}
        outgoing = [
            Outgoing(
                act.action_to_dict(action),
                act.recipient_of(action),
                run.id if run else None,
                run.playbook if run else None,
                named,
            )
            for action in actions
        ]
        await turn.tx.outbox.enqueue_all(outgoing, workspace_id=turn.workspace.id, now=turn.now)
        turn.enqueued += len(outgoing)

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
            dashboard=self.dashboard,
            reader=self._store.read,
        )
        reply = await commands.reply(invocation)
        await self._enqueue(turn, [reply], None, invocation.named())
        turn.run_now = turn.run_now or invocation.run_now is not None

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

    async def _publish_home(
        self, turn: _Turn, member: Member, replacing: MessageRef | None = None
    ) -> None:
        wid, uid, now = turn.workspace.id, member.user_id, turn.now
        assert wid is not None
        asking = asking_rituals(self._engine.playbooks)

        async def glances(tx: Transaction) -> dict[int, Glance]:
            return await read_glances(tx, wid, uid, now, asking)

        # the pulse of each facilitated community is a long read: outside the event's write
        # transaction (SQLite's write lock is not held meanwhile); only the toggle writes here
        read = await read_outside(
            turn.answers, self._store.read, turn.tx, f"home:{wid}:{uid}:{now.isoformat()}", glances
        )
        home = await build_home(
            turn.tx,
            turn.workspace,
            member,
            self._engine.playbooks,
            resolve_locale(member, None, turn.workspace),
            turn.now,
            self.dashboard,
            read,
            replacing,
        )
        await self._enqueue(turn, [home], None)
