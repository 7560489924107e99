"""When each community's pulse is looked at next, and what was last sent to its facilitators
(early warnings, the weekly digest): claims that two processes cannot both win.

A check is taken by moving its ``due_at`` forward (only one transaction sees it due); a notice
is taken by rewriting its row only when the last one is old enough (a warning: a week ago) or
for another period (the digest: another week), so each goes out once whatever the processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import Community, PulseCheck, PulseNotice
from storage.upsert import insert_missing

#: What a notice row holds before anything was sent (any claim wins over it).
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class PulseNotices:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- when to look -----------------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Communities whose pulse is due a look (never looked at first), oldest due first."""
        query = (
            select(Community.id)
            .outerjoin(PulseCheck, col(PulseCheck.community_id) == col(Community.id))
            .where(or_(col(PulseCheck.community_id).is_(None), col(PulseCheck.due_at) <= now))
            .order_by(col(PulseCheck.due_at).nulls_first(), col(Community.id))
            .limit(limit)
        )
        return [int(i) for i in (await self._s.execute(query)).scalars().all()]

    async def take_check(self, community_id: int, now: datetime, next_at: datetime) -> bool:
        """Take the community's look now (due again at ``next_at``); False when another
        process took it, or it is not due."""
        await insert_missing(
            self._s, PulseCheck, {"community_id": community_id, "due_at": now}, ("community_id",)
        )
        result = await self._s.execute(
            update(PulseCheck)
            .where(col(PulseCheck.community_id) == community_id, col(PulseCheck.due_at) <= now)
            .values(due_at=next_at, checked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- what was sent ----------------------------------------------------------------------

    async def last(self, community_id: int, kind: str) -> PulseNotice | None:
        query = select(PulseNotice).where(
            PulseNotice.community_id == community_id, PulseNotice.kind == kind
        )
        found = (await self._s.execute(query)).scalars().first()
        return None if found is None or found.sent_at == NEVER else found

    async def claim(
        self,
        community_id: int,
        kind: str,
        period: str,
        now: datetime,
        *,
        quiet_since: datetime | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record that ``kind`` goes out now for ``period``, unless it already went out for
        that period, or (``quiet_since``) after that moment. Commits with what is sent."""
        await insert_missing(
            self._s,
            PulseNotice,
            {"community_id": community_id, "kind": kind, "period": "", "sent_at": NEVER,
             "detail": {}},
            ("community_id", "kind"),
        )  # fmt: skip
        still = col(PulseNotice.period) != period
        if quiet_since is not None:
            still = still & (col(PulseNotice.sent_at) <= quiet_since)
        result = await self._s.execute(
            update(PulseNotice)
            .where(
                col(PulseNotice.community_id) == community_id,
                col(PulseNotice.kind) == kind,
                still,
            )
            .values(period=period, sent_at=now, detail=dict(detail or {}))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
