"""What is worth a member's visit to a community, for the texts of rituals that mention
``highlights`` (the nudge of a silent member, a sponsor's monthly acts): metadata and links,
never a message's text.

Texts see ``highlights`` as::

    thread:        the fortnight's busiest thread — {url, started, replies} — or None
    question:      the latest open question (28 days, unanswered, not solved, not the
                   member's own) matching the member's expert topics — {url, asked, topic} — or None
    open_question: the latest open question (same, any topic) — {url, asked} — or None
    contributors:  up to 3 names of the month's top contributors (posts and replies, 30 days),
                   never the member, nor anyone who opted out of the ritual or of every ritual
    sponsors_quiet: True when the community (declared 30 days ago or more) has sponsors and
                   none posted, replied or reacted there in 30 days

A link is empty when the platform has no link builder; the community-wide parts are read once
per turn (a launch's chunk of members shares them)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from bot.runtime.message_links import MessageLinkBook
from bot.runtime.turn import Turn
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessagePlace
from playbooks.calendar import zone
from storage.highlights import OpenQuestion
from storage.tables import Community

FORTNIGHT = timedelta(days=14)
QUESTIONS = timedelta(days=28)
MONTH = timedelta(days=30)
CONTRIBUTORS = 3
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}


def day_said(at: datetime | None, community: Community, locale: str) -> str:
    """``2 December`` / ``2 décembre``, in the community's timezone."""
    if at is None:
        return ""
    local = at.astimezone(zone(community.timezone))
    month = MONTHS["fr" if locale == "fr" else "en"].split()[local.month - 1]
    return f"{local.day} {month}"


async def highlights(
    turn: Turn,
    community: Community,
    user_id: str | None,
    playbook: str,
    links: MessageLinkBook,
    locale: str,
) -> dict[str, Any]:
    assert community.id is not None and turn.workspace.id is not None
    key = f"highlights:{community.id}:{playbook}:{locale}"
    shared = turn.cache.get(key)
    if shared is None:
        shared = await _community_wide(turn, community, playbook, links, locale)
        turn.cache[key] = shared
    uid = user_id
    out = dict(shared)
    # named as mentions: each platform shows their name, and the message records whom it names
    out["contributors"] = [
        act.mention(c["user_id"], c["name"]) for c in shared["ranked"] if c["user_id"] != uid
    ][:CONTRIBUTORS]
    out.pop("ranked")
    since = turn.now - QUESTIONS
    found = await turn.tx.highlights.open_question(community.id, since, not_by=uid)
    out["open_question"] = await _question(turn, community, links, locale, found)
    out["question"] = None
    if uid is not None:
        mine = await turn.tx.highlights.open_question(community.id, since, expert=uid, not_by=uid)
        out["question"] = await _question(turn, community, links, locale, mine)
    return out


async def _community_wide(
    turn: Turn, community: Community, playbook: str, links: MessageLinkBook, locale: str
) -> dict[str, Any]:
    assert community.id is not None and turn.workspace.id is not None
    now = turn.now
    busy = await turn.tx.highlights.busiest_thread(community.id, now - FORTNIGHT, now)
    thread = None
    if busy is not None:
        url = await _url(turn, links, busy.channel or community.channel_id, busy.message_id)
        started = day_said(busy.started_at, community, locale)
        thread = {"url": url, "started": started, "replies": busy.replies}
    first, last = (now - MONTH).date(), now.date()
    top = await turn.tx.highlights.contributors(community.id, first, last, CONTRIBUTORS + 1 + 10)
    people = await turn.tx.directory.members_by_user_id(turn.workspace.id, [u for u, _ in top])
    ranked = [
        {"user_id": u, "name": people[u].display_name or u}
        for u, _ in top
        if u in people
        and not people[u].opted_out_all
        and playbook not in people[u].opted_out
        and u not in community.sponsors  # thanking oneself is no act
    ]
    quiet = False
    if community.sponsors and community.created_at <= now - MONTH:
        last_heard = await turn.tx.pulse_queries.last_active(
            community.id, list(community.sponsors), now
        )
        quiet = last_heard is None or last_heard < now - MONTH
    return {"thread": thread, "ranked": ranked, "sponsors_quiet": quiet}


async def _question(
    turn: Turn,
    community: Community,
    links: MessageLinkBook,
    locale: str,
    found: OpenQuestion | None,
) -> dict[str, Any] | None:
    if found is None:
        return None
    said = asdict(found)
    url = await _url(turn, links, found.channel or community.channel_id, found.message_id)
    return {
        "url": url,
        "asked": day_said(found.asked_at, community, locale),
        "topic": said["topic"],
    }


async def _url(turn: Turn, links: MessageLinkBook, channel: str, message_id: str) -> str:
    ref = WorkspaceRef(turn.workspace.platform, turn.workspace.external_id)  # type: ignore[arg-type]
    return await links.url(ref, MessagePlace(channel, message_id)) or ""
