"""Who may set a community up and whom it may name: the platform is asked whether the member
may declare the channel a community and whether the people named are members of the
workspace; when it cannot tell now, nothing is changed."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from bot.runtime.invocation import Invocation, Refused, Usage
from bot.runtime.texts import text
from bot.vocabulary.ports import PlatformUnavailable

log = logging.getLogger(__name__)


def may_declare(inv: Invocation) -> None:
    """Refused unless the member may declare this channel a community and the bot is in it."""
    try:
        verdict = inv.governance.may_declare(
            inv.event.channel, inv.member.user_id, bool(inv.event.member.is_admin)
        )
    except PlatformUnavailable as problem:
        log.warning("could not check who may declare a community", extra={"reason": str(problem)})
        raise Refused(text("platform_unchecked", inv.locale)) from problem
    if verdict == "refused":
        raise Refused(text("not_creator", inv.locale))
    if verdict == "invite_first":
        how = text(f"invite_how_{inv.event.workspace.platform}", inv.locale)
        raise Refused(text("invite_first", inv.locale, how=how))


async def members_only(inv: Invocation, checked: Mapping[str, object]) -> None:
    """Usage unless every facilitator and sponsor named is a member of the workspace."""
    named = {k: v for k in ("facilitators", "sponsors") if isinstance(v := checked.get(k), list)}
    everyone = [str(p) for people in named.values() for p in people]
    strangers = set(await strangers_among(inv, everyone)) if everyone else set()
    problems = []
    for key, people in named.items():
        found = [p for p in people if p in strangers]
        if found:
            problem = text("not_member", inv.locale, who=", ".join(found))
            problems.append(text("bad_value", inv.locale, field=key, problem=problem))
    if problems:
        raise Usage("\n".join(problems))


async def strangers_among(inv: Invocation, people: Iterable[str]) -> list[str]:
    """Those of ``people`` who are no members of the workspace; Refused when the platform
    cannot tell now (nothing is changed, the member tries again)."""
    try:
        return await inv.governance.strangers(
            inv.tx, inv.event.workspace, inv.event.channel, people
        )
    except PlatformUnavailable as problem:
        log.warning("could not check who is a member", extra={"reason": str(problem)})
        raise Refused(text("platform_unchecked", inv.locale)) from problem
