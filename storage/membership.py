"""Who is in each community as its platform's roster says, and when to read the roster next.

Every community's roster is read when it is declared and then once a day, by one process at a
time (a claim with a lease on its ``rostersync`` row). What the roster says goes into the same
``communitymember`` rows the activity keeps (storage.activity): a person found there without a
join event is a member since the read, with an unknown join date (never a newcomer); a member
the roster no longer has has left. A fact newer than the read (a join, a post) is never undone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.vocabulary.events import MemberProfile
from storage.tables import Community, CommunityMember, Member, RosterSync
from storage.upsert import insert_missing, insert_missing_many

#: Rows written per statement (under every driver's parameter limit).
CHUNK = 500


@dataclass(frozen=True, slots=True)
class RosterChange:
    added: int
    returned: int
    removed: int


class Membership:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- when to read ---------------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Communities whose roster is due (never read: declared since) and nobody holds."""
        query = (
            select(Community.id)
            .outerjoin(RosterSync, col(RosterSync.community_id) == col(Community.id))
            .where(
                or_(
                    col(RosterSync.community_id).is_(None),
                    (col(RosterSync.due_at) <= now)
                    & or_(col(RosterSync.lease_until).is_(None), col(RosterSync.lease_until) < now),
                )
            )
            .order_by(col(RosterSync.due_at).nulls_first(), col(Community.id))
            .limit(limit)
        )
        return [int(i) for i in (await self._s.execute(query)).scalars().all()]

    async def claim(self, community_id: int, now: datetime, token: str, lease: timedelta) -> bool:
        """Take the community's roster read for ``lease``; False when it is not due or held."""
        await insert_missing(
            self._s,
            RosterSync,
            {"community_id": community_id, "due_at": now, "failures": 0},
            ("community_id",),
        )
        result = await self._s.execute(
            update(RosterSync)
            .where(
                col(RosterSync.community_id) == community_id,
                col(RosterSync.due_at) <= now,
                or_(col(RosterSync.lease_until).is_(None), col(RosterSync.lease_until) < now),
            )
            .values(lease_until=now + lease, claimed_by=token)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def held(self, community_id: int, token: str) -> RosterSync | None:
        query = select(RosterSync).where(
            RosterSync.community_id == community_id, RosterSync.claimed_by == token
        )
        return (await self._s.execute(query)).scalars().first()

    async def read_done(self, sync: RosterSync, now: datetime, next_at: datetime) -> None:
        sync.synced_at, sync.due_at, sync.failures, sync.last_error = now, next_at, 0, None
        sync.lease_until, sync.claimed_by = None, None

    async def read_failed(self, sync: RosterSync, error: str, next_at: datetime) -> None:
        sync.failures += 1
        sync.due_at, sync.last_error = next_at, error[:500]
        sync.lease_until, sync.claimed_by = None, None

    # -- what it says ---------------------------------------------------------------------

    async def apply_roster(
        self, community: Community, roster: Sequence[MemberProfile], read_at: datetime
    ) -> RosterChange:
        """The community's members are the roster read at ``read_at`` (bots already left out):
        newcomers to the table are members since then (join date unknown), members not on it
        have left then — except where a fact newer than the read says otherwise."""
        assert community.id is not None
        on_roster = {p.user_id: p for p in roster if p.user_id}
        query = select(
            CommunityMember.user_id,
            CommunityMember.present,
            CommunityMember.present_since,
            CommunityMember.left_at,
        ).where(CommunityMember.community_id == community.id)
        # when their membership last changed (a join, a leave, a read): posts say nothing of it
        known = {
            u: (present, since if present else left)
            for u, present, since, left in (await self._s.execute(query)).all()
        }

        def older(changed: datetime | None) -> bool:
            return changed is None or changed < read_at

        added = [u for u in on_roster if u not in known]
        returned = [u for u, (there, changed) in known.items() if u in on_roster and not there]
        returned = [u for u in returned if older(known[u][1])]
        removed = [u for u, (there, changed) in known.items() if there and u not in on_roster]
        removed = [u for u in removed if older(known[u][1])]
        await insert_missing_many(
            self._s,
            Member,
            [
                {
                    "workspace_id": community.workspace_id,
                    "user_id": u,
                    "display_name": on_roster[u].display_name or "",
                    "opted_out_all": False,
                    "opted_out": [],
                    "unreachable": False,
                    "updated_at": read_at,
                }
                for u in added
            ],
            ("workspace_id", "user_id"),
        )
        await insert_missing_many(
            self._s,
            CommunityMember,
            [
                {
                    "workspace_id": community.workspace_id,
                    "community_id": community.id,
                    "user_id": u,
                    "present": True,
                    "present_since": read_at,
                }
                for u in added
            ],
            ("community_id", "user_id"),
        )
        for start in range(0, len(returned), CHUNK):
            await self._s.execute(
                update(CommunityMember)
                .where(
                    col(CommunityMember.community_id) == community.id,
                    col(CommunityMember.user_id).in_(returned[start : start + CHUNK]),
                    ~col(CommunityMember.present),
                    or_(
                        col(CommunityMember.left_at).is_(None),
                        col(CommunityMember.left_at) < read_at,
                    ),
                )
                .values(present=True, present_since=read_at, joined_at=None, left_at=None)
            )
        for start in range(0, len(removed), CHUNK):
            await self._s.execute(
                update(CommunityMember)
                .where(
                    col(CommunityMember.community_id) == community.id,
                    col(CommunityMember.user_id).in_(removed[start : start + CHUNK]),
                    col(CommunityMember.present),
                    or_(
                        col(CommunityMember.present_since).is_(None),
                        col(CommunityMember.present_since) < read_at,
                    ),
                )
                .values(present=False, left_at=read_at)
            )
        return RosterChange(len(added), len(returned), len(removed))
