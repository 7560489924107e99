"""Activity metadata, who is in each community, and the keys of events already processed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func, insert, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.prepared import prepared
from storage.tables import (
    BOT_POST,
    EVENT_KEY,
    MESSAGE_POSTED,
    REACTION_ADDED,
    ActivityRecord,
    CommunityMember,
    Member,
    ProcessedEvent,
)

JOINED = "member_joined"
LEFT = "member_left"
#: what says anything of someone in a community: joins and leaves (membership), posts and
#: reactions (when they were last seen there)
SEEN_KINDS = frozenset({JOINED, LEFT, MESSAGE_POSTED, REACTION_ADDED})


@dataclass(slots=True, kw_only=True)
class NewActivity:
    """An activity row to write (what ``bot.runtime.seeing`` records): ActivityRecord's
    columns but its id, as plain values — a SQLModel instance costs its validation and its
    instrumentation (about a tenth of a millisecond) for a row the session never holds."""

    workspace_id: int
    community_id: int | None = None
    user_id: str
    kind: str
    channel: str | None = None
    occurred_at: datetime
    message_id: str | None = None
    thread_id: str | None = None
    parent_author: str | None = None
    is_reply: bool = False
    reaction: str | None = None
    target_id: str | None = None
    target_author: str | None = None
    is_question: bool = False
    deleted_at: datetime | None = None


#: An activity row: one to write, or one stored (the pulse counts either).
ActivityRow = NewActivity | ActivityRecord
#: ActivityRecord's columns but its id: what is inserted.
_COLUMNS = [c.key for c in ActivityRecord.__table__.c if c.key != "id"]  # type: ignore[attr-defined]


def stored_key(key: str) -> str:
    """The key as stored: a key longer than the column keeps its start and gets the digest of
    the whole (cutting it would make two events that share a long prefix one)."""
    if len(key) <= EVENT_KEY:
        return key
    return f"{key[:200]}…sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _new_message(columns: list[str]) -> Any:
    """INSERT … SELECT the activity row bound as ``v_<column>`` unless the latest message with
    its ``message_id`` in its community is by the same ``user_id`` at the same ``occurred_at``."""
    table = ActivityRecord.__table__  # type: ignore[attr-defined]
    bound = {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns}
    stored, known = table.alias("stored"), table.alias("known")
    latest = (
        select(func.max(stored.c.id))
        .where(
            stored.c.community_id == bound["community_id"],
            stored.c.message_id == bound["message_id"],
            stored.c.kind.in_((MESSAGE_POSTED, BOT_POST)),
        )
        .scalar_subquery()
    )
    same = select(known.c.id).where(
        known.c.id == latest,
        known.c.user_id == bound["user_id"],
        known.c.occurred_at == bound["occurred_at"],
    )
    row = select(*(bound[name] for name in columns)).where(~exists(same))
    return insert(table).from_select(columns, row)


def _seen(dialect: Any, kind: str) -> Any:
    """The upsert of what an activity of ``kind`` says of its member in the community (``""``:
    a post or a reaction, which only says when they were last seen there); its values are the
    row's, ``excluded.last_seen_at`` being when it happened."""
    table = CommunityMember.__table__  # type: ignore[attr-defined]
    statement = dialect.insert(table)
    at = statement.excluded.last_seen_at
    last_seen = table.c.last_seen_at
    latest_seen = case((or_(last_seen.is_(None), last_seen < at), at), else_=last_seen)
    changes: dict[str, Any] = {"last_seen_at": latest_seen}
    if kind == JOINED:
        changes |= {"present": True, "joined_at": at, "present_since": at, "left_at": None}
    elif kind == LEFT:
        changes |= {"present": False, "left_at": at}
    # a late, older join or leave has no say over a newer one (nor over the roster's read)
    changed_at = case((table.c.present, table.c.present_since), else_=table.c.left_at)
    where = or_(changed_at.is_(None), changed_at <= at) if kind else None
    return statement.on_conflict_do_update(
        index_elements=["community_id", "user_id"], set_=changes, where=where
    )


class Activity:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def mark_processed(self, key: str, now: datetime) -> bool:
        """Claim an event key; False when it was processed before (by any process). One
        statement: the row is inserted unless it exists (PostgreSQL: a claim by a transaction
        not committed yet waits for it, then counts if it committed)."""
        table = ProcessedEvent.__table__  # type: ignore[attr-defined]

        def build(dialect: Any) -> Any:
            return (
                dialect.insert(table)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(table.c.key)
            )

        statement = prepared(self._s, ("mark_processed",), build)
        values = {"key": stored_key(key), "processed_at": now}
        return (await self._s.execute(statement, values)).first() is not None

    async def forget_processed_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(
            delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def record(self, record: ActivityRow) -> None:
        """Store what happened and, in a community, what it says of the member there: only a
        join (or the platform's roster) makes someone a member, a leave ends it; posts and
        reactions only say when they were last seen there; commands, clicks and the rest say
        nothing of membership (the record is written as it is: not added to the session)."""
        # a Core insert, built once: no unit of work for a row nothing changes afterwards
        # (the record is not added to the session, and its id is not read back)
        table = ActivityRecord.__table__  # type: ignore[attr-defined]
        statement = prepared(self._s, ("activity",), lambda dialect: dialect.insert(table))
        await self._s.execute(statement, {name: getattr(record, name) for name in _COLUMNS})
        if record.community_id is not None and record.kind in SEEN_KINDS:
            await self._seen(record)

    async def record_message(self, record: ActivityRow) -> bool:
        """``record`` (a message in a community, with its platform id) as ``record`` does,
        unless the latest message stored with that id there is the same one — the same author
        at the same time: the platform sent it again under another event id. False then, and
        nothing is written. One statement for the check and the insert — not atomic across
        transactions: on PostgreSQL two copies arriving at the same moment, neither committed,
        both count (as with a read then an insert; a unique index would be needed)."""
        assert record.community_id is not None and record.message_id is not None
        statement = prepared(self._s, ("activity_message",), lambda _d: _new_message(_COLUMNS))
        values = {f"v_{name}": getattr(record, name) for name in _COLUMNS}
        result = await self._s.execute(statement, values)
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        if record.kind in SEEN_KINDS:
            await self._seen(record)
        return True

    async def _seen(self, record: ActivityRow) -> None:
        at, kind = record.occurred_at, record.kind
        statement = prepared(
            self._s,
            ("seen", kind if kind in (JOINED, LEFT) else ""),
            lambda dialect: _seen(dialect, kind if kind in (JOINED, LEFT) else ""),
        )
        await self._s.execute(
            statement,
            {
                "workspace_id": record.workspace_id,
                "community_id": record.community_id,
                "user_id": record.user_id,
                "present": kind == JOINED,  # seen acting without joining: not (yet) a member
                "last_seen_at": at,
                "joined_at": at if kind == JOINED else None,
                "present_since": at if kind == JOINED else None,
                "left_at": at if kind == LEFT else None,
            },
        )

    async def community_ids_for(
        self, workspace_id: int, user_id: str, *, not_left: bool = False
    ) -> list[int]:
        """Communities where the member has done anything (joined, posted, reacted…);
        ``not_left``: only those they have not left since — they are there, or were only seen
        acting there, never leaving (what their home lists)."""
        query = select(CommunityMember.community_id).where(
            CommunityMember.workspace_id == workspace_id, CommunityMember.user_id == user_id
        )
        if not_left:  # a leave (or the roster losing them) sets left_at, a join clears it
            query = query.where(col(CommunityMember.left_at).is_(None))
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
