"""``expert add <topic>``, ``expert remove <topic>``, ``expert list``: the topics a member says
they know, so that questions in a community's channel reach them (``bot.runtime.experts``).

Topics are the member's, per workspace (whichever community they are in, so the command works
in a DM too); members manage only their own. A topic is stored folded — lowercase, accents
dropped, spaces collapsed — at most TOPIC characters, at most MOST_TOPICS per member. In a
community's channel ``list`` also shows the community's experts by topic: names, never ids,
and nobody who stopped the experts ritual.
"""

from __future__ import annotations

from collections import defaultdict

from bot.runtime.experts import RITUAL
from bot.runtime.invocation import Invocation, Refused, Usage, person
from bot.runtime.texts import text
from bot.vocabulary.words import fold, topic_words
from storage.tables import TOPIC, Member

#: Topics one member may declare.
MOST_TOPICS = 20
#: Topics shown at most in a community's list (the rest counted).
SHOWN = 50


async def expert(inv: Invocation, args: list[str]) -> None:
    if not args or args[0] not in ("add", "remove", "list"):
        raise Usage()
    if args[0] == "list":
        if len(args) != 1:
            raise Usage()
        await _list(inv)
        return
    topic = _topic(inv, args[1:])
    workspace_id = inv.workspace.id
    assert workspace_id is not None
    user = inv.member.user_id
    if args[0] == "add":
        mine = await inv.tx.experts.topics(workspace_id, user)
        if topic in mine:
            raise Refused(text("expert_already", inv.locale, topic=topic))
        if len(mine) >= MOST_TOPICS:
            raise Refused(text("expert_too_many", inv.locale, most=MOST_TOPICS))
        await inv.tx.experts.add_topic(workspace_id, user, topic, inv.now)
        inv.say("expert_added", topic=topic, topics=", ".join(sorted([*mine, topic])))
        return
    if not await inv.tx.experts.remove_topic(workspace_id, user, topic):
        mine = await inv.tx.experts.topics(workspace_id, user)
        yours = ", ".join(mine) or text("none", inv.locale)
        raise Refused(text("expert_not_yours", inv.locale, topic=topic, topics=yours))
    inv.say("expert_removed", topic=topic)


def _topic(inv: Invocation, words: list[str]) -> str:
    """The topic the words name, folded; Usage when there is none, or it names someone."""
    if any(person(word) for word in words):
        raise Usage(text("expert_own_only", inv.locale))
    topic = fold(" ".join(words))
    if not topic_words(topic) or len(topic) > TOPIC:
        raise Usage(text("expert_bad_topic", inv.locale, most=TOPIC))
    return topic


async def _list(inv: Invocation) -> None:
    workspace_id = inv.workspace.id
    assert workspace_id is not None
    mine = await inv.tx.experts.topics(workspace_id, inv.member.user_id)
    if mine:
        inv.say("expert_yours", topics=", ".join(mine))
    else:
        inv.say("expert_yours_none")
    community = inv.community
    if community is None or community.id is None:
        return
    by_topic: dict[str, list[str]] = defaultdict(list)
    for topic, member in await inv.tx.experts.community_topics(community.id):
        if _listed(member):
            by_topic[topic].append(member.display_name or text("expert_no_name", inv.locale))
    if not by_topic:
        inv.say("expert_community_none", name=community.name)
        return
    lines = [f"• {topic} — {', '.join(names)}" for topic, names in sorted(by_topic.items())]
    if len(lines) > SHOWN:
        lines = [*lines[:SHOWN], text("expert_more", inv.locale, count=len(lines) - SHOWN)]
    inv.say("expert_community", name=community.name, lines="\n".join(lines))


def _listed(member: Member) -> bool:
    """Shown as an expert: not someone who stopped the experts ritual, or all rituals."""
    return not (member.opted_out_all or RITUAL in member.opted_out)
