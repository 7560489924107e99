"""Inbound path: dedupe → record activity → engine → outbox, all in one transaction.

A crash anywhere before the commit leaves no trace, so the platform's retry is processed again;
after the commit, the event key makes any retry a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import nullcontext
from datetime import timedelta

from bot.runtime import champion_buttons, commands, conversation_events, seeing
from bot.runtime.clock import Clock
from bot.runtime.commands import BUILT_IN
from bot.runtime.community_setup import SETUP_PREFIX, opened_for, setup_command
from bot.runtime.context import resolve_locale
from bot.runtime.dashboard.links import DashboardLinks
from bot.runtime.digests import digest_actions
from bot.runtime.foreground import Foreground
from bot.runtime.governance import Answers, Governance, read_outside
from bot.runtime.home import FROM_HOME, apply_toggle, asking_rituals, build_home, toggle_of
from bot.runtime.home_health import Glance, read_glances
from bot.runtime.invocation import Invocation, OpenedFor
from bot.runtime.launches import Launches, remember_member
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.person_keys import PersonKeys
from bot.runtime.rituals import Rituals
from bot.runtime.schedules import Fire
from bot.runtime.start_button import is_start
from bot.runtime.start_button import start_callback as start_callback
from bot.runtime.turn import Turn, enqueue
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
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    MessageRef,
    ReactionAdded,
    ReactionRemoved,
    Tick,
)
from bot.vocabulary.ports import DispatchResult
from playbooks.engine import Engine, parse_callback
from storage.runs import ACTIVE
from storage.store import Store, Transaction
from storage.tables import Community, Member, ScheduleOccurrence

log = logging.getLogger(__name__)

#: Conversation activity: recorded, and changes who gets what only when a ritual acts on it.
CONVERSATION = (MessagePosted, MessageEdited, MessageDeleted, ReactionAdded, ReactionRemoved)

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


class Dispatcher:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        clock: Clock,
        on_enqueued: Callable[[], None] = lambda: None,
        new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        governance: Governance | None = None,
        on_changed: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._governance = governance or Governance({})
        self._engine = engine
        self._clock = clock
        self._on_enqueued = on_enqueued
        #: after each committed event that may change who gets what: any but conversation
        #: activity (hundreds a second) that only was recorded
        self.on_changed = on_changed
        self._new_run_id = new_run_id
        #: set by the composition root once the scheduler exists (it needs this dispatcher)
        self.run_now: RunNow | None = None
        #: signs ``/animateur dashboard``'s links (set by the composition root)
        self.dashboard: DashboardLinks | None = None
        self._background: set[asyncio.Future[None]] = set()
        self._at_once = asyncio.Semaphore(EVENTS_AT_ONCE)
        self._rituals = Rituals(engine, new_run_id, MessageLinkBook())
        #: inbound events go first: background work waits for its turn (bot.runtime.foreground)
        self.foreground = Foreground()
        #: executes recorded launches chunk by chunk (the scheduler's launcher)
        self.launches = Launches(store, engine, self._rituals, clock, on_enqueued, self.foreground)

    @property
    def message_links(self) -> MessageLinkBook:
        """Each platform's links to its messages (set by the composition root): for
        facilitators, and for the experts a ritual asks about a thread."""
        return self._rituals.links

    @message_links.setter
    def message_links(self, links: MessageLinkBook) -> None:
        self._rituals.links = links

    @property
    def person_keys(self) -> PersonKeys | None:
        """Names people by a keyed hash: a member seen again after their erasure gets back the
        opt-outs kept under it (None: nothing is looked up; set by the composition root)."""
        return self.launches.person_keys

    @person_keys.setter
    def person_keys(self, keys: PersonKeys | None) -> None:
        self.launches.person_keys = keys

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
        # an inbound event goes before background work (a timer's wake-up is background)
        with nullcontext() if isinstance(event, Tick) else self.foreground.event():
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
            turn = Turn(tx, workspace, now, answers=answers)
            member = None
            profile = getattr(event, "member", None)
            if profile is not None:
                member = await remember_member(
                    tx, workspace.id, profile, now, self.launches.person_keys
                )
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
        if turn.enqueued or not isinstance(event, CONVERSATION):
            self.on_changed()
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
            turn = Turn(tx, workspace, now)
            started = 0
            if schedule.is_digest:
                overrides = await tx.directory.playbook_settings(
                    fire.community_id, schedule.playbook
                )
                playbook = self._engine.playbook_for(schedule.playbook, overrides)
                assert playbook is not None
                digest, named = await digest_actions(
                    tx, workspace, community, playbook, fire.fire_at
                )
                await enqueue(turn, digest, None, named)
            elif not schedule.per_member:
                run = await self._rituals.start(
                    turn, schedule.playbook, community, None, scheduled=True
                )
                started = int(run is not None)
            else:
                await tx.runs.request_launch(
                    fire.community_id, schedule.playbook, now, zones=fire.zones
                )
            log.info("scheduled ritual fired", extra={"key": schedule.key, "runs": started})
        if turn.enqueued:
            self._on_enqueued()
        return True

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
                turn = Turn(tx, workspace, now)
                await self._rituals.tell_failed(turn, run, community)
        except Exception:
            log.exception("recording a run's failure failed; the next pass retries")
            return
        if turn.enqueued:
            self._on_enqueued()

    async def _end_stopped_runs(
        self, turn: Turn, member: Member, all_before: bool, before: set[str]
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

    # -- routing --------------------------------------------------------------------------

    async def _route(
        self, turn: Turn, event: Event, member: Member | None, community: Community | None
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
                await self._rituals.start_triggered(turn, community, member, "member_joined")
            case MessagePosted() if community is not None and member is not None:
                await conversation_events.message_posted(
                    turn, self._engine, self._rituals, event, member, community
                )
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
                    started = await self._rituals.start_triggered(
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
            case ButtonClicked() if member is not None and champion_buttons.is_champion(
                event.callback
            ):
                await champion_buttons.clicked(turn, event, member)
            case ButtonClicked() if is_start(event.callback):
                await self._rituals.start_from_button(turn, event.callback, member)
            case FormSubmitted() if member is not None and event.callback.startswith(SETUP_PREFIX):
                await self._setup_submitted(turn, member, event)
            case ButtonClicked() | FormSubmitted():
                parsed = parse_callback(event.callback)
                if parsed is None:
                    log.info("answer with an unknown callback ignored")
                    return
                await self._rituals.resume(turn, parsed[0], event, member)
            case Tick():
                await self._rituals.resume(turn, event.run_id, event, None)
            case _:
                pass

    async def _command(
        self,
        turn: Turn,
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
            message_links=self.message_links,
        )
        reply = await commands.reply(invocation)
        await enqueue(turn, [reply], None, invocation.named())
        turn.run_now = turn.run_now or invocation.run_now is not None

    async def _setup_submitted(self, turn: Turn, member: Member, event: FormSubmitted) -> None:
        """A setup form: the ``community setup`` command of its channel, with its values."""
        command = setup_command(event)
        assert turn.workspace.id is not None
        community = await turn.tx.directory.community_by_channel(turn.workspace.id, command.channel)
        await self._command(
            turn, community, member, command, event.values, opened_for(event.callback)
        )

    async def _confirm_toggle(self, turn: Turn, member: Member, callback: str) -> None:
        """Tell the member who stopped a ritual from one of its messages how to get it back."""
        toggle = toggle_of(callback)
        assert toggle is not None
        target, out = toggle
        locale = resolve_locale(member, None, turn.workspace)
        said = commands.opted_text(target, out, locale, self._engine.playbooks)
        await enqueue(turn, [act.SendDirectMessage(user_id=member.user_id, text=said)], None)

    async def _publish_home(
        self, turn: Turn, member: Member, replacing: MessageRef | None = None
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
        await enqueue(turn, [home], None)
