"""The history of rituals that group members (intros): each round's groups, one row per member,
and their answers to "did you meet?" — what the next round reads to avoid repeats, honour a
"skip next round" and count meetings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import MemberGroup

#: The most rounds of history a round reads (its avoidance window is at most this).
MAX_ROUNDS = 100


class Groupings:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def last_round(self, community_id: int, playbook: str) -> tuple[int, datetime] | None:
        """The latest round's number and when it was formed, else None."""
        query = (
            select(MemberGroup.round, MemberGroup.created_at)
            .where(MemberGroup.community_id == community_id, MemberGroup.playbook == playbook)
            .order_by(col(MemberGroup.round).desc())
            .limit(1)
        )
        row = (await self._s.execute(query)).first()
        return (int(row[0]), row[1]) if row is not None else None

    async def since_round(
        self, community_id: int, playbook: str, first: int
    ) -> Sequence[MemberGroup]:
        """Every member's row of the rounds numbered ``first`` and later."""
        query = select(MemberGroup).where(
            MemberGroup.community_id == community_id,
            MemberGroup.playbook == playbook,
            col(MemberGroup.round) >= first,
        )
        return (await self._s.execute(query)).scalars().all()

    async def answered(
        self, community_id: int, playbook: str, answers: Sequence[str], last: int
    ) -> Sequence[MemberGroup]:
        """The rows whose answer is one of ``answers``, in the ``last`` rounds at most."""
        newest = await self.last_round(community_id, playbook)
        if newest is None or not answers:
            return []
        query = select(MemberGroup).where(
            MemberGroup.community_id == community_id,
            MemberGroup.playbook == playbook,
            col(MemberGroup.round) > newest[0] - last,
            col(MemberGroup.answer).in_(list(answers)),
        )
        return (await self._s.execute(query)).scalars().all()

    async def add_round(
        self,
        workspace_id: int,
        community_id: int,
        playbook: str,
        round_number: int,
        groups: Iterable[Sequence[str]],
        now: datetime,
    ) -> None:
        for group in groups:
            for user in group:
                self._s.add(
                    MemberGroup(
                        workspace_id=workspace_id,
                        community_id=community_id,
                        playbook=playbook,
                        round=round_number,
                        user_id=user,
                        partners=[p for p in group if p != user],
                        created_at=now,
                    )
                )
        await self._s.flush()

    async def answer(
        self,
        community_id: int,
        playbook: str,
        round_number: int,
        user_id: str,
        value: str,
        now: datetime,
    ) -> bool:
        """Keep ``user_id``'s answer on their row of the round; False: no such row."""
        query = select(MemberGroup).where(
            MemberGroup.community_id == community_id,
            MemberGroup.playbook == playbook,
            MemberGroup.round == round_number,
            MemberGroup.user_id == user_id,
        )
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return False
        row.answer, row.answered_at = value[:40], now
        await self._s.flush()
        return True

    # -- privacy ----------------------------------------------------------------------------

    async def of_person(self, workspace_id: int, user_id: str) -> Sequence[MemberGroup]:
        """``user_id``'s own rows (the groups they were in, their answers)."""
        query = (
            select(MemberGroup)
            .where(MemberGroup.workspace_id == workspace_id, MemberGroup.user_id == user_id)
            .order_by(col(MemberGroup.community_id), col(MemberGroup.round))
        )
        return (await self._s.execute(query)).scalars().all()

    async def naming(self, workspace_id: int, user_id: str) -> list[MemberGroup]:
        """Others' rows that name ``user_id`` as a partner (the rounds they were in)."""
        found: list[MemberGroup] = []
        for row in await self.of_person(workspace_id, user_id):
            query = select(MemberGroup).where(
                MemberGroup.community_id == row.community_id,
                MemberGroup.playbook == row.playbook,
                MemberGroup.round == row.round,
                col(MemberGroup.user_id).in_(list(row.partners)),
            )
            found += [o for o in (await self._s.execute(query)).scalars() if user_id in o.partners]
        return found

    async def erase(self, workspace_id: int, user_id: str) -> int:
        """``user_id``'s rows go; their partners' rows of those rounds no longer name them.
        How many rows were removed or changed."""
        others = await self.naming(workspace_id, user_id)
        for other in others:
            other.partners = [p for p in other.partners if p != user_id]
        changed = len(others)
        result = await self._s.execute(
            delete(MemberGroup).where(
                col(MemberGroup.workspace_id) == workspace_id, col(MemberGroup.user_id) == user_id
            )
        )
        await self._s.flush()
        return changed + int(result.rowcount or 0)  # type: ignore[attr-defined]
