"""Activity metadata, who is in each community, and the keys of events already processed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import (
    BOT_POST,
    EVENT_KEY,
    ActivityRecord,
    CommunityMember,
    Member,
    ProcessedEvent,
)

JOINED = "member_joined"
LEFT = "member_left"


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
        """Store what happened and, in a community, who is there: the member's row says whether
        their latest activity there (by when it happened) is that they left, when they joined
        (a join event) and since when they are there."""
        self._s.add(record)
        await self._s.flush()
        if record.community_id is not None and record.kind != BOT_POST:
            await self._seen(record)

    async def _seen(self, record: ActivityRecord) -> None:
        table = CommunityMember.__table__  # type: ignore[attr-defined]
        dialect = postgresql if self._s.get_bind().dialect.name == "postgresql" else sqlite
        at, kind = record.occurred_at, record.kind
        statement = dialect.insert(table).values(
            workspace_id=record.workspace_id,
            community_id=record.community_id,
            user_id=record.user_id,
            present=kind != LEFT,
            last_seen_at=at,
            joined_at=at if kind == JOINED else None,
            present_since=at if kind != LEFT else None,
            left_at=at if kind == LEFT else None,
        )
        changes: dict[str, Any]
        if kind == JOINED:
            changes = {"present": True, "joined_at": at, "present_since": at, "left_at": None}
        elif kind == LEFT:
            changes = {"present": False, "left_at": at}
        else:  # acting there: there since then, unless already there
            there = table.c.present
            changes = {
                "present": True,
                "present_since": case((there, table.c.present_since), else_=at),
                "joined_at": case((there, table.c.joined_at), else_=None),
                "left_at": None,
            }
        await self._s.execute(
            statement.on_conflict_do_update(
                index_elements=["community_id", "user_id"],
                set_={**changes, "last_seen_at": at},
                # a late, older event has no say (a member only on the roster: any has)
                where=or_(table.c.last_seen_at.is_(None), table.c.last_seen_at <= at),
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
