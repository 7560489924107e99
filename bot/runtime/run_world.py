"""What the engine needs read for a run beyond its own row, read only when its playbook needs
it: the season's state (playbooks with ``collect``/``pick`` steps or texts naming ``season``),
the tally of the thread a due ``collect`` step counts, the round a due ``group_members`` step
forms — and the season saved back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.runtime.grouping import read_round
from bot.runtime.highlights import highlights
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.turn import Turn
from playbooks.calendar import zone
from playbooks.conversation import Contributor, Season, Tally, season_of
from playbooks.engine import Engine, RunContext, RunState, Transition
from storage.tables import Community, Member, RitualSeason


@dataclass(slots=True)
class World:
    """The context the engine gets, and the season row to save its changes in."""

    ctx: RunContext
    season: RitualSeason | None = None


def season_name(community: Community, now: datetime) -> str:
    """The season ``now`` is in, in the community's timezone (``2026-Q4``)."""
    return season_of(now.astimezone(zone(community.timezone)))


async def world(
    turn: Turn,
    engine: Engine,
    ctx: RunContext,
    community: Community,
    name: str,
    state: RunState | None = None,
    links: MessageLinkBook | None = None,
) -> World:
    """``ctx`` with what the run of ``name`` (at ``state``; None: starting) needs read."""
    assert community.id is not None
    out = World(ctx)
    if engine.uses_highlights(name, ctx.overrides):
        subject = ctx.member.user_id if ctx.member else None
        book = links or MessageLinkBook()
        found = await highlights(turn, community, subject, name, book, ctx.locale)
        out.ctx = replace(out.ctx, highlights=found)
    if engine.uses_season(name, ctx.overrides):
        season = season_name(community, turn.now)
        out.season = await turn.tx.seasons.locked(community.id, name, season, turn.now)
        out.ctx = replace(out.ctx, season=Season(season, dict(out.season.data)))
    thread = engine.collect_thread(state, ctx.overrides, turn.now) if state else None
    if thread:
        out.ctx = replace(out.ctx, collected=await tally(turn, community, thread, name))
    grouping = engine.grouping_step(name, state, ctx.overrides, turn.now)
    if grouping is not None:
        round_read = await read_round(turn, community, name, grouping)
        out.ctx = replace(out.ctx, grouping=round_read)
    return out


async def tally(turn: Turn, community: Community, thread: str, playbook: str = "") -> Tally:
    """The thread's tally, with each contributor's name as stored; someone who opted out of
    ``playbook`` (or of every ritual) is counted but marked not to be named."""
    assert community.id is not None and turn.workspace.id is not None
    counts = await turn.tx.threads.tally(community.id, thread)
    members = await turn.tx.directory.members_by_user_id(turn.workspace.id, list(counts.people))
    return Tally.of(
        Contributor(
            uid,
            (members[uid].display_name if uid in members else "") or uid,
            c.replies,
            c.reactions,
            uid not in members or not opted_out(members[uid], playbook),
        )
        for uid, c in counts.people.items()
    )


def opted_out(member: Member, playbook: str) -> bool:
    """Whether ``member`` stopped ``playbook`` (or every ritual): never named by it."""
    return member.opted_out_all or playbook in member.opted_out


async def save_season(turn: Turn, found: World, transition: Transition) -> None:
    """Keep the season's changes the transition made (in the event's transaction)."""
    if found.season is not None and transition.season is not None and not transition.error:
        await turn.tx.seasons.save(found.season, dict(transition.season), turn.now)
