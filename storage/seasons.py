"""A ritual's season in a community: the state its runs keep across the season (a calendar
quarter), read and written whole — locked while a run changes it, since a ritual's runs for
several members may change it at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import RitualSeason
from storage.upsert import insert_missing


class Seasons:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def data(self, community_id: int, playbook: str, season: str) -> dict[str, Any]:
        """The season's state as stored ({} when the ritual has none yet): what a leaderboard
        reads (``playbooks.conversation.standings`` orders its people)."""
        query = select(RitualSeason.data).where(
            RitualSeason.community_id == community_id,
            RitualSeason.playbook == playbook,
            RitualSeason.season == season,
        )
        found = (await self._s.execute(query)).scalar_one_or_none()
        return dict(found) if found else {}

    async def seasons(self, community_id: int, playbook: str) -> list[str]:
        """The seasons the ritual has a state for in the community, latest first."""
        query = (
            select(RitualSeason.season)
            .where(RitualSeason.community_id == community_id, RitualSeason.playbook == playbook)
            .order_by(col(RitualSeason.season).desc())
        )
        return list((await self._s.execute(query)).scalars().all())

    async def locked(
        self, community_id: int, playbook: str, season: str, now: datetime
    ) -> RitualSeason:
        """The season's row (created empty if missing), locked until the transaction ends
        (PostgreSQL; SQLite's write transaction is alone already) and read afresh."""
        key = {"community_id": community_id, "playbook": playbook, "season": season}
        await insert_missing(
            self._s, RitualSeason, {**key, "data": {}, "updated_at": now}, tuple(key)
        )
        query = (
            select(RitualSeason)
            .where(
                RitualSeason.community_id == community_id,
                RitualSeason.playbook == playbook,
                RitualSeason.season == season,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self._s.execute(query)).scalar_one()

    async def save(self, row: RitualSeason, data: dict[str, Any], now: datetime) -> None:
        row.data, row.updated_at = dict(data), now
        await self._s.flush()
