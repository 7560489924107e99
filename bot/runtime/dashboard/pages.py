"""What a dashboard page shows, read in one read-only transaction: the communities a person
facilitates in one workspace (checked again at every request), and one community's pulse over
the last weeks with its warnings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.runtime.context import normalize_locale
from bot.runtime.dashboard.links import Grant
from bot.runtime.dashboard.participation import LOOKBACK_WEEKS, weekly_split
from bot.runtime.indicators import Indicators, compute
from bot.runtime.pulse_report import read_pulse
from bot.runtime.pulse_warnings import PulseWarning, warnings
from storage.store import Store, Transaction
from storage.tables import Community, Member, Workspace

#: Weeks the charts show.
WEEKS = 12


class NotAllowed(Exception):
    """The person facilitates nothing here (any more), or not this community."""


@dataclass(frozen=True, slots=True)
class Facilitator:
    workspace: Workspace
    member: Member | None
    communities: list[Community]

    @property
    def language(self) -> str | None:
        """The language the person chose, else their platform's (None: unknown)."""
        if self.member is None:
            return None
        return normalize_locale(self.member.language or self.member.locale)


@dataclass(frozen=True, slots=True)
class Pulse:
    community: Community
    indicators: Indicators
    warnings: list[PulseWarning]
    #: the participation split at each week's end (``participation.weekly_split``)
    participation: list[dict[str, Any]]


async def _facilitator(tx: Transaction, grant: Grant) -> Facilitator:
    workspace = await tx.directory.workspace(grant.workspace)
    if workspace is None or workspace.id is None:
        raise NotAllowed()
    communities = [
        c for c in await tx.directory.communities(workspace.id) if grant.user_id in c.facilitators
    ]
    if not communities:
        raise NotAllowed()
    member = await tx.directory.member(workspace.id, grant.user_id)
    return Facilitator(workspace, member, sorted(communities, key=lambda c: c.name.lower()))


async def facilitator(store: Store, grant: Grant) -> Facilitator:
    """Raises NotAllowed when the person facilitates no community in the workspace."""
    async with store.read() as tx:
        return await _facilitator(tx, grant)


async def community_pulse(
    store: Store, grant: Grant, channel: str, at: datetime, asking: Collection[str]
) -> tuple[Facilitator, Pulse]:
    """The community's pulse at ``at``, for one of its facilitators (NotAllowed otherwise:
    another workspace's community, one they do not facilitate, one that does not exist)."""
    async with store.read() as tx:
        who = await _facilitator(tx, grant)
        community = next((c for c in who.communities if c.channel_id == channel), None)
        if community is None:
            raise NotAllowed()
        # a few weeks more than shown: the first week's split looks 28 days back
        data = await read_pulse(tx, community, at, WEEKS + LOOKBACK_WEEKS, asking)
    indicators = compute(data, WEEKS, links=True)
    pulse = Pulse(community, indicators, warnings(indicators, data), weekly_split(data, WEEKS))
    return who, pulse
