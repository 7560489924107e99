"""A community's pulse at a moment: read what the indicators need — in one read-only
transaction, through the rollups and the raw facts of the few days the windows cut through —
and compute them (``bot.runtime.indicators``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.runtime.indicators import (
    DAY,
    Indicators,
    PulseData,
    compute,
    iso,
    weeks_before,
    window_ending,
)
from bot.vocabulary.events import WorkspaceRef
from storage.store import Store, Transaction
from storage.tables import Community

#: How many weeks a report may look back.
MAX_WEEKS = 104


class UnknownWorkspace(LookupError):
    """No such workspace in the database."""


class UnknownCommunity(LookupError):
    """No community on that channel in the workspace; ``known``: (channel, name) of the ones
    there are."""

    def __init__(self, channel: str, known: Sequence[tuple[str, str]]) -> None:
        super().__init__(channel)
        self.known = list(known)


@dataclass(frozen=True, slots=True)
class CommunityReport:
    workspace: WorkspaceRef
    community: Community
    at: datetime
    indicators: Indicators

    def as_json(self) -> dict[str, object]:
        """The report as JSON data: the §2 figures (null where withheld) and why."""
        return {
            "workspace": f"{self.workspace.platform}:{self.workspace.external_id}",
            "community": self.community.channel_id,
            "name": self.community.name,
            "at": iso(self.at),
            **self.indicators.figures,
            "withheld": dict(self.indicators.withheld),
        }


async def community_report(
    store: Store,
    workspace: WorkspaceRef,
    channel: str,
    at: datetime,
    *,
    weeks: int = 12,
    links: bool = False,
    rituals: Collection[str] | None = None,
) -> CommunityReport:
    """The community's indicators at ``at`` (links to unanswered questions when ``links``:
    for facilitators only). ``rituals``: the rituals that ask something (others have no
    response rate); None: every ritual with runs.

    Raises UnknownWorkspace or UnknownCommunity."""
    weeks = max(0, min(weeks, MAX_WEEKS))
    at = at.astimezone(UTC)
    async with store.read() as tx:
        found = await tx.directory.workspace(workspace)
        if found is None or found.id is None:
            raise UnknownWorkspace(f"{workspace.platform}:{workspace.external_id}")
        community = await tx.directory.community_by_channel(found.id, channel)
        if community is None or community.id is None:
            known = [(c.channel_id, c.name) for c in await tx.directory.communities(found.id)]
            raise UnknownCommunity(channel, known)
        data = await read_pulse(tx, community, at, weeks, rituals)
    return CommunityReport(workspace, community, at, compute(data, weeks, links))


async def read_pulse(
    tx: Transaction,
    community: Community,
    at: datetime,
    weeks: int,
    rituals: Collection[str] | None = None,
) -> PulseData:
    assert community.id is not None
    cid = community.id
    at = at.astimezone(UTC)
    reads = tx.pulse_queries
    last28, last7 = window_ending(at, 28 * DAY), window_ending(at, 7 * DAY)
    first = min([last28.start, *(w.start for w in weeks_before(at, weeks))])
    stays = await reads.stays(cid)
    days = await reads.member_days(cid, first.date(), at.date())
    pairs = await reads.pair_days(cid, first.date(), at.date())
    spans = sorted({*last28.cut_days(), *last7.cut_days()})
    facts = await reads.facts(cid, spans)
    questions = await reads.questions(cid, first, at)
    newcomers = {
        s.user_id: s.joined_at
        for s in stays
        if s.joined_at is not None and last28.holds(s.joined_at) and s.member_at(at)
    }
    newcomer_facts = []
    if newcomers:
        since = min(j for j in newcomers.values() if j is not None)
        newcomer_facts = await reads.facts(
            cid, [(since, at)], sorted(newcomers), contributions_only=True
        )
    runs = await reads.ritual_runs(cid, last28.start, at, rituals)
    if rituals is not None:
        runs = {name: got for name, got in runs.items() if name in rituals}
    return PulseData(
        at=at,
        stays=stays,
        days=days,
        facts=facts,
        pairs=pairs,
        questions=questions,
        newcomer_facts=newcomer_facts,
        rituals=runs,
        sponsors_last_active=await reads.last_active(cid, community.sponsors, at),
        facilitators_last_active=await reads.last_active(cid, community.facilitators, at),
        target_engagement=community.target_engagement,
        has_sponsors=bool(community.sponsors),
        has_facilitators=bool(community.facilitators),
        declared_at=community.created_at,
        kudos=await tx.kudos.between(cid, last28.start, at),
    )
