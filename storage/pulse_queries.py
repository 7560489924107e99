"""What a community report reads: its members' stays, the daily rollups, the questions, the
rituals' runs — and, for the parts of a day a window cuts through, that day's raw activity.
Every read is an index range of one community; none grows with the history's length."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, distinct, exists, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import (
    MESSAGE_POSTED,
    REACTION_ADDED,
    ActivityRecord,
    Answer,
    CommunityMember,
    PulseMemberDay,
    PulsePair,
    PulseQuestion,
    Run,
)

#: Users named per statement at most (under every driver's parameter limit).
IN_LIST = 1000
#: A ritual's run counts in its response rate once answered, finished, or this old: the time
#: a member is given to answer (a run begun minutes before a report is not yet unanswered).
ANSWER_WINDOW = timedelta(hours=48)
#: a run still going (waiting for an answer or a timer)
ACTIVE_STATUSES = ("waiting_answer", "waiting_timer")


@dataclass(frozen=True, slots=True)
class Stay:
    """A member's latest stay in the community."""

    user_id: str
    present_since: datetime | None
    joined_at: datetime | None
    left_at: datetime | None

    def member_at(self, at: datetime) -> bool:
        # never joined nor found on the roster (only seen posting or reacting): no member
        arrived = self.present_since is not None and self.present_since <= at
        return arrived and (self.left_at is None or self.left_at > at)


@dataclass(frozen=True, slots=True)
class MemberDay:
    user_id: str
    day: date
    posts: int
    replies: int
    reactions: int


@dataclass(frozen=True, slots=True)
class Fact:
    """One post, reply or reaction still counting, and whom it answered or reacted to."""

    user_id: str
    at: datetime
    kind: str  # "post" | "reply" | "reaction"
    other: str | None


@dataclass(frozen=True, slots=True)
class PairDay:
    day: date
    member_a: str
    member_b: str


@dataclass(frozen=True, slots=True)
class Question:
    message_id: str
    channel: str
    asked_at: datetime
    first_answer_at: datetime | None
    #: when the asker said it was solved (the experts ritual asks them); None: not said
    solved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RitualRuns:
    """A ritual's runs for members started in a window, and how many got an answer."""

    asked: int
    answered: int
    #: the members those runs were for (a weekly ritual asks each several times in 28 days)
    people: int


class PulseQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def stays(self, community_id: int) -> list[Stay]:
        query = select(
            CommunityMember.user_id,
            CommunityMember.present_since,
            CommunityMember.joined_at,
            CommunityMember.left_at,
        ).where(CommunityMember.community_id == community_id)
        return [Stay(*row) for row in (await self._s.execute(query)).all()]

    async def member_days(
        self, community_id: int, first: date, last: date, user: str | None = None
    ) -> list[MemberDay]:
        """Every member's counts (``user``'s only, when given) on the days from ``first`` to
        ``last`` (both included)."""
        query = sa_select(
            col(PulseMemberDay.user_id),
            col(PulseMemberDay.day),
            col(PulseMemberDay.posts),
            col(PulseMemberDay.replies),
            col(PulseMemberDay.reactions),
        ).where(
            col(PulseMemberDay.community_id) == community_id,
            col(PulseMemberDay.day) >= first,
            col(PulseMemberDay.day) <= last,
        )
        if user is not None:
            query = query.where(col(PulseMemberDay.user_id) == user)
        return [MemberDay(*row) for row in (await self._s.execute(query)).all()]

    async def pair_days(self, community_id: int, first: date, last: date) -> list[PairDay]:
        query = sa_select(
            col(PulsePair.day), col(PulsePair.member_a), col(PulsePair.member_b)
        ).where(
            col(PulsePair.community_id) == community_id,
            col(PulsePair.day) >= first,
            col(PulsePair.day) <= last,
            col(PulsePair.interactions) > 0,
        )
        return [PairDay(*row) for row in (await self._s.execute(query)).all()]

    async def facts(
        self,
        community_id: int,
        spans: Sequence[tuple[datetime, datetime]],
        users: Sequence[str] | None = None,
        contributions_only: bool = False,
    ) -> list[Fact]:
        """The raw posts, replies and reactions still counting within each ``[start, end)``
        span (of ``users`` only, when given)."""
        kinds = [MESSAGE_POSTED] if contributions_only else [MESSAGE_POSTED, REACTION_ADDED]
        found: list[Fact] = []
        groups: list[Sequence[str] | None] = (
            [users[i : i + IN_LIST] for i in range(0, len(users), IN_LIST)]
            if users is not None
            else [None]
        )
        for start, end in spans:
            if start >= end:
                continue
            for group in groups:
                if group is not None and not group:
                    continue
                query = sa_select(
                    col(ActivityRecord.user_id),
                    col(ActivityRecord.occurred_at),
                    col(ActivityRecord.kind),
                    col(ActivityRecord.is_reply),
                    col(ActivityRecord.parent_author),
                    col(ActivityRecord.target_author),
                ).where(
                    col(ActivityRecord.community_id) == community_id,
                    col(ActivityRecord.occurred_at) >= start,
                    col(ActivityRecord.occurred_at) < end,
                    col(ActivityRecord.kind).in_(kinds),
                    col(ActivityRecord.deleted_at).is_(None),
                )
                if group is not None:
                    query = query.where(col(ActivityRecord.user_id).in_(list(group)))
                for user, at, kind, reply, parent, target in (await self._s.execute(query)).all():
                    if kind == REACTION_ADDED:
                        found.append(Fact(user, at, "reaction", target))
                    else:
                        found.append(Fact(user, at, "reply" if reply else "post", parent))
        return found

    async def questions(self, community_id: int, start: datetime, end: datetime) -> list[Question]:
        """The questions asked in ``[start, end)``, oldest first."""
        query = (
            select(  # type: ignore[call-overload]
                PulseQuestion.message_id,
                PulseQuestion.channel,
                PulseQuestion.asked_at,
                PulseQuestion.first_answer_at,
                PulseQuestion.solved_at,
            )
            .where(
                PulseQuestion.community_id == community_id,
                col(PulseQuestion.asked_at) >= start,
                col(PulseQuestion.asked_at) < end,
            )
            .order_by(col(PulseQuestion.asked_at))
        )
        return [Question(*row) for row in (await self._s.execute(query)).all()]

    async def last_active(
        self, community_id: int, users: Sequence[str], before: datetime
    ) -> datetime | None:
        """When any of ``users`` last posted, replied or reacted there before ``before``."""
        if not users:
            return None
        midnight = datetime.combine(before.date(), datetime.min.time(), before.tzinfo)
        today = await self.facts(community_id, [(midnight, before)], users)
        if today:
            return max(f.at for f in today)
        query = select(func.max(PulseMemberDay.day)).where(
            PulseMemberDay.community_id == community_id,
            col(PulseMemberDay.user_id).in_(list(users)[:IN_LIST]),
            col(PulseMemberDay.day) < before.date(),
            (
                col(PulseMemberDay.posts)
                + col(PulseMemberDay.replies)
                + col(PulseMemberDay.reactions)
            )
            > 0,
        )
        day = (await self._s.execute(query)).scalar_one_or_none()
        if day is None:
            return None
        if isinstance(day, str):  # an aggregate of a date column comes back as text on SQLite
            day = date.fromisoformat(day)
        start = datetime.combine(day, datetime.min.time(), before.tzinfo)
        that_day = await self.facts(community_id, [(start, start + timedelta(days=1))], users)
        # the day's raw activity purged (older than the retention): the day is what is known
        return max((f.at for f in that_day), default=start)

    async def ritual_runs(
        self,
        community_id: int,
        start: datetime,
        end: datetime,
        playbooks: Collection[str] | None = None,
    ) -> dict[str, RitualRuns]:
        """Per ritual (of ``playbooks`` only, when given: then each is read through the
        (community, ritual, start) index, not the community's every run), its runs for a member
        started in ``[start, end)`` that had their chance to be answered by ``end`` — answered
        by then, finished by then, or started at least ANSWER_WINDOW before it (a run begun
        minutes ago is not yet unanswered) — and how many of them got an answer before ``end``
        (later answers are not known at ``end``)."""
        answered = (
            exists().where(col(Answer.run_id) == col(Run.id)).where(col(Answer.created_at) < end)
        )
        finished = col(Run.status).not_in(ACTIVE_STATUSES) & (col(Run.updated_at) < end)
        query = (
            select(
                Run.playbook,
                func.count(),
                func.sum(case((answered, 1), else_=0)),
                func.count(distinct(col(Run.subject))),
            )
            .where(
                Run.community_id == community_id,
                col(Run.created_at) >= start,
                col(Run.created_at) < end,
                col(Run.subject) != "",
                or_(answered, finished, col(Run.created_at) <= end - ANSWER_WINDOW),
            )
            .group_by(col(Run.playbook))
        )
        if playbooks is not None:
            if not playbooks:
                return {}
            query = query.where(col(Run.playbook).in_(sorted(playbooks)))
        return {
            name: RitualRuns(int(asked), int(got or 0), int(people))
            for name, asked, got, people in (await self._s.execute(query)).all()
        }
