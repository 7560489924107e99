"""What the connection rituals read (nudges of silent members, sponsors' monthly acts): when
members were last heard from, whom a ritual started for and when, the busiest thread, open
questions and the month's contributors — metadata only, every read an index range of one
community (or a chunk of its members), never its whole history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.pulse_queries import IN_LIST
from storage.tables import (
    MESSAGE_POSTED,
    ActivityRecord,
    CommunityMember,
    PulseMemberDay,
    PulseQuestion,
    QuestionMatch,
    Run,
)


@dataclass(frozen=True, slots=True)
class Presence:
    """A present member: since when nothing was heard from them there (None: unknown)."""

    user_id: str
    quiet_since: datetime | None


@dataclass(frozen=True, slots=True)
class BusyThread:
    message_id: str
    channel: str
    started_at: datetime | None
    replies: int


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    message_id: str
    channel: str
    asked_at: datetime
    topic: str = ""


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


class Highlights:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def presences(self, community_id: int, users: Sequence[str]) -> dict[str, Presence]:
        """The present members among ``users``, each quiet since their last post, reply or
        reaction there, else their join, else when they were first seen on the roster."""
        found: dict[str, Presence] = {}
        for start in range(0, len(users), IN_LIST):
            query = select(
                CommunityMember.user_id,
                CommunityMember.last_seen_at,
                CommunityMember.joined_at,
                CommunityMember.present_since,
            ).where(
                CommunityMember.community_id == community_id,
                col(CommunityMember.present),
                col(CommunityMember.user_id).in_(list(users[start : start + IN_LIST])),
            )
            for user, seen, joined, since in (await self._s.execute(query)).all():
                found[user] = Presence(user, _latest(seen, joined, since))
        return found

    async def last_started(
        self, community_id: int, playbook: str, users: Sequence[str]
    ) -> dict[str, datetime]:
        """When ``playbook`` last started a run for each of ``users`` there (absent: never)."""
        found: dict[str, datetime] = {}
        for start in range(0, len(users), IN_LIST):
            query = (
                select(Run.subject, func.max(Run.created_at))
                .where(
                    Run.community_id == community_id,
                    Run.playbook == playbook,
                    col(Run.subject).in_(list(users[start : start + IN_LIST])),
                )
                .group_by(col(Run.subject))
            )
            for user, at in (await self._s.execute(query)).all():
                found[str(user)] = at
        return found

    async def started_since(self, community_id: int, playbook: str, since: datetime) -> int:
        """How many members ``playbook`` started a run for there since then."""
        query = select(func.count(func.distinct(Run.subject))).where(
            Run.community_id == community_id,
            Run.playbook == playbook,
            col(Run.created_at) >= since,
            col(Run.subject) != "",
        )
        return int((await self._s.execute(query)).scalar_one() or 0)

    async def busiest_thread(
        self, community_id: int, since: datetime, until: datetime
    ) -> BusyThread | None:
        """The thread with the most replies in ``[since, until)`` (ties: replied to last)."""
        replies = func.count().label("replies")
        query = (
            sa_select(col(ActivityRecord.thread_id), col(ActivityRecord.channel), replies)
            .where(
                col(ActivityRecord.community_id) == community_id,
                col(ActivityRecord.occurred_at) >= since,
                col(ActivityRecord.occurred_at) < until,
                col(ActivityRecord.kind) == MESSAGE_POSTED,
                col(ActivityRecord.is_reply),
                col(ActivityRecord.deleted_at).is_(None),
            )
            .group_by(col(ActivityRecord.thread_id), col(ActivityRecord.channel))
            .order_by(replies.desc(), func.max(col(ActivityRecord.occurred_at)).desc())
            .limit(1)
        )
        row = (await self._s.execute(query)).first()
        if row is None or not row[0]:
            return None
        thread, channel, count = row
        started = await self._s.execute(
            sa_select(func.min(col(ActivityRecord.occurred_at))).where(
                col(ActivityRecord.community_id) == community_id,
                col(ActivityRecord.message_id) == thread,
                col(ActivityRecord.kind) == MESSAGE_POSTED,
            )
        )
        return BusyThread(str(thread), str(channel or ""), started.scalar_one_or_none(), int(count))

    async def open_question(
        self,
        community_id: int,
        since: datetime,
        *,
        expert: str | None = None,
        not_by: str | None = None,
    ) -> OpenQuestion | None:
        """The latest question asked since then still without an answer nor marked solved —
        one whose words matched ``expert``'s topics, when given — not asked by ``not_by``."""
        where = [
            col(PulseQuestion.community_id) == community_id,
            col(PulseQuestion.asked_at) >= since,
            col(PulseQuestion.first_answer_at).is_(None),
            ~col(PulseQuestion.solved),
        ]
        if not_by is not None:
            where.append(col(PulseQuestion.asker) != not_by)
        topic = col(QuestionMatch.topic) if expert is not None else literal("")
        query = sa_select(
            col(PulseQuestion.message_id),
            col(PulseQuestion.channel),
            col(PulseQuestion.asked_at),
            topic,
        )
        if expert is not None:
            query = query.join(
                QuestionMatch,
                (col(QuestionMatch.community_id) == col(PulseQuestion.community_id))
                & (col(QuestionMatch.message_id) == col(PulseQuestion.message_id)),
            )
            where.append(col(QuestionMatch.expert) == expert)
        query = query.where(*where).order_by(col(PulseQuestion.asked_at).desc()).limit(1)
        row = (await self._s.execute(query)).first()
        return None if row is None else OpenQuestion(row[0], row[1], row[2], str(row[3] or ""))

    async def contributors(
        self, community_id: int, first: date, last: date, limit: int
    ) -> list[tuple[str, int]]:
        """The members with the most posts and replies there from ``first`` to ``last``
        (both included), most first (ties: by user id)."""
        made = func.sum(col(PulseMemberDay.posts) + col(PulseMemberDay.replies)).label("made")
        query = (
            sa_select(col(PulseMemberDay.user_id), made)
            .where(
                col(PulseMemberDay.community_id) == community_id,
                col(PulseMemberDay.day) >= first,
                col(PulseMemberDay.day) <= last,
            )
            .group_by(col(PulseMemberDay.user_id))
            .order_by(made.desc(), col(PulseMemberDay.user_id))
            .limit(limit)
        )
        return [(str(u), int(n)) for u, n in (await self._s.execute(query)).all() if n]
