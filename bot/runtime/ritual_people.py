"""The people a ritual's ``dm_people`` step DMs, read for its thread when the step comes, and
what the runtime records for a run's effects: the people DMed (experts asked: the daily cap
counts them), a question solved. The engine decides when; this reads and writes.

Sources (``playbooks.schema.PEOPLE``):

- ``experts`` — ``bot.runtime.experts.experts_for`` the thread's question: up to 3 experts whose
  topics it matched, else the facilitators; ``record_asked`` once they are DMed.
- ``answering_expert`` — the run's ``replier``, when they were asked about the question or
  declare a topic it matched (and have not stopped the ritual).
"""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import cast

from bot.runtime import experts
from bot.runtime.context import resolve_locale
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.turn import Turn
from bot.vocabulary.events import Platform, WorkspaceRef
from bot.vocabulary.ports import MessagePlace
from playbooks.engine import REPLIER, Effect, Reached, RunState
from playbooks.schema import DmPeople
from storage.tables import Community

log = logging.getLogger(__name__)


async def reached(
    turn: Turn,
    community: Community,
    step: DmPeople,
    thread: str,
    state: RunState,
    links: MessageLinkBook,
) -> Reached:
    """Whom ``step`` DMs about ``thread`` now (each in their language), and where the
    thread opens."""
    assert community.id is not None
    people: list[str] = []
    if thread and step.people == "experts":
        people = await experts.experts_for(turn.tx, community, thread, turn.now)
    elif thread and step.people == "answering_expert":
        replier = state.variables.get(REPLIER, "")
        if replier and await _is_expert(turn, community, thread, replier):
            people = [replier]
    link = ""
    if thread:
        place = MessagePlace(community.channel_id, thread)
        workspace = turn.workspace
        ref = WorkspaceRef(cast(Platform, workspace.platform), workspace.external_id)
        link = await links.url(ref, place) or ""
    found = (
        await turn.tx.directory.members_by_user_id(community.workspace_id, people) if people else {}
    )
    locales = {p: resolve_locale(found.get(p), community, turn.workspace) for p in people}
    return Reached(step.id, tuple(people), link, MappingProxyType(locales))


async def _is_expert(turn: Turn, community: Community, thread: str, user_id: str) -> bool:
    assert community.id is not None
    if user_id in await turn.tx.experts.asked_about(community.id, thread):
        return True
    matched = await turn.tx.experts.matches(community.workspace_id, community.id, thread)
    if user_id not in matched:
        return False
    member = await turn.tx.directory.member(community.workspace_id, user_id)
    return member is None or not (member.opted_out_all or experts.RITUAL in member.opted_out)


async def record(turn: Turn, community: Community, effects: tuple[Effect, ...]) -> None:
    """Record what a transition's steps did beyond messages."""
    for effect in effects:
        if effect.kind == "dm_people" and effect.source == "experts" and effect.people:
            await experts.record_asked(turn.tx, community, effect.thread, effect.people, turn.now)
        elif effect.kind == "mark_solved" and not await experts.mark_solved(
            turn.tx, community, effect.thread, turn.now
        ):
            log.info("a question marked solved is no longer known")
