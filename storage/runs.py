"""Runs of playbooks, their answers, and the claimed occurrences of scheduled ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import Answer, Run, ScheduleOccurrence, Workspace

ACTIVE = ("waiting_answer", "waiting_timer")


class DueRun(NamedTuple):
    run_id: str
    wake_at: datetime
    platform: str
    external_id: str


class Runs:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, run: Run) -> Run:
        self._s.add(run)
        await self._s.flush()
        return run

    async def get(self, run_id: str, *, lock: bool = False) -> Run | None:
        query = select(Run).where(Run.id == run_id)
        if lock:
            query = query.with_for_update()
        return (await self._s.execute(query)).scalar_one_or_none()

    async def active(self, community_id: int, playbook: str, subject: str) -> Run | None:
        query = select(Run).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            Run.subject == subject,
            col(Run.status).in_(ACTIVE),
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def finish(self, run: Run, now: datetime) -> None:
        """End a run where it stands (superseded): no more wake-ups, its buttons go stale."""
        run.status, run.step, run.wake_at, run.updated_at = "done", None, None, now
        await self._s.flush()

    async def finish_active(self, community_id: int, playbook: str, now: datetime) -> int:
        """End every run of ``playbook`` still going in the community (it was switched off)."""
        query = select(Run).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            col(Run.status).in_(ACTIVE),
        )
        running = (await self._s.execute(query)).scalars().all()
        for run in running:
            await self.finish(run, now)
        return len(running)

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

    async def claim_occurrence(self, occurrence: ScheduleOccurrence) -> bool:
        """Record a cron fire; False when another process already did (unique row)."""
        try:
            async with self._s.begin_nested():
                self._s.add(occurrence)
                await self._s.flush()
        except IntegrityError:
            return False
        return True
