"""Activity metadata and the keys of events already processed."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import EVENT_KEY, ActivityRecord, ProcessedEvent


def stored_key(key: str) -> str:
    """The key as stored: a key longer than the column keeps its start and gets the digest of
    the whole (cutting it would make two events that share a long prefix one)."""
    if len(key) <= EVENT_KEY:
        return key
    return f"{key[:200]}…sha256:{hashlib.sha256(key.encode()).hexdigest()}"


class Activity:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def mark_processed(self, key: str, now: datetime) -> bool:
        """Claim an event key; False when it was processed before (by any process)."""
        try:
            async with self._s.begin_nested():
                self._s.add(ProcessedEvent(key=stored_key(key), processed_at=now))
                await self._s.flush()
        except IntegrityError:
            return False
        return True

    async def forget_processed_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(
            delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def record(self, record: ActivityRecord) -> None:
        self._s.add(record)
        await self._s.flush()

    async def community_ids_for(self, workspace_id: int, user_id: str) -> list[int]:
        """Communities where the member has done anything (joined, posted, reacted…)."""
        query = (
            select(ActivityRecord.community_id)
            .where(
                ActivityRecord.workspace_id == workspace_id,
                ActivityRecord.user_id == user_id,
                col(ActivityRecord.community_id).is_not(None),
            )
            .distinct()
        )
        return [cid for cid in (await self._s.execute(query)).scalars().all() if cid is not None]

    async def member_ids_in(self, community_id: int) -> list[str]:
        """Members seen in the community who have not left it since."""
        query = (
            select(ActivityRecord.user_id, ActivityRecord.kind)
            .where(ActivityRecord.community_id == community_id)
            .order_by(col(ActivityRecord.occurred_at), col(ActivityRecord.id))
        )
        present: dict[str, bool] = {}
        for user_id, kind in (await self._s.execute(query)).all():
            present[user_id] = kind != "member_left"
        return [user_id for user_id, here in present.items() if here]

    async def active_members(self, community_id: int, since: datetime) -> int:
        query = select(func.count(func.distinct(ActivityRecord.user_id))).where(
            ActivityRecord.community_id == community_id,
            col(ActivityRecord.occurred_at) >= since,
        )
        return int((await self._s.execute(query)).scalar_one())
