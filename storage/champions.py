"""Champions: what the weekly digest's "champions spotted" reads — one community's replies and
reactions to someone else in a window, with whether the thread replied in is a question, and
the arrival of the people answered — and the facilitators' invitations to champions.

Both reads are index ranges of one community (``ix_activity_community_time`` for the window's
activity, the question's unique (community, message) key for each reply's thread, the
community's member rows for arrivals): none grows with the history's length."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import (
    BOT_AUTHOR,
    MESSAGE_POSTED,
    REACTION_ADDED,
    ActivityRecord,
    ChampionInvite,
    CommunityMember,
    Member,
    PulseQuestion,
)


@dataclass(frozen=True, slots=True)
class Reach:
    """Someone's reply (in ``thread``) or reaction to ``other``'s message, at ``at``."""

    user_id: str
    other: str
    at: datetime
    kind: str  # "reply" | "reaction"
    thread: str | None
    #: the reply's thread is a question (asked by ``other``)
    question: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person still in the community, as the digest may name them."""

    user_id: str
    display_name: str
    opted_out_all: bool
    unreachable: bool


class Champions:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def reaches(self, community_id: int, start: datetime, end: datetime) -> list[Reach]:
        """Replies and reactions still counting in ``[start, end)`` to a person other than
        their author (never the bot's posts)."""
        record = ActivityRecord
        reply = and_(col(record.kind) == MESSAGE_POSTED, col(record.is_reply))
        reaction = col(record.kind) == REACTION_ADDED
        query = (
            sa_select(
                col(record.user_id),
                col(record.kind),
                col(record.occurred_at),
                col(record.thread_id),
                col(record.parent_author),
                col(record.target_author),
                col(PulseQuestion.id),
            )
            .outerjoin(
                PulseQuestion,
                and_(
                    col(PulseQuestion.community_id) == community_id,
                    col(PulseQuestion.message_id) == col(record.thread_id),
                    reply,
                ),
            )
            .where(
                col(record.community_id) == community_id,
                col(record.occurred_at) >= start,
                col(record.occurred_at) < end,
                col(record.deleted_at).is_(None),
                or_(reply, reaction),
            )
        )
        found = []
        for user, kind, at, thread, parent, target, question in (
            await self._s.execute(query)
        ).all():
            who = target if kind == REACTION_ADDED else parent
            if not who or who in (BOT_AUTHOR, user):
                continue
            found.append(
                Reach(
                    user_id=user,
                    other=who,
                    at=at,
                    kind="reaction" if kind == REACTION_ADDED else "reply",
                    thread=None if kind == REACTION_ADDED else thread,
                    question=question is not None,
                )
            )
        return found

    async def arrivals(self, community_id: int, since: datetime) -> dict[str, datetime]:
        """When each member who joined the community (a join event seen) since ``since`` did."""
        query = select(CommunityMember.user_id, CommunityMember.joined_at).where(
            CommunityMember.community_id == community_id,
            col(CommunityMember.joined_at) >= since,
        )
        return {user: at for user, at in (await self._s.execute(query)).all() if at is not None}

    async def candidates(
        self, workspace_id: int, community_id: int, users: Sequence[str]
    ) -> list[Candidate]:
        """Those of ``users`` still in the community (bots never are), with what the digest
        needs to know of them."""
        if not users:
            return []
        query = (
            select(Member.user_id, Member.display_name, Member.opted_out_all, Member.unreachable)
            .join(
                CommunityMember,
                and_(
                    col(CommunityMember.community_id) == community_id,
                    col(CommunityMember.user_id) == col(Member.user_id),
                ),
            )
            .where(
                Member.workspace_id == workspace_id,
                col(Member.user_id).in_(sorted(set(users))[:1000]),
                col(CommunityMember.present),
            )
        )
        return [Candidate(*row) for row in (await self._s.execute(query)).all()]

    async def is_present(self, community_id: int, user_id: str) -> bool:
        query = select(CommunityMember.present).where(
            CommunityMember.community_id == community_id, CommunityMember.user_id == user_id
        )
        return bool((await self._s.execute(query)).scalar_one_or_none())

    # -- invitations ----------------------------------------------------------------------

    async def invitation(self, community_id: int, user_id: str) -> ChampionInvite | None:
        query = (
            select(ChampionInvite)
            .where(ChampionInvite.community_id == community_id, ChampionInvite.user_id == user_id)
            .with_for_update()
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def invitation_by_id(self, invite_id: int) -> ChampionInvite | None:
        query = select(ChampionInvite).where(ChampionInvite.id == invite_id).with_for_update()
        return (await self._s.execute(query)).scalar_one_or_none()

    async def invite(
        self, workspace_id: int, community_id: int, user_id: str, invited_by: str, now: datetime
    ) -> ChampionInvite:
        """A new invitation (replacing an answered one of the same member there)."""
        row = await self.invitation(community_id, user_id)
        if row is None:
            row = ChampionInvite(
                workspace_id=workspace_id,
                community_id=community_id,
                user_id=user_id,
                invited_by=invited_by,
                invited_at=now,
            )
            self._s.add(row)
        else:
            row.invited_by, row.invited_at = invited_by, now
            row.answer, row.answered_at = "", None
        await self._s.flush()
        return row
