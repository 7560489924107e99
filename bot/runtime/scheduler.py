"""Time-driven work: wake runs whose timer is due, and fire scheduled playbooks.

The database is the source of truth (run wake times, claimed schedule occurrences); APScheduler
only computes cron fire times and drives the loop, so any number of processes can run this.

Missed fires (the bot was down): the latest fire time since the previous occurrence is caught
up when it is at most ``grace`` old; older than that, it is recorded as skipped and nothing is
sent. Earlier fires in the same gap collapse into that one. Fires on the community's weekends
and holidays are recorded as ``holiday`` and start nothing (digests still go out: they report
on days that were worked).

A ritual for each member fires at its cron time in each member's own timezone: one occurrence
per distinct instant, for the members whose timezone fires then.

Starting a ritual for many members is a launch: recorded with what asked for it (the fire's
occurrence, or a facilitator's ``checkin now``) and executed here — claimed by one process (a
lease), its members handled in chunks that each commit their progress, so a crash loses nothing
and the next process continues where it stopped; one member whose start fails is left out, not
every other one.

Stopping (:meth:`Scheduler.stop`) takes nothing new: no more passes, runs or fires; a launch
stops after the chunk under way and is given back, so the next process continues it at once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.runtime.clock import Clock
from bot.runtime.context import calendar_for
from bot.vocabulary.events import Event, MemberProfile, Tick, WorkspaceRef
from bot.vocabulary.ports import DispatchResult
from playbooks.calendar import valid_zone, zone
from playbooks.schema import Playbook, ScheduleTrigger
from storage.pulse import PURGE_BATCH
from storage.store import Store, Transaction
from storage.tables import Community, PlaybookEnablement

log = logging.getLogger(__name__)

FireSchedule = Callable[["Fire"], Awaitable[bool]]


class Launcher(Protocol):
    """Executes ritual launches chunk by chunk (the dispatcher)."""

    async def launch_chunk(
        self,
        launch_id: int,
        token: str,
        members: Sequence[MemberProfile] | None,
        *,
        final: bool,
        lease: timedelta,
    ) -> bool: ...

    async def fail_launch(self, launch_id: int, token: str, reason: str) -> None: ...


#: The members of a community (its platform roster): ``await roster(workspace, channel)``.
RosterLookup = Callable[[WorkspaceRef, str], Awaitable[list[MemberProfile]]]
LOOKBACK = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)
#: Batches of old activity purged per community and pass at most (the next pass goes on).
PURGE_BATCHES = 20
#: Deliveries whose text is erased per transaction.
TEXT_BATCH = 2000
#: Due rosters are looked for at most this often.
ROSTER_EVERY = timedelta(minutes=1)
#: Communities whose pulse is due a look are looked for at most this often.
PULSE_EVERY = timedelta(minutes=1)
#: Reads the communities' rosters that are due.
RosterPass = Callable[[], Awaitable[object]]
#: The same wall-clock time happens within 26 hours around the world (UTC-12 to UTC+14).
ZONE_SPREAD = timedelta(hours=26)
DIGEST = "#digest"
#: Members started per transaction of a launch, and how long a claim on it holds. Where the
#: database has one writer at a time (SQLite), every inbound event waits for the chunk under way:
#: smaller chunks there (about 25 ms each instead of 120 ms), a few more statements per member.
LAUNCH_CHUNK = 50
LAUNCH_CHUNK_ONE_WRITER = 10
LAUNCH_LEASE = timedelta(minutes=2)
#: Claims of one launch (each after a crash, an error or an unreadable roster) before it is
#: given up (recorded, and who asked for it told).
LAUNCH_ATTEMPTS = 5
Outcome = Literal["started", "skipped", "holiday"]


@dataclass(frozen=True, slots=True)
class Schedule:
    playbook: str
    #: what its occurrences are recorded under: the playbook's name, or ``<name>#digest``
    key: str
    cron: str
    #: read in each member's timezone (a ritual for each member), else in the community's
    per_member: bool

    @property
    def is_digest(self) -> bool:
        return self.key.endswith(DIGEST)


@dataclass(frozen=True, slots=True)
class Fire:
    """A schedule due for a community: start it, skip it (missed, holiday), or post a digest.
    ``zones``: the timezones whose members it is for (rituals run for each member)."""

    community_id: int
    schedule: Schedule
    fire_at: datetime
    outcome: Outcome
    #: None: every member, whatever their timezone (a facilitator's "now")
    zones: frozenset[str] | None


def schedules_of(playbook: Playbook, settings: Mapping[str, Any]) -> list[Schedule]:
    """The playbook's cron schedules, with a community's ``schedule`` / ``digest`` overrides."""
    found = []
    trigger = playbook.trigger
    if isinstance(trigger, ScheduleTrigger):
        cron = str(settings.get("schedule") or trigger.cron)
        per_member = trigger.audience == "each_member"
        found.append(Schedule(playbook.name, playbook.name, cron, per_member))
    if playbook.digest is not None:
        cron = str(settings.get("digest") or playbook.digest.cron)
        found.append(Schedule(playbook.name, playbook.name + DIGEST, cron, False))
    return found


def fires_by_instant(
    cron: str, zones: Iterable[str], after: datetime, until: datetime
) -> list[tuple[datetime, set[str]]]:
    """The latest fire of ``cron`` in each zone, zones firing at the same instant together."""
    fires: dict[datetime, set[str]] = {}
    for name in zones:
        if valid_zone(name) is None:
            continue  # never stored since; an old row follows the community's timezone
        try:
            fire = latest_fire(cron, name, after, until)
        except (ValueError, LookupError, OSError):
            log.warning("a timezone is invalid; its members follow the community's")
            continue
        if fire is not None:
            fires.setdefault(fire, set()).add(name)
    return sorted(fires.items())


def latest_fire(cron: str, timezone: str, after: datetime, until: datetime) -> datetime | None:
    """The last fire time of ``cron`` (in ``timezone``) in ``(after, until]``, else None."""
    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    latest = None
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    for _ in range(100_000):
        if fire is None or fire > until:
            break
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


class Scheduler:
    def __init__(
        self,
        store: Store,
        dispatch: Callable[[Event], Awaitable[DispatchResult]],
        fire_schedule: FireSchedule,
        playbooks: Mapping[str, Playbook],
        clock: Clock,
        grace: timedelta = timedelta(hours=1),
        dedupe_retention: timedelta = timedelta(days=7),
        roster: RosterLookup | None = None,
        launcher: Launcher | None = None,
        chunk_size: int | None = None,
        lease: timedelta = LAUNCH_LEASE,
        on_lag: Callable[[str, datetime, datetime], None] | None = None,
        rosters: RosterPass | None = None,
        activity_retention: timedelta | None = None,
        pulse: RosterPass | None = None,
        delivery_retention: timedelta | None = None,
    ) -> None:
        """``on_lag(kind, due, now)``: told when a due run (``run``) or fire (``fire``) is
        processed, to measure how late. ``rosters``: reads the communities' rosters that are
        due (``RosterSync.run_due``), at most once a minute. ``activity_retention``: raw
        activity older than this is purged (hourly; the pulse's rollups stay).
        ``delivery_retention``: the text of deliveries sent longer ago is erased (hourly).
        ``chunk_size``: members started per transaction of a launch (by default LAUNCH_CHUNK,
        LAUNCH_CHUNK_ONE_WRITER on a database with one writer at a time)."""
        self._store = store
        self._dispatch = dispatch
        self._fire_schedule = fire_schedule
        self._playbooks = playbooks
        self._clock = clock
        self._grace = grace
        self._dedupe_retention = dedupe_retention
        self._roster = roster
        self._launcher = launcher
        if chunk_size is None:
            chunk_size = LAUNCH_CHUNK_ONE_WRITER if store.one_writer else LAUNCH_CHUNK
        self.chunk_size = chunk_size
        self._lease = lease
        self._on_lag = on_lag
        self._rosters = rosters
        self._activity_retention = activity_retention
        self._delivery_retention = delivery_retention
        self._last_roster_pass: datetime | None = None
        self._pulse = pulse
        self._last_pulse_pass: datetime | None = None
        self._driver: AsyncIOScheduler | None = None
        self._running: asyncio.Task[int] | None = None
        self._last_purge: datetime | None = None
        #: set by :meth:`stop`: what is under way finishes, nothing new is taken
        self._stopping = False

    async def tick(self) -> int:
        """One pass; returns how many runs were woken or started."""
        woken = await self._wake_due_runs() + await self._fire_due_schedules()
        await self.run_launches()
        await self._forget_old_event_keys()
        await self._read_rosters()
        await self._watch_pulse()
        return woken

    async def read_rosters_now(self) -> None:
        """Read the rosters that are due at once, whenever the last look was."""
        self._last_roster_pass = None
        await self._read_rosters()

    async def _watch_pulse(self) -> None:
        """Communities whose pulse is due a look (early warnings, the weekly digest)."""
        now = self._clock()
        if self._pulse is None or (
            self._last_pulse_pass is not None and now - self._last_pulse_pass < PULSE_EVERY
        ):
            return
        self._last_pulse_pass = now
        try:
            await self._pulse()
        except Exception:
            log.exception("looking at the communities' pulse failed; the next pass retries")

    async def _read_rosters(self) -> None:
        """Communities' rosters that are due (declared since, or read a day ago)."""
        now = self._clock()
        if self._rosters is None or (
            self._last_roster_pass is not None and now - self._last_roster_pass < ROSTER_EVERY
        ):
            return
        self._last_roster_pass = now
        try:
            await self._rosters()
        except Exception:
            log.exception("reading the communities' rosters failed; the next pass retries")

    async def _forget_old_event_keys(self) -> None:
        """Platforms retry within minutes; keys older than the retention are dead weight."""
        now = self._clock()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        async with self._store.transaction() as tx:
            purged = await tx.activity.forget_processed_before(now - self._dedupe_retention)
        if purged:
            log.info("old event keys forgotten", extra={"count": purged})
        if self._activity_retention is not None:
            await self._purge_activity(now - self._activity_retention)
        if self._delivery_retention is not None:
            await self._forget_delivery_texts(now, now - self._delivery_retention)

    async def _forget_delivery_texts(self, now: datetime, cutoff: datetime) -> None:
        """The texts of deliveries sent before ``cutoff`` go, a batch per transaction."""
        erased = 0
        for _ in range(PURGE_BATCHES):
            async with self._store.transaction() as tx:
                gone = await tx.outbox.forget_texts_before(cutoff, now, TEXT_BATCH)
            erased += gone
            if gone < TEXT_BATCH:
                break
        if erased:
            log.info("texts of old deliveries erased", extra={"count": erased})

    async def _purge_activity(self, cutoff: datetime) -> None:
        """Raw activity older than the retention goes, a batch per transaction, community by
        community (and what happened outside any); the rollups stay."""
        async with self._store.read() as tx:
            places: list[int | None] = [c.id for c in await tx.directory.communities()]
        purged = 0
        for place in [*places, None]:
            for _ in range(PURGE_BATCHES):
                async with self._store.transaction() as tx:
                    gone = await tx.pulse.purge_before(place, cutoff)
                purged += gone
                if gone < PURGE_BATCH:
                    break
        if purged:
            log.info("activity older than the retention purged", extra={"count": purged})

    async def _wake_due_runs(self) -> int:
        now = self._clock()
        async with self._store.transaction() as tx:
            due = await tx.runs.due(now)
        woken = 0
        for run in due:
            if self._stopping:
                break  # the others are due for the next process
            if self._on_lag is not None:
                self._on_lag("run", run.wake_at, self._clock())
            tick = Tick(
                workspace=WorkspaceRef(run.platform, run.external_id),  # type: ignore[arg-type]
                key=f"tick:{run.run_id}:{run.wake_at.isoformat()}",
                occurred_at=now,
                run_id=run.run_id,
                wake_at=run.wake_at,
            )
            try:
                if await self._dispatch(tick) == "processed":
                    woken += 1
            except Exception:  # one broken run must not hold up every other one
                log.exception("waking a run failed; it backs off", extra={"run": run.run_id})
        return woken

    async def _fire_due_schedules(self) -> int:
        now = self._clock()
        pending: list[Fire] = []
        async with self._store.read() as tx:  # only finding what is due: no write lock
            names = [n for n, pb in self._playbooks.items() if schedules_of(pb, {})]
            for enablement in await tx.directory.enablements(names) if names else ():
                community = await tx.directory.community(enablement.community_id)
                if community is None or community.id is None:
                    continue
                workspace = await tx.directory.workspace_by_id(community.workspace_id)
                assert workspace is not None and workspace.id is not None
                playbook = self._playbooks[enablement.playbook]
                for schedule in schedules_of(playbook, enablement.settings):
                    zones = {community.timezone}
                    if schedule.per_member:
                        zones |= await tx.directory.member_timezones(workspace.id)
                    pending += await self._due(tx, community, enablement, schedule, zones, now)
        started = 0
        for fire in pending:
            if self._stopping:
                break
            if self._on_lag is not None:
                self._on_lag("fire", fire.fire_at, self._clock())
            try:
                started += int(await self._fire_schedule(fire))
            except Exception:  # nor one broken community every other one
                log.exception(
                    "a scheduled fire failed; it will be retried", extra={"key": fire.schedule.key}
                )
        return started

    async def _due(
        self,
        tx: Transaction,
        community: Community,
        enablement: PlaybookEnablement,
        schedule: Schedule,
        zones: set[str],
        now: datetime,
    ) -> list[Fire]:
        """The fires of ``schedule`` not yet recorded, each with what to do with it."""
        assert community.id is not None
        last = await tx.runs.last_occurrence(community.id, schedule.key)
        after = max(enablement.enabled_at, now - LOOKBACK)
        if last is not None:
            after = max(after, last - ZONE_SPREAD)
        calendar = calendar_for(community)
        due = []
        for at, fire_zones in fires_by_instant(schedule.cron, zones, after, now):
            if await tx.runs.occurred(community.id, schedule.key, at):
                continue
            local_day = at.astimezone(zone(next(iter(fire_zones)))).date()
            outcome: Outcome = "started"
            if now - at > self._grace:
                outcome = "skipped"
            elif not schedule.is_digest and not calendar.is_working_day(local_day):
                outcome = "holiday"
            due.append(Fire(community.id, schedule, at, outcome, frozenset(fire_zones)))
        return due

    async def run_now(self) -> int:
        """Execute the recorded launches at once (after a facilitator's ``checkin now``)."""
        return await self.run_launches()

    async def run_launches(self) -> int:
        """Execute every launch nobody else holds; returns how many were finished here."""
        if self._launcher is None:
            return 0
        finished = 0
        token = uuid.uuid4().hex
        while not self._stopping:
            async with self._store.transaction() as tx:
                launch = await tx.runs.claim_launch(self._clock(), token, self._lease)
                if launch is None:
                    return finished
                assert launch.id is not None
                launch_id, cursor, attempts = launch.id, launch.cursor, launch.attempts
                target = await self._launch_target(tx, launch.community_id, launch.playbook)
            try:
                if attempts > LAUNCH_ATTEMPTS:
                    reason = f"not completed after {LAUNCH_ATTEMPTS} attempts"
                    await self._launcher.fail_launch(launch_id, token, reason)
                    continue
                finished += await self._execute(launch_id, token, cursor, target)
            except Exception:  # one broken launch must not hold up the others
                log.exception("a ritual launch failed; it is retried when its claim ends")
        return finished

    async def _launch_target(
        self, tx: Transaction, community_id: int, playbook: str
    ) -> tuple[WorkspaceRef, str, bool] | None:
        """Where a launch's members are (workspace, channel) and whether the ritual is for
        each member; None when the community is gone."""
        community = await tx.directory.community(community_id)
        if community is None:
            return None
        workspace = await tx.directory.workspace_by_id(community.workspace_id)
        assert workspace is not None
        found = self._playbooks.get(playbook)
        schedules = [s for s in schedules_of(found, {}) if not s.is_digest] if found else []
        per_member = schedules[0].per_member if schedules else True
        ref = WorkspaceRef(workspace.platform, workspace.external_id)  # type: ignore[arg-type]
        return ref, community.channel_id, per_member

    async def _execute(
        self,
        launch_id: int,
        token: str,
        cursor: str,
        target: tuple[WorkspaceRef, str, bool] | None,
    ) -> int:
        launcher = self._launcher
        assert launcher is not None
        if target is None:  # the launch chunk records why
            await launcher.launch_chunk(launch_id, token, [], final=True, lease=self._lease)
            return 0
        workspace, channel, per_member = target
        if not per_member:
            done = await launcher.launch_chunk(
                launch_id, token, None, final=True, lease=self._lease
            )
            return int(done)
        roster = await self._members(workspace, channel)
        if roster is None:
            return 0  # tried again when the claim ends
        members = sorted(
            {m.user_id: m for m in roster if m.user_id > cursor}.values(), key=lambda m: m.user_id
        )
        size = max(1, self.chunk_size)
        chunks = [members[i : i + size] for i in range(0, len(members), size)] or [[]]
        for index, chunk in enumerate(chunks):
            if self._stopping:
                await self._give_back(launch_id, token)
                return 0
            final = index == len(chunks) - 1
            if not await launcher.launch_chunk(
                launch_id, token, chunk, final=final, lease=self._lease
            ):
                return 0  # taken over by another process: it finishes the launch
        return 1

    async def _give_back(self, launch_id: int, token: str) -> None:
        """Hand a launch stopped mid-way back (stopping): the next process continues it at once
        instead of waiting for its lease to run out."""
        try:
            async with self._store.transaction() as tx:
                released = await tx.runs.release_launch(launch_id, token)
        except Exception as exc:
            log.warning(
                "launch not given back; its lease expires", extra={"error": type(exc).__name__}
            )
            return
        if released:
            log.info("launch stopped mid-way and given back", extra={"launch": launch_id})

    async def _members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile] | None:
        if self._roster is None:
            return []
        try:
            return await self._roster(workspace, channel)
        except Exception:
            log.exception("could not read the community roster; will retry")
            return None

    def start(self, interval_seconds: float) -> None:
        """Drive :meth:`tick` every ``interval_seconds`` on the running event loop."""
        self._stopping = False
        self._driver = AsyncIOScheduler(timezone="UTC")
        self._driver.add_job(
            self._tick_once,
            "interval",
            seconds=interval_seconds,
            max_instances=1,
            coalesce=True,
            id="animateur-tick",
        )
        self._driver.start()

    async def _tick_once(self) -> None:
        self._running = asyncio.ensure_future(self.tick())
        try:
            await asyncio.shield(self._running)
        except Exception:
            log.exception("scheduler pass failed; the next one will retry")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop firing, and let a pass under way finish what it began — the run or fire under
        way, a launch's chunk (the launch is given back) — cut only after ``grace`` seconds."""
        self._stopping = True
        if self._driver is not None:
            self._driver.shutdown(wait=False)
            self._driver = None
        if self._running is not None and not self._running.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._running), grace)
            except TimeoutError:
                self._running.cancel()
            except Exception:
                log.exception("the last scheduler pass failed")
