"""A thread's tally, read from the activity metadata: the replies people posted in it and the
reactions those replies received — index-backed (``ix_activity_thread``, ``ix_activity_target``)
and bounded, whatever the thread's size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import BOT_AUTHOR, MESSAGE_POSTED, REACTION_ADDED, ActivityRecord

#: Replies of one thread read at most (the earliest); their reactions in chunks of this many.
MAX_REPLIES = 2000
_CHUNK = 500
#: Reactions read at most per chunk of replies.
MAX_REACTIONS = 20_000


@dataclass(slots=True)
class Counts:
    replies: int = 0
    reactions: int = 0


@dataclass(slots=True)
class ThreadCounts:
    """By user id: their replies in the thread and the reactions those replies received."""

    people: dict[str, Counts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reply:
    user_id: str
    message_id: str


class Threads:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def first_reply(
        self, community_id: int, thread_id: str, since: datetime, not_by: str
    ) -> Reply | None:
        """The earliest reply recorded in the thread since ``since`` by someone else than
        ``not_by`` (the bot's never; deleted ones not) — index-backed (``ix_activity_thread``)."""
        query = (
            select(ActivityRecord.user_id, ActivityRecord.message_id)
            .where(
                ActivityRecord.community_id == community_id,
                ActivityRecord.thread_id == thread_id,
                ActivityRecord.kind == MESSAGE_POSTED,
                col(ActivityRecord.is_reply),
                col(ActivityRecord.deleted_at).is_(None),
                col(ActivityRecord.occurred_at) >= since,
                col(ActivityRecord.user_id).not_in([BOT_AUTHOR, not_by]),
            )
            .order_by(col(ActivityRecord.id))
            .limit(1)
        )
        row = (await self._s.execute(query)).first()
        return Reply(row[0], row[1] or "") if row is not None else None

    async def tally(
        self, community_id: int, thread_id: str, *, max_replies: int = MAX_REPLIES
    ) -> ThreadCounts:
        """Replies in the thread by people (the bot's never; deleted ones not), and the
        reactions people gave those replies (not taken back; not a reply's author reacting to
        their own reply)."""
        replies = (
            select(ActivityRecord.message_id, ActivityRecord.user_id)
            .where(
                ActivityRecord.community_id == community_id,
                ActivityRecord.thread_id == thread_id,
                ActivityRecord.kind == MESSAGE_POSTED,
                col(ActivityRecord.is_reply),
                col(ActivityRecord.deleted_at).is_(None),
                ActivityRecord.user_id != BOT_AUTHOR,
            )
            .order_by(col(ActivityRecord.id))
            .limit(max_replies)
        )
        out = ThreadCounts()
        authors: dict[str, str] = {}
        for message_id, user_id in (await self._s.execute(replies)).all():
            out.people.setdefault(user_id, Counts()).replies += 1
            if message_id:
                authors[message_id] = user_id
        ids = list(authors)
        for start in range(0, len(ids), _CHUNK):
            reactions = (
                select(ActivityRecord.target_id, ActivityRecord.user_id)
                .where(
                    ActivityRecord.community_id == community_id,
                    col(ActivityRecord.target_id).in_(ids[start : start + _CHUNK]),
                    ActivityRecord.kind == REACTION_ADDED,
                    col(ActivityRecord.deleted_at).is_(None),
                    ActivityRecord.user_id != BOT_AUTHOR,
                )
                .limit(MAX_REACTIONS)
            )
            for target_id, reactor in (await self._s.execute(reactions)).all():
                author = authors.get(target_id or "")
                if author is not None and reactor != author:
                    out.people[author].reactions += 1
        return out
