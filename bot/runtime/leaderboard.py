"""``leaderboard``: the season's (calendar quarter's, in the community's timezone) top
contributors of a community — what they did in public: contributions to the sharing challenge
and the reactions those received (the challenge's season), kudos given and received in the
quarter. One point for each; ordered by points, then contributions, then kudos received, then
name and id, so the order never depends on the database. Members who opted out of the
challenge (or of every ritual) are skipped: never named, never ranked. Top 10; no list of who
did nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.runtime.invocation import Invocation, Usage
from bot.runtime.run_world import opted_out, season_name
from bot.runtime.texts import text
from playbooks.calendar import zone
from playbooks.conversation import standings
from storage.tables import Community

#: The ritual whose season the leaderboard shows.
CHALLENGE = "challenge"
TOP = 10


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: str
    name: str
    contributions: int = 0
    reactions: int = 0
    kudos_received: int = 0
    kudos_given: int = 0

    @property
    def points(self) -> int:
        return self.contributions + self.reactions + self.kudos_received + self.kudos_given

    def order(self) -> tuple[int, int, int, str, str]:
        return (-self.points, -self.contributions, -self.kudos_received, self.name, self.user_id)


def quarter_start(community: Community, now: datetime) -> datetime:
    """When the season ``now`` is in began, in the community's timezone."""
    local = now.astimezone(zone(community.timezone))
    month = (local.month - 1) // 3 * 3 + 1
    return datetime(local.year, month, 1, tzinfo=local.tzinfo)


async def season_standings(inv: Invocation, community: Community) -> list[Standing]:
    """Everyone who did something this season and may be named, best first (all of them)."""
    assert community.id is not None and inv.workspace.id is not None
    season = season_name(community, inv.now)
    since = quarter_start(community, inv.now)
    data = await inv.tx.seasons.data(community.id, CHALLENGE, season)
    given = await inv.tx.kudos.kudos_given(community.id, since, inv.now)
    received = await inv.tx.kudos.kudos_received(community.id, since, inv.now)
    rows = {r["user_id"]: r for r in standings(data)}
    people = set(rows) | set(given) | set(received)
    members = await inv.tx.directory.members_by_user_id(inv.workspace.id, sorted(people))
    out = []
    for uid in people:
        member = members.get(uid)
        if member is not None and opted_out(member, CHALLENGE):
            continue
        row = rows.get(uid, {})
        name = (member.display_name if member else "") or str(row.get("name") or uid)
        out.append(
            Standing(
                uid,
                name,
                int(row.get("replies", 0)),
                int(row.get("reactions", 0)),
                received.get(uid, 0),
                given.get(uid, 0),
            )
        )
    return sorted((s for s in out if s.points), key=Standing.order)


async def leaderboard(inv: Invocation, args: list[str]) -> None:
    if args:
        raise Usage()
    community = inv.require_community()
    season = season_name(community, inv.now)
    ranked = (await season_standings(inv, community))[:TOP]
    if not ranked:
        inv.say("leaderboard_empty", name=community.name, season=season)
        return
    lines = [
        text(
            "leaderboard_line",
            inv.locale,
            rank=rank,
            name=s.name,
            points=s.points,
            contributions=s.contributions,
            reactions=s.reactions,
            received=s.kudos_received,
            given=s.kudos_given,
        )
        for rank, s in enumerate(ranked, 1)
    ]
    inv.say("leaderboard", name=community.name, season=season, lines="\n".join(lines))
