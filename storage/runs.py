"""Runs of playbooks, their answers, the claimed occurrences of scheduled ones, and ritual
launches (a ritual to start for a community's members, executed in chunks)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import Answer, Delivery, RitualLaunch, Run, ScheduleOccurrence, Workspace

ACTIVE = ("waiting_answer", "waiting_timer")
#: Deliveries not yet sent: a run that ends takes these back. One in flight is dropped by its
#: worker's fencing check (the row is no longer in flight with its attempt) unless already sent.
QUEUED = ("pending", "in_flight")


class DueRun(NamedTuple):
    run_id: str
    wake_at: datetime
    platform: str
    external_id: str


class Runs:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, run: Run, *, flush: bool = True) -> Run:
        """Add ``run``; inserted at once, or (``flush=False``) with the next flush, together
        with the other runs added meanwhile."""
        self._s.add(run)
        if flush:
            await self._s.flush()
        return run

    async def get(self, run_id: str, *, lock: bool = False) -> Run | None:
        query = select(Run).where(Run.id == run_id)
        if lock:
            query = query.with_for_update()
        return (await self._s.execute(query)).scalar_one_or_none()

    async def active(
        self, community_id: int, playbook: str, subject: str, occasion: str = ""
    ) -> Run | None:
        """The run of ``playbook`` going for ``subject`` (for this ``occasion``: a question)."""
        query = select(Run).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            Run.subject == subject,
            Run.occasion == occasion,
            col(Run.status).in_(ACTIVE),
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def count_going(self, community_id: int, playbook: str, subject: str) -> int:
        """How many runs of ``playbook`` are going for ``subject``, whatever their occasion."""
        query = select(func.count()).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            Run.subject == subject,
            col(Run.status).in_(ACTIVE),
        )
        return int((await self._s.execute(query)).scalar_one())

    async def active_of(
        self, community_id: int, playbook: str, subjects: Sequence[str]
    ) -> dict[str, Run]:
        """``active`` for several subjects at once (absent: none going), by subject."""
        if not subjects:
            return {}
        query = select(Run).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            col(Run.subject).in_(list(subjects)),
            Run.occasion == "",
            col(Run.status).in_(ACTIVE),
        )
        return {run.subject: run for run in (await self._s.execute(query)).scalars().all()}

    async def waiting_on_thread(self, community_id: int, thread: str) -> Sequence[Run]:
        """The runs waiting for a reply in this thread (``wait_reply``), locked (one indexed
        lookup: ``ix_run_waiting_thread``)."""
        query = (
            select(Run)
            .where(
                Run.community_id == community_id,
                Run.waiting_thread == thread,
                col(Run.status).in_(ACTIVE),
            )
            .order_by(col(Run.id))
            .with_for_update()
        )
        return (await self._s.execute(query)).scalars().all()

    async def finish(self, run: Run, now: datetime, reason: str = "run ended") -> None:
        """End a run where it stands (superseded, switched off, stopped, its member left): no
        more wake-ups, its buttons go stale, and its messages still queued are not sent."""
        run.status, run.step, run.wake_at, run.updated_at = "done", None, None, now
        run.waiting_thread = None
        await self._s.flush()
        await self.skip_queued(run.id, reason)

    async def skip_queued(self, run_id: str, reason: str) -> int:
        """Mark the run's deliveries not yet sent as skipped, with ``reason``."""
        result = await self._s.execute(
            update(Delivery)
            .where(col(Delivery.run_id) == run_id, col(Delivery.status).in_(QUEUED))
            .values(status="skipped", last_error=reason[:500], lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def finish_active(
        self, community_id: int, playbook: str, now: datetime, reason: str = "ritual switched off"
    ) -> int:
        """End every run of ``playbook`` still going in the community (it was switched off)."""
        query = select(Run).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            col(Run.status).in_(ACTIVE),
        )
        running = (await self._s.execute(query)).scalars().all()
        for run in running:
            await self.finish(run, now, reason)
        return len(running)

    async def finish_member_runs(
        self,
        workspace_id: int,
        subject: str,
        now: datetime,
        reason: str,
        *,
        community_id: int | None = None,
        playbooks: Collection[str] | None = None,
    ) -> int:
        """End the runs still going for a member: in one community (they left it) or all of
        the workspace's, of some playbooks (they stopped those) or all."""
        query = select(Run).where(
            Run.workspace_id == workspace_id,
            Run.subject == subject,
            col(Run.status).in_(ACTIVE),
        )
        if community_id is not None:
            query = query.where(Run.community_id == community_id)
        if playbooks is not None:
            query = query.where(col(Run.playbook).in_(list(playbooks)))
        running = (await self._s.execute(query.with_for_update())).scalars().all()
        for run in running:
            await self.finish(run, now, reason)
        return len(running)

    async def failed_alike_since(self, run: Run, since: datetime) -> bool:
        """Whether another run of the same ritual in the community failed the same way since
        ``since`` (its facilitators were told already)."""
        query = select(func.count()).where(
            Run.community_id == run.community_id,
            Run.playbook == run.playbook,
            Run.status == "failed",
            Run.error == run.error,
            col(Run.updated_at) >= since,
            Run.id != run.id,
        )
        return bool((await self._s.execute(query)).scalar_one())

    async def due(self, now: datetime, limit: int = 500) -> Sequence[DueRun]:
        """Active runs whose timer is due, oldest first, with their workspace."""
        query = (
            select(Run.id, Run.wake_at, Workspace.platform, Workspace.external_id)
            .join(Workspace, col(Workspace.id) == col(Run.workspace_id))
            .where(col(Run.status).in_(ACTIVE), col(Run.wake_at) <= now)
            .order_by(col(Run.wake_at))
            .limit(limit)
            .with_for_update(of=Run, skip_locked=True)
        )
        return [DueRun(*row) for row in (await self._s.execute(query)).all()]

    async def count_active(self, community_id: int) -> int:
        query = select(func.count()).where(
            Run.community_id == community_id, col(Run.status).in_(ACTIVE)
        )
        return int((await self._s.execute(query)).scalar_one())

    async def add_answer(self, answer: Answer) -> None:
        self._s.add(answer)
        await self._s.flush()

    async def answers(self, run_id: str) -> Sequence[Answer]:
        query = select(Answer).where(Answer.run_id == run_id).order_by(col(Answer.id))
        return (await self._s.execute(query)).scalars().all()

    async def last_occurrence(self, community_id: int, playbook: str) -> datetime | None:
        query = select(func.max(ScheduleOccurrence.fire_at)).where(
            ScheduleOccurrence.community_id == community_id,
            ScheduleOccurrence.playbook == playbook,
        )
        value: datetime | None = (await self._s.execute(query)).scalar_one_or_none()
        return value

    async def occurred(self, community_id: int, key: str, fire_at: datetime) -> bool:
        query = select(func.count()).where(
            ScheduleOccurrence.community_id == community_id,
            ScheduleOccurrence.playbook == key,
            ScheduleOccurrence.fire_at == fire_at,
        )
        return bool((await self._s.execute(query)).scalar_one())

    async def first_occurrence(
        self, community_id: int, key: str, after: datetime, until: datetime
    ) -> datetime | None:
        """The earliest recorded fire of ``key`` in ``(after, until]``."""
        query = select(func.min(ScheduleOccurrence.fire_at)).where(
            ScheduleOccurrence.community_id == community_id,
            ScheduleOccurrence.playbook == key,
            col(ScheduleOccurrence.fire_at) > after,
            col(ScheduleOccurrence.fire_at) <= until,
        )
        value: datetime | None = (await self._s.execute(query)).scalar_one_or_none()
        return value

    async def started_between(
        self, community_id: int, playbook: str, start: datetime, end: datetime
    ) -> Sequence[Run]:
        """Runs of ``playbook`` started in ``[start, end)``, oldest first."""
        query = (
            select(Run)
            .where(
                Run.community_id == community_id,
                Run.playbook == playbook,
                col(Run.created_at) >= start,
                col(Run.created_at) < end,
            )
            .order_by(col(Run.created_at), col(Run.subject))
        )
        return (await self._s.execute(query)).scalars().all()

    async def answers_of(self, run_ids: Sequence[str]) -> Sequence[Answer]:
        if not run_ids:
            return []
        query = select(Answer).where(col(Answer.run_id).in_(run_ids)).order_by(col(Answer.id))
        return (await self._s.execute(query)).scalars().all()

    async def record_fire(self, community_id: int, playbook: str, at: datetime) -> bool:
        """Record that ``playbook`` started for the community at ``at`` (not from its cron: a
        facilitator's "now"), as its cron fires are; False if one is recorded at that instant."""
        occurrence = ScheduleOccurrence(
            community_id=community_id,
            playbook=playbook,
            fire_at=at,
            outcome="started",
            recorded_at=at,
        )
        return await self.claim_occurrence(occurrence)

    async def claim_occurrence(self, occurrence: ScheduleOccurrence) -> bool:
        """Record a cron fire; False when another process already did (unique row)."""
        try:
            async with self._s.begin_nested():
                self._s.add(occurrence)
                await self._s.flush()
        except IntegrityError:
            return False
        return True

    # -- ritual launches ----------------------------------------------------------------------

    async def request_launch(
        self,
        community_id: int,
        playbook: str,
        now: datetime,
        *,
        requested_by: str | None = None,
        zones: Collection[str] | None = None,
    ) -> RitualLaunch:
        """Record that ``playbook`` must start for the community's members (those in ``zones``
        if given); the scheduler executes it. In the caller's transaction, so it exists exactly
        if what asked for it (a command, a claimed fire) does."""
        launch = RitualLaunch(
            community_id=community_id,
            playbook=playbook,
            requested_by=requested_by,
            zones=sorted(zones) if zones is not None else None,
            created_at=now,
        )
        self._s.add(launch)
        await self._s.flush()
        return launch

    async def claim_launch(
        self, now: datetime, token: str, lease: timedelta
    ) -> RitualLaunch | None:
        """Take the oldest pending launch nobody holds (or whose holder's lease ran out) for
        ``lease``; on PostgreSQL, ``SKIP LOCKED`` lets processes claim different ones."""
        query = (
            select(RitualLaunch)
            .where(
                RitualLaunch.status == "pending",
                (col(RitualLaunch.lease_until).is_(None)) | (col(RitualLaunch.lease_until) < now),
            )
            .order_by(col(RitualLaunch.id))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        launch = (await self._s.execute(query)).scalar_one_or_none()
        if launch is None:
            return None
        launch.claimed_by, launch.lease_until = token, now + lease
        launch.attempts += 1
        await self._s.flush()
        return launch

    async def held_launch(self, launch_id: int, token: str) -> RitualLaunch | None:
        """The launch, locked, if it is still pending and held by ``token`` (else None: another
        process took it over, or it is finished)."""
        query = select(RitualLaunch).where(RitualLaunch.id == launch_id).with_for_update()
        launch = (await self._s.execute(query)).scalar_one_or_none()
        if launch is None or launch.status != "pending" or launch.claimed_by != token:
            return None
        return launch

    async def release_launch(self, launch_id: int, token: str) -> bool:
        """Give back a launch its holder stops before the end (a graceful stop): another process
        claims it at once and goes on after the last chunk committed; this claim is not
        counted as an attempt. False when ``token`` no longer holds it."""
        launch = await self.held_launch(launch_id, token)
        if launch is None:
            return False
        launch.claimed_by, launch.lease_until = None, None
        launch.attempts = max(0, launch.attempts - 1)
        await self._s.flush()
        return True

    async def launches(self) -> Sequence[RitualLaunch]:
        query = select(RitualLaunch).order_by(col(RitualLaunch.id))
        return (await self._s.execute(query)).scalars().all()
