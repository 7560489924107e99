"""Rounds of rituals that group members (intros), between the engine and storage: what a due
``group_members`` step needs read (who can be grouped, the history, who interacted with
whom, their working hours) with the groups the policy forms (``bot.runtime.intro_groups``), and
what a round leaves in the history (its groups, then each member's answer)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from bot.runtime.delivery import not_now
from bot.runtime.intro_groups import Known, Pair, Person, form_groups, pair
from bot.runtime.turn import Turn
from playbooks.calendar import parse_hours, zone
from playbooks.engine import ROUND, ROUND_TOLERANCE, Grouping, MemberContext
from playbooks.schema import GroupMembers, Playbook
from storage.groupings import MAX_ROUNDS
from storage.tables import Community, Member, Run

#: The interactions that count when preferring people who rarely interacted: this far back.
INTERACTIONS_SINCE = timedelta(days=90)


def seed_of(community: Community, round_number: int) -> str:
    """The round's seed: the same community and round always draw the same groups."""
    return f"{community.id}:{round_number}"


async def read_round(
    turn: Turn, community: Community, playbook: str, step: GroupMembers
) -> Grouping:
    """The round ``step`` forms now in ``community`` (nothing read beyond the last round's
    date when it is too early: the engine then ends the run)."""
    assert community.id is not None
    now = turn.now
    groupings = turn.tx.groupings
    last = await groupings.last_round(community.id, playbook)
    number = last[0] + 1 if last else 1
    last_at = last[1] if last else None
    if last_at is not None and now - last_at < step.every_delta - ROUND_TOLERANCE:
        return Grouping((), number, last_at, 0)
    skipping: set[str] = set()
    if last is not None:
        skipped = await groupings.answered(community.id, playbook, step.skip, 1)
        skipping = {row.user_id for row in skipped}
    members = [
        m
        for m in await turn.tx.activity.present_members(community.id)
        if not m.unreachable and not not_now(m, playbook, now) and m.user_id not in skipping
    ]
    known = await _known(turn, community, playbook, step, number)
    people = [Person(m.user_id, _offset(m, community, now)) for m in members]
    groups = form_groups(people, known, seed_of(community, number))
    by_id = {m.user_id: m for m in members}
    contexts = tuple(
        tuple(MemberContext(uid, by_id[uid].display_name or uid) for uid in group)
        for group in groups
    )
    return Grouping(contexts, number, last_at, len(members))


async def _known(
    turn: Turn, community: Community, playbook: str, step: GroupMembers, number: int
) -> Known:
    assert community.id is not None
    groupings = turn.tx.groupings
    recent: set[Pair] = set()
    if step.avoid_rounds:
        first = number - min(step.avoid_rounds, MAX_ROUNDS)
        for row in await groupings.since_round(community.id, playbook, first):
            recent.update(pair(row.user_id, p) for p in row.partners)
    met: Counter[Pair] = Counter()
    for row in await groupings.answered(community.id, playbook, step.met, MAX_ROUNDS):
        met.update(pair(row.user_id, p) for p in row.partners)
    interactions: Counter[Pair] = Counter()
    today = turn.now.date()
    since = (turn.now - INTERACTIONS_SINCE).date()
    for day in await turn.tx.pulse_queries.pair_days(community.id, since, today):
        interactions[pair(day.member_a, day.member_b)] += 1
    return Known(
        recent=frozenset(recent),
        met=dict(met),
        interactions=dict(interactions),
        hours=_hours(community),
    )


def _hours(community: Community) -> tuple[int, int]:
    try:
        start, end = parse_hours(community.working_hours)
    except ValueError:
        return (9 * 60, 18 * 60)
    return (start.hour * 60 + start.minute, end.hour * 60 + end.minute)


def _offset(member: Member, community: Community, now: datetime) -> int:
    """The member's offset from UTC now, in minutes (their timezone, else the community's)."""
    offset = now.astimezone(zone(member.timezone, community.timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


async def keep_round(
    turn: Turn, run: Run, grouping: Grouping | None, groups: tuple[tuple[str, ...], ...]
) -> None:
    """The groups a round formed, in the history."""
    if grouping is None or not groups:
        return
    await turn.tx.groupings.add_round(
        run.workspace_id, run.community_id, run.playbook, grouping.round, groups, turn.now
    )


async def keep_answer(turn: Turn, playbook: Playbook, run: Run, key: str, value: str) -> None:
    """A grouped member's answer to the round's question, on their row of the round."""
    step = playbook.grouping()
    number = run.variables.get(ROUND, "")
    if step is None or step.answer != key or not run.subject or not number.isdigit():
        return
    await turn.tx.groupings.answer(
        run.community_id, run.playbook, int(number), run.subject, value, turn.now
    )
