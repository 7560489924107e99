"""``/animateur dashboard``: a private, short-lived link to the dashboard of the communities
the member facilitates in this workspace; anyone else is told why there is none."""

from __future__ import annotations

from bot.runtime.dashboard.links import Grant, Unavailable
from bot.runtime.invocation import Invocation, Refused, Usage
from bot.runtime.texts import text


async def dashboard(inv: Invocation, args: list[str]) -> None:
    if args:
        raise Usage()
    assert inv.workspace.id is not None
    user = inv.member.user_id
    mine = [
        c for c in await inv.tx.directory.communities(inv.workspace.id) if user in c.facilitators
    ]
    if not mine:
        raise Refused(text("dashboard_refused", inv.locale))
    if inv.dashboard is None:
        raise Refused(text("dashboard_unavailable", inv.locale))
    here = inv.community.channel_id if inv.community in mine and inv.community else None
    try:
        link = inv.dashboard.link(Grant(inv.event.workspace, user, here))
    except Unavailable:
        raise Refused(text("dashboard_no_key", inv.locale)) from None
    names = ", ".join(sorted(c.name for c in mine))
    inv.say("dashboard_link", names=names, link=link)
    if inv.dashboard.only_local:
        inv.say("dashboard_loopback")
