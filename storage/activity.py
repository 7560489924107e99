"""Activity metadata, who is in each community, and the keys of events already processed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause
from sqlmodel import col, select

from storage.tables import EVENT_KEY, ActivityRecord, CommunityMember, Member, ProcessedEvent


def stored_key(key: str) -> str:
    """The key as stored: a key longer than the column keeps its start and gets the digest of
    the whole (cutting it would make two events that share a long prefix one)."""
    if len(key) <= EVENT_KEY:
        return key
    return f"{key[:200]}…sha256:{hashlib.sha256(key.encode()).hexdigest()}"


#: The row an upsert proposed, as both dialects name it (``statement.excluded`` builds the same
#: anew for every statement, which costs more than the statement's other parts).
_EXCLUDED_PRESENT: ColumnClause[bool] = literal_column("excluded.present")
_EXCLUDED_SEEN: ColumnClause[datetime] = literal_column("excluded.last_seen_at")


def _dialect(session: AsyncSession) -> Any:
    """The module whose ``insert`` has ``on_conflict_*`` for the session's database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


class Activity:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def mark_processed(self, key: str, now: datetime) -> bool:
        """Claim an event key; False when it was processed before (by any process). One
        statement: the row is inserted unless it exists (PostgreSQL: a claim by a transaction
        not committed yet waits for it, then counts if it committed)."""
        table = ProcessedEvent.__table__  # type: ignore[attr-defined]
        statement = (
            _dialect(self._s)
            .insert(table)
            .values(key=stored_key(key), processed_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key)
        )
        return (await self._s.execute(statement)).first() is not None

    async def forget_processed_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(
            delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def record(self, record: ActivityRecord) -> None:
        """Store what happened and, in a community, who is there: the member's row says whether
        their latest activity there (by when it happened) is that they left."""
        self._s.add(record)
        await self._s.flush()
        if record.community_id is not None:
            await self._seen(record)

    async def _seen(self, record: ActivityRecord) -> None:
        table = CommunityMember.__table__  # type: ignore[attr-defined]
        statement = (
            _dialect(self._s)
            .insert(table)
            .values(
                workspace_id=record.workspace_id,
                community_id=record.community_id,
                user_id=record.user_id,
                present=record.kind != "member_left",
                last_seen_at=record.occurred_at,
            )
        )
        await self._s.execute(
            statement.on_conflict_do_update(
                index_elements=["community_id", "user_id"],
                set_={"present": _EXCLUDED_PRESENT, "last_seen_at": _EXCLUDED_SEEN},
                where=table.c.last_seen_at <= _EXCLUDED_SEEN,  # a late, older event: no say
            )
        )

    async def community_ids_for(self, workspace_id: int, user_id: str) -> list[int]:
        """Communities where the member has done anything (joined, posted, reacted…)."""
        query = select(CommunityMember.community_id).where(
            CommunityMember.workspace_id == workspace_id, CommunityMember.user_id == user_id
        )
        return list((await self._s.execute(query)).scalars().all())

    async def member_ids_in(self, community_id: int) -> list[str]:
        """User ids of the members seen in the community who have not left it, in order."""
        query = (
            select(CommunityMember.user_id)
            .where(CommunityMember.community_id == community_id, col(CommunityMember.present))
            .order_by(col(CommunityMember.user_id))
        )
        return list((await self._s.execute(query)).scalars().all())

    async def present_members(self, community_id: int) -> Sequence[Member]:
        """Members seen in the community who have not left it since, in user-id order."""
        query = (
            select(Member)
            .join(
                CommunityMember,
                (col(CommunityMember.workspace_id) == col(Member.workspace_id))
                & (col(CommunityMember.user_id) == col(Member.user_id)),
            )
            .where(CommunityMember.community_id == community_id, col(CommunityMember.present))
            .order_by(col(CommunityMember.user_id))
        )
        return (await self._s.execute(query)).scalars().all()

    async def active_members(self, community_id: int, since: datetime) -> int:
        """How many members did anything in the community since then."""
        return (await self.active_counts([community_id], since)).get(community_id, 0)

    async def active_counts(self, community_ids: Sequence[int], since: datetime) -> dict[int, int]:
        """``active_members`` of several communities at once (absent: none active)."""
        if not community_ids:
            return {}
        query = (
            select(CommunityMember.community_id, func.count())
            .where(
                col(CommunityMember.community_id).in_(community_ids),
                col(CommunityMember.last_seen_at) >= since,
            )
            .group_by(col(CommunityMember.community_id))
        )
        return {cid: int(n) for cid, n in (await self._s.execute(query)).all()}
