"""Questions to experts: who to ask about a question, the asks recorded, a question solved.

What the experts ritual (``experts.yaml``) calls once a question has waited: ``experts_for``
picks up to MOST people — the members still in the community whose declared topics the
question's words matched at ingest (``storage.experts``), else its facilitators — and
``record_asked`` records those it asked, so nobody is asked more than PER_DAY times a day (their
day: their timezone, else the community's) nor twice about one question. ``mark_solved`` records
the asker's "solved".

Never asked: the asker, people who stopped the ``experts`` ritual or all rituals, who snoozed
their rituals, who blocked the bot; bots are never members, so never experts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time

from playbooks.calendar import zone
from storage.store import Transaction
from storage.tables import BOT_AUTHOR, Community, Member

#: The ritual's name: a member opts out of being asked with ``/animateur optout experts``.
RITUAL = "experts"
#: People asked about one question, at most.
MOST = 3
#: Times one person is asked a day, at most (across the workspace's communities).
PER_DAY = 3


async def experts_for(
    tx: Transaction, community: Community, question_message_id: str, now: datetime
) -> list[str]:
    """Up to MOST user ids to ask about the question: the matched experts who may be asked
    (most matching topics first, then fewest asks today, then user id); when none matched or
    none may be asked, the facilitators who may (fewest asks today, then user id). Empty when
    the message asks no question, or some were asked about it already."""
    assert community.id is not None
    question = await tx.experts.question(community.id, question_message_id)
    if question is None or await tx.experts.asked_about(community.id, question_message_id):
        return []
    matched = await tx.experts.matches(community.workspace_id, community.id, question_message_id)
    experts = {user: len(topics) for user, topics in matched.items()}
    chosen = await _askable(tx, community, experts, question.asker, now)
    if chosen:
        return chosen
    return await _askable(
        tx, community, dict.fromkeys(community.facilitators, 0), question.asker, now
    )


async def record_asked(
    tx: Transaction,
    community: Community,
    question_message_id: str,
    experts: Sequence[str],
    now: datetime,
) -> None:
    """``experts`` were asked about the question now: it counts in their day."""
    assert community.id is not None
    await tx.experts.record_asked(
        community.workspace_id, community.id, question_message_id, experts, now
    )


async def mark_solved(
    tx: Transaction, community: Community, question_message_id: str, now: datetime
) -> bool:
    """The asker says the question is solved; False when the message asks no question."""
    assert community.id is not None
    return await tx.experts.mark_solved(community.id, question_message_id, now)


def day_start(member: Member | None, community: Community, now: datetime) -> datetime:
    """When the person's day began: in their timezone, else the community's."""
    day_zone = zone(member.timezone if member else None, community.timezone)
    return datetime.combine(now.astimezone(day_zone).date(), time(0), day_zone)


async def _askable(
    tx: Transaction,
    community: Community,
    candidates: Mapping[str, int],
    asker: str,
    now: datetime,
) -> list[str]:
    """The MOST candidates who may be asked now, best first (``candidates``: how many topics
    each matched)."""
    people = sorted(p for p in candidates if p not in (asker, BOT_AUTHOR))
    if not people:
        return []
    members = await tx.directory.members_by_user_id(community.workspace_id, people)
    people = [p for p in people if _may_be_asked(members.get(p), now)]
    starts = {p: day_start(members.get(p), community, now) for p in people}
    if not starts:
        return []
    asks = await tx.experts.asks_since(community.workspace_id, people, min(starts.values()))
    today = {p: sum(1 for at in asks.get(p, []) if at >= starts[p]) for p in people}
    ranked = sorted(
        (p for p in people if today[p] < PER_DAY), key=lambda p: (-candidates[p], today[p], p)
    )
    return ranked[:MOST]


def _may_be_asked(member: Member | None, now: datetime) -> bool:
    if member is None:  # a facilitator the bot never heard from: nothing says no
        return True
    if member.opted_out_all or RITUAL in member.opted_out or member.unreachable:
        return False
    return member.snoozed_until is None or member.snoozed_until <= now
