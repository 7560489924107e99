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
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime.clock import Clock
from bot.runtime.context import calendar_for
from bot.runtime.housekeeping import Housekeeping
from bot.runtime.launch_runner import (
    LAUNCH_CHUNK,
    LAUNCH_CHUNK_ONE_WRITER,
    LAUNCH_LEASE,
    Launcher,
    LaunchRunner,
    RosterLookup,
)
from bot.runtime.schedules import (
    ZONE_SPREAD,
    Fire,
    Outcome,
    Schedule,
    fires_by_instant,
    schedules_of,
)
from bot.vocabulary.events import Event, Tick, WorkspaceRef
from bot.vocabulary.ports import DispatchResult
from playbooks.calendar import zone
from playbooks.schema import Playbook
from storage.store import Store, Transaction
from storage.tables import Community, PlaybookEnablement

log = logging.getLogger(__name__)

FireSchedule = Callable[[Fire], Awaitable[bool]]
LOOKBACK = timedelta(days=7)
#: Due rosters are looked for at most this often.
ROSTER_EVERY = timedelta(minutes=1)
#: Communities whose pulse is due a look are looked for at most this often.
PULSE_EVERY = timedelta(minutes=1)
#: Reads the communities' rosters that are due.
RosterPass = Callable[[], Awaitable[object]]


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
        if chunk_size is None:
            chunk_size = LAUNCH_CHUNK_ONE_WRITER if store.one_writer else LAUNCH_CHUNK
        self._launches = (
            LaunchRunner(store, launcher, playbooks, clock, roster, chunk_size, lease)
            if launcher is not None
            else None
        )
        self._housekeeping = Housekeeping(
            store, clock, dedupe_retention, activity_retention, delivery_retention
        )
        self._on_lag = on_lag
        self._rosters = rosters
        self._last_roster_pass: datetime | None = None
        self._pulse = pulse
        self._last_pulse_pass: datetime | None = None
        self._driver: AsyncIOScheduler | None = None
        self._running: asyncio.Task[int] | None = None
        #: set by :meth:`stop`: what is under way finishes, nothing new is taken
        self._stopping = False

    async def tick(self) -> int:
        """One pass; returns how many runs were woken or started."""
        woken = await self._wake_due_runs() + await self._fire_due_schedules()
        await self.run_launches()
        await self._housekeeping.run()
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
        return await self._launches.run() if self._launches is not None else 0

    @property
    def chunk_size(self) -> int:
        """Members started per transaction of a launch."""
        return self._launches.chunk_size if self._launches is not None else LAUNCH_CHUNK

    @chunk_size.setter
    def chunk_size(self, size: int) -> None:
        if self._launches is not None:
            self._launches.chunk_size = size

    def start(self, interval_seconds: float) -> None:
        """Drive :meth:`tick` every ``interval_seconds`` on the running event loop."""
        self._stopping = False
        if self._launches is not None:
            self._launches.stopping = False
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
        if self._launches is not None:
            self._launches.stopping = True
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
