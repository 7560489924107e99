"""Champions spotted (issue 14 §4): with the weekly health digest, each facilitator privately
gets up to MOST members who carried the community in the last WINDOW — answered others'
questions, started threads that got replies, welcomed newcomers — each with two buttons,
"add as facilitator" and "suggest as expert" (``bot.runtime.champion_buttons``).

What counts, in the WINDOW before the digest (replies and reactions still counting):

- a question **answered**: a question (a top-level message flagged at ingest) in whose thread
  the member replied, someone else's; each question once;
- a thread **that got replies**: a message of the member's in whose thread someone else
  replied; each thread once;
- a newcomer **welcomed**: someone who joined the community (a join the bot saw) at most
  NEWCOMER before, whose message the member replied to or reacted to then; each newcomer once.

Score: 2 per question answered and per newcomer welcomed, 1 per thread that got replies; a
member is named from MIN_SCORE on, highest first (then by user id). Never named: bots (never
members), people no longer in the community, its facilitators, who stopped all rituals, who
blocked the bot. Only names and the reason are said — never a message's text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.runtime.context import resolve_locale
from bot.runtime.pulse_digest import DIGEST
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from storage.champions import Candidate, Reach
from storage.store import Transaction
from storage.tables import Community, Workspace

#: The period the digest looks back on: the week it reports.
WINDOW = timedelta(days=7)
#: A member is a newcomer for this long after joining.
NEWCOMER = timedelta(days=14)
#: Champions named per digest, at most.
MOST = 3
#: The least score named (two questions answered; one answered and one thread replied to…).
MIN_SCORE = 3
#: The callback of a champion's buttons: ``champion:<community id>:<user id>``.
CHAMPION_PREFIX = "champion:"
#: The buttons' values.
AS_FACILITATOR = "facilitator"
AS_EXPERT = "expert"


@dataclass(frozen=True, slots=True)
class Champion:
    user_id: str
    name: str
    answered: int = 0
    threads: int = 0
    welcomed: int = 0

    @property
    def score(self) -> int:
        return 2 * self.answered + self.threads + 2 * self.welcomed


def tally(reaches: Iterable[Reach], arrivals: dict[str, datetime]) -> dict[str, Champion]:
    """Each person's questions answered, threads replied to and newcomers welcomed (pure)."""
    answered: dict[str, set[str]] = defaultdict(set)
    threads: dict[str, set[str]] = defaultdict(set)
    welcomed: dict[str, set[str]] = defaultdict(set)
    for reach in reaches:
        if reach.kind == "reply" and reach.thread:
            threads[reach.other].add(reach.thread)
            if reach.question:
                answered[reach.user_id].add(reach.thread)
        joined = arrivals.get(reach.other)
        if joined is not None and joined <= reach.at <= joined + NEWCOMER:
            welcomed[reach.user_id].add(reach.other)
    people = {*answered, *threads, *welcomed}
    return {p: Champion(p, "", len(answered[p]), len(threads[p]), len(welcomed[p])) for p in people}


def pick(
    tallies: dict[str, Champion], candidates: Sequence[Candidate], facilitators: Sequence[str]
) -> list[Champion]:
    """Up to MOST champions among ``candidates`` (pure): highest score first, then user id."""
    chosen = []
    for person in candidates:
        found = tallies.get(person.user_id)
        if (
            found is None
            or found.score < MIN_SCORE
            or person.user_id in facilitators
            or person.opted_out_all
            or person.unreachable
        ):
            continue
        chosen.append(
            Champion(
                person.user_id, person.display_name, found.answered, found.threads, found.welcomed
            )
        )
    chosen.sort(key=lambda c: (-c.score, c.user_id))
    return chosen[:MOST]


async def spot(tx: Transaction, community: Community, now: datetime) -> list[Champion]:
    """The community's champions of the WINDOW before ``now``."""
    assert community.id is not None
    start = now - WINDOW
    reaches = await tx.champions.reaches(community.id, start, now)
    if not reaches:
        return []
    arrivals = await tx.champions.arrivals(community.id, start - NEWCOMER)
    tallies = {
        p: c
        for p, c in tally(reaches, arrivals).items()
        if c.score >= MIN_SCORE and p not in community.facilitators
    }
    candidates = await tx.champions.candidates(
        community.workspace_id, community.id, sorted(tallies)
    )
    return pick(tallies, candidates, community.facilitators)


async def spot_for_digest(
    tx: Transaction, community: Community, week: str | None, now: datetime
) -> list[Champion]:
    """The champions to name with ``week``'s digest; none when it went out already (the
    pulse is looked at every hour of the week: the spotting is done once)."""
    if week is None or community.id is None:
        return []
    sent = await tx.pulse_notices.last(community.id, DIGEST)
    if sent is not None and sent.period == week:
        return []
    return await spot(tx, community, now)


def champion_callback(community_id: int, user_id: str) -> str:
    return f"{CHAMPION_PREFIX}{community_id}:{user_id}"


def reason(champion: Champion, locale: str) -> str:
    """Why they are named: what they did — never how many times (a per-person figure is
    only ever shown to that person)."""
    parts = [
        text(key, locale)
        for key, count in (
            ("champion_answered", champion.answered),
            ("champion_threads", champion.threads),
            ("champion_welcomed", champion.welcomed),
        )
        if count
    ]
    return ", ".join(parts)


async def champion_messages(
    tx: Transaction, workspace: Workspace, community: Community, champions: Sequence[Champion]
) -> list[act.Action]:
    """After the digest, one message per champion to each facilitator, with its buttons."""
    assert community.id is not None and workspace.id is not None
    out: list[act.Action] = []
    for facilitator in community.facilitators:
        reader = await tx.directory.member(workspace.id, facilitator)
        locale = resolve_locale(reader, community, workspace)
        for champion in champions:
            said = text(
                "champion_spotted",
                locale,
                who=act.mention(champion.user_id, champion.name),
                name=community.name,
                reason=reason(champion, locale),
            )
            out.append(
                act.AskQuestion(
                    user_id=facilitator,
                    text=said,
                    callback=champion_callback(community.id, champion.user_id),
                    choices=(
                        act.Choice(AS_FACILITATOR, text("champion_add_facilitator", locale)),
                        act.Choice(AS_EXPERT, text("champion_suggest_expert", locale)),
                    ),
                )
            )
    return out
