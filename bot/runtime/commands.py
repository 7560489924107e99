"""The built-in ``/animateur`` commands (the same words on every platform).

Each command answers privately, in the member's language. A command used wrongly answers with its
usage line; one a member may not use says who can. Playbooks may add commands of their own
(``trigger: {on: command}``); built-ins are tried first.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.runtime.arguments import ArgumentError, check_length, split_words
from bot.runtime.community_setup import PEOPLE_LIMIT, community, strangers_among
from bot.runtime.context import community_context, normalize_locale
from bot.runtime.dashboard.command import dashboard
from bot.runtime.expert_topics import expert
from bot.runtime.experts import PER_DAY as EXPERT_PER_DAY
from bot.runtime.health import health
from bot.runtime.invocation import Handler, Invocation, Refused, Usage, person, ritual, title
from bot.runtime.kudos import PER_DAY as KUDOS_PER_DAY
from bot.runtime.kudos import kudos
from bot.runtime.leaderboard import leaderboard
from bot.runtime.preferences import ALL, set_opted
from bot.runtime.ritual_runs import run_ritual, scheduled_names
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from bot.vocabulary.events import CommandInvoked
from playbooks.calendar import zone as calendar_zone
from playbooks.durations import parse_duration
from playbooks.engine import CommunityContext
from playbooks.overrides import (
    MAX_PAIRS,
    TooManySettings,
    UnknownSetting,
    with_pairs,
)
from playbooks.schema import CommandTrigger, Playbook
from playbooks.templates import RenderError
from playbooks.trial import TrialNotStarted, isolated, settings_refusal

MAX_SNOOZE = timedelta(weeks=26)


# -- commands -------------------------------------------------------------------------------


async def help_(inv: Invocation, args: list[str]) -> None:
    member = [text(k, inv.locale) for k in ("line_help", "line_community", "line_rituals")]
    member += [text(k, inv.locale) for k in ("line_optout", "line_snooze", "line_language")]
    member.append(text("line_kudos", inv.locale, most=KUDOS_PER_DAY))
    member.append(text("line_leaderboard", inv.locale))
    member.append(text("line_expert", inv.locale, most=EXPERT_PER_DAY))
    member += [f"• {c}" for c in playbook_commands(inv)]
    inv.say("help_member", lines="\n".join(member))
    if inv.community is None:
        inv.say("help_start", line=text("line_setup", inv.locale))
    elif inv.facilitates:
        keys = ("line_setup", "line_facilitator", "line_rituals_admin", "line_rituals_set")
        lines = [text(k, inv.locale) for k in keys]
        if scheduled := scheduled_names(inv.playbooks):
            lines.append(text("line_rituals_run", inv.locale, rituals=", ".join(scheduled)))
        lines.append(text("line_health", inv.locale))
        lines.append(text("line_dashboard", inv.locale))
        inv.say("help_facilitator", name=inv.community.name, lines="\n".join(lines))


async def facilitator(inv: Invocation, args: list[str]) -> None:
    """Add or remove a facilitator: only members of the workspace, and at least one of those
    always remains."""
    if len(args) != 2 or args[0] not in ("add", "remove"):
        raise Usage()
    who = person(args[1])
    if who is None:
        raise Usage(text("bad_person", inv.locale, value=args[1]))
    community = inv.require_facilitator()
    people = list(community.facilitators)
    if args[0] == "add":
        if who not in people:
            if await strangers_among(inv, [who]):
                raise Refused(text("not_member", inv.locale, who=who))
            if len(people) >= PEOPLE_LIMIT:
                raise Refused(text("too_many_facilitators", inv.locale, limit=PEOPLE_LIMIT))
            community.facilitators = [*people, who]
        inv.say("facilitator_added", who=who, name=community.name)
        return
    remaining = [p for p in people if p != who]
    if not remaining:
        raise Refused(text("last_facilitator", inv.locale))
    if len(await strangers_among(inv, remaining)) == len(remaining):
        raise Refused(text("last_member_facilitator", inv.locale))
    community.facilitators = remaining
    inv.say("facilitator_removed", who=who, name=community.name)


async def rituals(inv: Invocation, args: list[str]) -> None:
    if args == ["list"] or not args:
        community = inv.require_community()
        assert community.id is not None
        on = set(await inv.tx.directory.enabled_playbooks(community.id))
        lines = []
        for name in sorted(inv.playbooks):
            key = "ritual_line_on" if name in on else "ritual_line_off"
            line = text(key, inv.locale, ritual=name, title=title(inv, name))
            if await inv.tx.directory.playbook_settings(community.id, name):
                line += text("ritual_customised", inv.locale)
            lines.append(line)
        inv.say("rituals_list", name=community.name, lines="\n".join(lines))
    elif len(args) == 2 and args[0] in ("enable", "disable"):
        name = ritual(inv, args[1])
        community = inv.require_facilitator()
        assert community.id is not None
        enable = args[0] == "enable"
        await inv.tx.directory.set_playbook(community.id, name, enable, inv.now)
        if not enable:  # runs under way stop too: nothing more is sent for it
            await inv.tx.runs.finish_active(community.id, name, inv.now)
        key = "ritual_enabled" if enable else "ritual_disabled"
        inv.say(key, title=title(inv, name), name=community.name)
    elif len(args) >= 3 and args[0] == "set":
        await _customise(inv, ritual(inv, args[1]), args[2:])
    elif len(args) == 2 and args[0] == "run":
        await run_ritual(inv, args[1])
    elif len(args) == 2 and args[0] == "reset":
        name = ritual(inv, args[1])
        community = inv.require_facilitator()
        assert community.id is not None
        await inv.tx.directory.set_playbook_settings(community.id, name, {}, inv.now)
        inv.say("ritual_reset", title=title(inv, name), name=community.name)
    else:
        raise Usage()


async def _customise(inv: Invocation, name: str, pairs: list[str]) -> None:
    """``rituals set``: this community's own schedule, digest time, waits or step texts,
    validated like a playbook file — texts rendered with hostile answers — before anything is
    stored."""
    community = inv.require_facilitator()
    assert community.id is not None
    stored = await inv.tx.directory.playbook_settings(community.id, name)
    try:
        settings = with_pairs(stored, pairs)
    except UnknownSetting as problem:
        raise Usage(text("bad_override_key", inv.locale, setting=problem.key)) from problem
    except TooManySettings as problem:
        raise Usage(text("too_many_overrides", inv.locale, most=MAX_PAIRS)) from problem
    # rendering is bounded by its budget; off the event loop and outside the transaction all
    # the same, so that other events (every workspace's, on SQLite) go on meanwhile
    context = community_context(community)
    inputs = json.dumps([name, settings, dataclasses.asdict(context)], sort_keys=True, default=str)
    trial = functools.partial(_refusal, inv.playbooks[name], settings, context)
    refused = inv.outside(f"rituals set:{inputs}", trial)
    if refused is BUSY:
        raise Usage(text("trial_busy", inv.locale))
    if refused is not None:
        raise Usage(str(refused))
    await inv.tx.directory.set_playbook_settings(community.id, name, settings, inv.now)
    fields = ", ".join(pair.partition("=")[0] for pair in pairs)
    inv.say("ritual_set", title=title(inv, name), name=community.name, fields=fields)


#: the machine could not even start trying the settings (nothing is known about them)
BUSY = "busy"


def _refusal(
    playbook: Playbook, settings: Mapping[str, Any], community: CommunityContext
) -> str | None:
    """Why ``settings`` cannot be stored for ``playbook`` (None: they can): tried in a process
    of its own, killed when a text takes too long or too much memory."""
    try:
        return isolated(settings_refusal, playbook, settings, community)
    except RenderError as problem:
        return str(problem)
    except TrialNotStarted:
        return BUSY


async def checkin(inv: Invocation, args: list[str]) -> None:
    """``checkin now``: the alias of ``rituals run checkin``."""
    if args != ["now"]:
        raise Usage()
    await run_ritual(inv, "checkin")


async def optout(inv: Invocation, args: list[str]) -> None:
    await _opt(inv, args, out=True)


async def optin(inv: Invocation, args: list[str]) -> None:
    await _opt(inv, args, out=False)


async def _opt(inv: Invocation, args: list[str], *, out: bool) -> None:
    if len(args) != 1:
        raise Usage()
    target = args[0]
    set_opted(inv.member, target if target == ALL else ritual(inv, target), out)
    inv.replies.append(opted_text(target, out, inv.locale, inv.playbooks))


def opted_text(target: str, out: bool, locale: str, playbooks: Mapping[str, Playbook]) -> str:
    """What a member who stopped (``out``) or resumed ``target`` — a ritual or all — is told."""
    if target == "all":
        what = text("all_rituals" if out else "all_rituals_again", locale)
    else:
        what = playbooks[target].title.get(locale) if target in playbooks else target
    return text("opted_out" if out else "opted_in", locale, what=what, target=target)


async def snooze(inv: Invocation, args: list[str]) -> None:
    if len(args) != 1:
        raise Usage()
    if args[0] == "off":
        inv.member.snoozed_until = None
        inv.say("unsnoozed")
        return
    try:
        length = parse_duration(args[0], MAX_SNOOZE)
    except ValueError as problem:
        raise Usage(text("bad_duration", inv.locale)) from problem
    inv.member.snoozed_until = inv.now + length
    zone = calendar_zone(inv.member.timezone, inv.community.timezone if inv.community else "UTC")
    until = inv.member.snoozed_until.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    inv.say("snoozed", until=until)


async def language(inv: Invocation, args: list[str]) -> None:
    chosen = normalize_locale(args[0]) if len(args) == 1 else None
    if chosen is None:
        raise Usage()
    inv.member.language = chosen
    inv.say("language_set")


BUILT_IN: Mapping[str, Handler] = {
    "help": help_,
    "community": community,
    "facilitator": facilitator,
    "rituals": rituals,
    "checkin": checkin,
    "kudos": kudos,
    "leaderboard": leaderboard,
    "expert": expert,
    "optout": optout,
    "optin": optin,
    "snooze": snooze,
    "language": language,
    "health": health,
    "dashboard": dashboard,
}


#: Commands whose words are free text, read as typed (a reason's quotes and apostrophes are
#: the member's, not the command's syntax).
AS_TYPED = frozenset({"kudos"})


def playbook_commands(inv: Invocation) -> list[str]:
    return sorted(
        {p.trigger.command for p in inv.playbooks.values() if isinstance(p.trigger, CommandTrigger)}
    )


def split_args(event: CommandInvoked) -> list[str]:
    """The words after the command; quotes group words (``name="Data & AI"``). Raises
    ArgumentError for an unclosed quote or a text too long (see bot.runtime.arguments)."""
    return split_words(" ".join(event.args))


async def answer(inv: Invocation) -> str:
    """Run the command and return its private answer (an unknown one lists those that exist).
    A text too long to be a command is refused unread (nor echoed)."""
    try:
        check_length(" ".join((inv.event.name, *inv.event.args)))
    except ArgumentError as problem:
        inv.say(problem.key, **problem.values)
        return "\n".join(inv.replies)
    name = inv.event.name
    handler = BUILT_IN.get(name)
    if handler is None:
        listed = ", ".join(["help", *playbook_commands(inv)])
        inv.say("unknown_command", asked=inv.event.name, commands=listed)
        return "\n".join(inv.replies)
    try:
        try:
            args = list(inv.event.args) if name in AS_TYPED else split_args(inv.event)
        except ArgumentError as problem:
            raise Usage(text(problem.key, inv.locale, **problem.values)) from problem
        await handler(inv, args)
    except Usage as problem:
        if inv.submitted is not None:  # a form: what to fix, not how to type the command
            inv.say("setup_not_applied")
        if problem.problem:
            inv.replies.append(problem.problem)
        if inv.submitted is None:
            inv.say("usage", line=text(f"usage_{inv.event.name}", inv.locale))
    except Refused as refusal:
        inv.replies.append(str(refusal))
    return "\n".join(inv.replies)


async def reply(inv: Invocation) -> act.Action:
    """The command's private answer: a form to fill in, else text where it was invoked — or by
    DM after a form, whose submission comes with no place to answer."""
    said = await answer(inv)
    if inv.form is not None:
        return inv.form
    if inv.submitted is not None:
        return act.SendDirectMessage(user_id=inv.member.user_id, text=said)
    return act.RespondPrivately(
        user_id=inv.member.user_id,
        channel=inv.event.channel,
        text=said,
        reply_to=inv.event.reply_to,
    )
