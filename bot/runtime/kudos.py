"""``kudos @someone for <reason>``: a public thanks in the community's channel.

The post names the giver, the receiver and the reason, in the community's language; the
receiver is also told by DM, in theirs (a post names people without notifying them). Kudos go to
people of the workspace — as the platform tells it now, like facilitators (bots and deactivated
accounts are no people) — never to oneself, and at most PER_DAY a day per giver across the
workspace, the day being the giver's own (their timezone, else the community's). The reason is
what the member wrote for the ritual: stored with the kudos, as ritual answers are.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta

from bot.runtime.community_setup import strangers_among
from bot.runtime.context import resolve_locale
from bot.runtime.invocation import Invocation, Refused, Usage, person
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from playbooks.calendar import zone
from storage.tables import Kudos, Member

log = logging.getLogger(__name__)

#: Kudos one member may give a day.
PER_DAY = 5
#: The longest reason kept (a line or two: it is posted in the channel).
REASON_LIMIT = 500
#: What may stand between the person and the reason: ``for`` (en), ``pour`` (fr).
_FOR = frozenset({"for", "pour"})
#: Deliveries of kudos are labelled so (outbox reports; a snoozed receiver's DM waits no one).
RITUAL = "kudos"


async def kudos(inv: Invocation, args: list[str]) -> None:
    """Thank ``args[0]`` publicly for the rest of the words (``for``/``pour`` optional)."""
    if not args:
        raise Usage()
    who = person(args[0])
    if who is None:
        raise Usage(text("bad_person", inv.locale, value=args[0]))
    words = args[1:]
    if words and words[0].lower() in _FOR:
        words = words[1:]
    reason = " ".join(words).strip()
    if not reason:
        raise Usage(text("kudos_no_reason", inv.locale))
    if len(reason) > REASON_LIMIT:
        raise Usage(text("kudos_reason_long", inv.locale, limit=REASON_LIMIT))
    community = inv.require_community()
    workspace_id = inv.workspace.id
    assert community.id is not None and workspace_id is not None
    giver = inv.member
    if who == giver.user_id:
        raise Refused(text("kudos_self", inv.locale))
    day_start, reset, day_zone = _giver_day(inv)
    await inv.tx.kudos.hold_giver(workspace_id, giver.user_id)
    given = await inv.tx.kudos.given_by(workspace_id, giver.user_id, day_start)
    when = {"reset": reset, "zone": day_zone, "most": PER_DAY}
    if given >= PER_DAY:
        raise Refused(text("kudos_quota", inv.locale, **when))
    if await strangers_among(inv, [who]):
        raise Refused(text("kudos_not_person", inv.locale, who=who))
    receiver = await inv.tx.directory.member(workspace_id, who)
    receiver_name = _name(receiver, who)
    if receiver is not None and receiver.opted_out_all:
        raise Refused(text("kudos_opted_out", inv.locale, receiver=receiver_name))

    await inv.tx.kudos.add(
        Kudos(
            workspace_id=workspace_id,
            community_id=community.id,
            giver=giver.user_id,
            receiver=who,
            reason=reason,
            created_at=inv.now,
        )
    )
    giver_name = _name(giver, giver.user_id)
    readable = await _readable(inv, workspace_id, words)
    said = {"giver": giver_name, "receiver": receiver_name, "reason": readable}
    public = text("kudos_public", resolve_locale(None, community, inv.workspace), **said)
    await inv.send(act.PostToCommunity(channel=community.channel_id, text=public), RITUAL)
    private = text(
        "kudos_received",
        resolve_locale(receiver, community, inv.workspace),
        name=community.name,
        **said,
    )
    await inv.send(act.SendDirectMessage(user_id=who, text=private), RITUAL)
    log.info("kudos given", extra={"community": community.id, "today": given + 1})
    inv.say("kudos_sent", receiver=receiver_name, name=community.name)
    left = PER_DAY - given - 1
    if left:
        inv.say("kudos_left", left=left)
    else:
        inv.say("kudos_last", **when)


def _giver_day(inv: Invocation) -> tuple[datetime, str, str]:
    """When the giver's day began (UTC), when the next one begins (as they read it) and in
    which timezone: theirs, else the community's."""
    fallback = inv.community.timezone if inv.community is not None else "UTC"
    day_zone = zone(inv.member.timezone, fallback)
    today = inv.now.astimezone(day_zone).date()
    start = datetime.combine(today, time(0), day_zone)
    reset = datetime.combine(today + timedelta(days=1), time(0), day_zone)
    return start, reset.strftime("%Y-%m-%d %H:%M"), day_zone.key


#: a Slack mention with its label: ``<@U123|zoe>``
_LABELLED = re.compile(r"^<@[A-Z0-9]+\|([^>]+)>$")


async def _readable(inv: Invocation, workspace_id: int, words: list[str]) -> str:
    """The reason as people read it: a mention of someone (``<@U123|zoe>``, a Teams or local
    id) becomes ``@`` and their name (the member's, else the mention's label); a mention of
    someone unknown stays as typed."""
    out = []
    for word in words:
        who = person(word)
        if who is not None:
            member = await inv.tx.directory.member(workspace_id, who)
            label = _LABELLED.match(word.strip())
            name = (member.display_name if member else "") or (label.group(1) if label else "")
            word = f"@{name}" if name else word
        out.append(word)
    return " ".join(out).strip()


def _name(member: Member | None, user_id: str) -> str:
    """Their name as stored; without one, a mention the platform shows as their name."""
    return (member.display_name if member is not None else "") or act.mention(user_id)
