"""Kudos: public thanks between members — recorded, counted per giver and day (the quota) and
per community and period (a season's recognition: given and received per member)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import Kudos, Member


class KudosLedger:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, kudos: Kudos) -> Kudos:
        self._s.add(kudos)
        await self._s.flush()
        return kudos

    async def hold_giver(self, workspace_id: int, giver: str) -> None:
        """Lock the giver's member row until the transaction ends, so that two kudos of theirs
        at the same moment are counted one after the other (never both under the quota). The
        event's profile refresh usually holds that lock already; this does not rely on it."""
        query = (
            select(Member.id)
            .where(Member.workspace_id == workspace_id, Member.user_id == giver)
            .with_for_update()
        )
        await self._s.execute(query)

    async def given_by(self, workspace_id: int, giver: str, since: datetime) -> int:
        """How many kudos ``giver`` gave in the workspace since ``since``."""
        query = select(func.count()).where(
            Kudos.workspace_id == workspace_id,
            Kudos.giver == giver,
            col(Kudos.created_at) >= since,
        )
        return int((await self._s.execute(query)).scalar_one())

    async def received_in(
        self, community_ids: Sequence[int], receiver: str, since: datetime
    ) -> dict[int, int]:
        """Kudos ``receiver`` received since ``since``, per community (absent: none). Reads
        only the communities' kudos of the period (index by community and time)."""
        if not community_ids:
            return {}
        query = (
            select(col(Kudos.community_id), func.count())
            .where(
                col(Kudos.community_id).in_(list(community_ids)),
                col(Kudos.created_at) >= since,
                Kudos.receiver == receiver,
            )
            .group_by(col(Kudos.community_id))
        )
        return {int(c): int(n) for c, n in (await self._s.execute(query)).all()}

    async def between(
        self, community_id: int, since: datetime, until: datetime
    ) -> list[tuple[datetime, str, str]]:
        """The community's kudos in ``[since, until)``: (when, giver, receiver), oldest first."""
        query = (
            select(col(Kudos.created_at), col(Kudos.giver), col(Kudos.receiver))
            .where(
                Kudos.community_id == community_id,
                col(Kudos.created_at) >= since,
                col(Kudos.created_at) < until,
            )
            .order_by(col(Kudos.created_at))
        )
        return [(at, str(g), str(r)) for at, g, r in (await self._s.execute(query)).all()]

    async def kudos_given(
        self, community_id: int, since: datetime, until: datetime
    ) -> Mapping[str, int]:
        """Kudos given in the community in ``[since, until)``, per giver."""
        return await self._per_member(col(Kudos.giver), community_id, since, until)

    async def kudos_received(
        self, community_id: int, since: datetime, until: datetime
    ) -> Mapping[str, int]:
        """Kudos received in the community in ``[since, until)``, per receiver."""
        return await self._per_member(col(Kudos.receiver), community_id, since, until)

    async def _per_member(
        self, who: Any, community_id: int, since: datetime, until: datetime
    ) -> Mapping[str, int]:
        query = (
            select(who, func.count())
            .where(
                Kudos.community_id == community_id,
                col(Kudos.created_at) >= since,
                col(Kudos.created_at) < until,
            )
            .group_by(who)
        )
        return {str(user): int(n) for user, n in (await self._s.execute(query)).all()}
