"""A member's own contributions for their home: posts, replies and reactions of the last 28
days (today and the 27 days before it) and kudos received, per community. Per-person figures:
shown only to that person.

Read from the member's day rollups of the 27 whole days and today's raw facts only (the window
starts at a midnight, so no other day is cut through): the cost follows the window, not the
history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.runtime.indicators import DAY, Window, midnight
from storage.store import Transaction

#: The period a member's contributions are counted over.
CONTRIBUTION_DAYS = 28


@dataclass(frozen=True, slots=True)
class Contributions:
    posts: int = 0
    replies: int = 0
    reactions: int = 0
    kudos: int = 0


async def own_contributions(
    tx: Transaction, community_ids: Sequence[int], user_id: str, now: datetime
) -> dict[int, Contributions]:
    """``user_id``'s contributions in each community over the last 28 days."""
    now = now.astimezone(UTC)
    window = Window(midnight(now) - (CONTRIBUTION_DAYS - 1) * DAY, now)
    kudos = await tx.kudos.received_in(community_ids, user_id, window.start)
    found: dict[int, Contributions] = {}
    for cid in community_ids:
        posts = replies = reactions = 0
        days = await tx.pulse_queries.member_days(
            cid, window.start.date(), window.end.date(), user=user_id
        )
        for row in days:
            if window.whole(row.day):
                posts, replies, reactions = (
                    posts + row.posts,
                    replies + row.replies,
                    reactions + row.reactions,
                )
        for fact in await tx.pulse_queries.facts(cid, window.cut_days(), [user_id]):
            if window.holds(fact.at) and not window.whole(fact.at.astimezone(UTC).date()):
                posts += fact.kind == "post"
                replies += fact.kind == "reply"
                reactions += fact.kind == "reaction"
        found[cid] = Contributions(posts, replies, reactions, kudos.get(cid, 0))
    return found
