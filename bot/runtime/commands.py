"""The built-in ``/animateur`` commands (the same words on every platform).

Each command answers privately, in the member's language. A command used wrongly answers with its
usage line; one a member may not use says who can. Playbooks may add commands of their own
(``trigger: {on: command}``); built-ins are tried first.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.runtime.context import normalize_locale, resolve_locale
from bot.runtime.texts import DEFAULT_CHARTER, text
from bot.vocabulary import actions as act
from bot.vocabulary.events import CommandInvoked, FormSubmitted
from playbooks.durations import parse_duration
from playbooks.schema import CommandTrigger, Playbook
from storage.store import Transaction
from storage.tables import Community, Member, Workspace

MAX_SNOOZE = timedelta(weeks=26)
#: ``<@U123>`` / ``<@U123|name>`` (Slack mentions), or a bare platform user id.
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$|^@?((?:U|W)[A-Z0-9]{2,}|29:[\w-]+|U-[\w.-]+)$")
SETUP_FIELDS = (
    "name",
    "objective",
    "charter",
    "facilitators",
    "sponsors",
    "target",
    "timezone",
    "locale",
    "rituals",
)
#: The setup form's fields: its hint's text key ("" for none), and whether it is long text.
_FORM_FIELDS: Mapping[str, tuple[str, bool]] = {
    "name": ("", False),
    "objective": ("", True),
    "charter": ("", True),
    "facilitators": ("setup_hint_people", False),
    "sponsors": ("setup_hint_people", False),
    "target": ("setup_hint_target", False),
    "timezone": ("setup_hint_timezone", False),
    "locale": ("setup_hint_locale", False),
    "rituals": ("setup_hint_rituals", False),
}
#: The callback of a setup form: ``setup:<channel>``.
SETUP_PREFIX = "setup:"
NAME_LIMIT = 200


class Usage(Exception):
    """The command was used wrongly: answer with its usage line (and why, if known)."""

    def __init__(self, problem: str = "") -> None:
        super().__init__(problem)
        self.problem = problem


class Refused(Exception):
    """The member may not do this here; the message says why."""


@dataclass
class Invocation:
    tx: Transaction
    workspace: Workspace
    member: Member
    community: Community | None
    event: CommandInvoked
    now: datetime
    playbooks: Mapping[str, Playbook]
    #: the values of a submitted form, when the command came as one (``community setup``)
    submitted: Mapping[str, str] | None = None
    replies: list[str] = field(default_factory=list)
    #: a form to offer instead of a text reply
    form: act.OpenForm | None = None

    @property
    def locale(self) -> str:
        return resolve_locale(self.member, self.community, self.workspace)

    def say(self, key: str, **values: object) -> None:
        self.replies.append(text(key, self.locale, **values))

    @property
    def facilitates(self) -> bool:
        return self.community is not None and self.member.user_id in self.community.facilitators

    def require_community(self) -> Community:
        if self.community is None:
            raise Refused(
                text("needs_community", self.locale, hint=text("line_setup", self.locale))
            )
        return self.community

    def require_facilitator(self) -> Community:
        community = self.require_community()
        if not self.facilitates:
            people = ", ".join(community.facilitators) or text("none", self.locale)
            raise Refused(
                text("not_facilitator", self.locale, name=community.name, facilitators=people)
            )
        return community


Handler = Callable[[Invocation, list[str]], Awaitable[None]]


def _person(value: str) -> str | None:
    found = _MENTION.match(value.strip())
    return (found.group(1) or found.group(2)) if found else None


def _ritual(inv: Invocation, name: str) -> str:
    if name not in inv.playbooks:
        known = ", ".join(sorted(inv.playbooks))
        raise Usage(text("bad_ritual", inv.locale, name=name, known=known))
    return name


def _title(inv: Invocation, name: str) -> str:
    return inv.playbooks[name].title.get(inv.locale)


# -- commands -------------------------------------------------------------------------------


async def help_(inv: Invocation, args: list[str]) -> None:
    member = [text(k, inv.locale) for k in ("line_help", "line_community", "line_rituals")]
    member += [text(k, inv.locale) for k in ("line_optout", "line_snooze", "line_language")]
    member += [f"• {c}" for c in playbook_commands(inv)]
    inv.say("help_member", lines="\n".join(member))
    if inv.community is None:
        inv.say("help_start", line=text("line_setup", inv.locale))
    elif inv.facilitates:
        lines = [
            text(k, inv.locale) for k in ("line_setup", "line_facilitator", "line_rituals_admin")
        ]
        inv.say("help_facilitator", name=inv.community.name, lines="\n".join(lines))


async def community(inv: Invocation, args: list[str]) -> None:
    if args[:1] == ["show"] and len(args) == 1:
        c = inv.require_community()
        assert c.id is not None
        on = await inv.tx.directory.enabled_playbooks(c.id)
        none = text("none", inv.locale)
        inv.say(
            "community_show",
            name=c.name,
            objective=c.objective or text("not_set", inv.locale),
            charter=c.charter or text("not_set", inv.locale),
            facilitators=", ".join(c.facilitators) or none,
            sponsors=", ".join(c.sponsors) or none,
            target=c.target_engagement,
            timezone=c.timezone,
            language=c.locale or inv.workspace.locale,
            rituals=", ".join(on) or none,
        )
    elif args[:1] == ["setup"] and len(args) > 1:
        await _setup(inv, _pairs(inv, args[1:]))
    elif args == ["setup"] and inv.submitted is not None:
        await _setup(inv, await _changed(inv, inv.submitted))
    elif args == ["setup"]:
        inv.form = await _setup_form(inv)
    else:
        raise Usage()


def _pairs(inv: Invocation, pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in SETUP_FIELDS:
            known = ", ".join(SETUP_FIELDS)
            raise Usage(text("bad_field", inv.locale, name=key, known=known))
        values[key] = value
    return values


async def _current_setup(inv: Invocation) -> dict[str, str]:
    """The community's settings as the setup form shows them; defaults for a new one."""
    c = inv.community
    if c is None:
        return {
            "facilitators": inv.member.user_id,
            "charter": DEFAULT_CHARTER.get(inv.locale, DEFAULT_CHARTER["en"]),
            "target": str(Community.model_fields["target_engagement"].default),
            "timezone": inv.member.timezone or str(Community.model_fields["timezone"].default),
            "locale": inv.locale,
            "rituals": "welcome" if "welcome" in inv.playbooks else "",
        }
    assert c.id is not None
    return {
        "name": c.name,
        "objective": c.objective,
        "charter": c.charter,
        "facilitators": ", ".join(c.facilitators),
        "sponsors": ", ".join(c.sponsors),
        "target": str(c.target_engagement),
        "timezone": c.timezone,
        "locale": c.locale or normalize_locale(inv.workspace.locale) or inv.locale,
        "rituals": ", ".join(await inv.tx.directory.enabled_playbooks(c.id)),
    }


async def _setup_form(inv: Invocation) -> act.OpenForm:
    """The form ``community setup`` opens, prefilled: to anyone on a channel that is no
    community yet, to its facilitators only afterwards."""
    if inv.community is not None:
        inv.require_facilitator()
    current = await _current_setup(inv)
    known = ", ".join(sorted(inv.playbooks))
    fields = tuple(
        act.FormField(
            name,
            text(f"setup_field_{name}", inv.locale),
            current.get(name, ""),
            multiline=long,
            hint=text(hint, inv.locale, known=known) if hint else "",
        )
        for name, (hint, long) in _FORM_FIELDS.items()
    )
    intro = (
        text("setup_form_edit", inv.locale, name=inv.community.name)
        if inv.community
        else text("setup_form_new", inv.locale)
    )
    return act.OpenForm(
        user_id=inv.member.user_id,
        channel=inv.event.channel,
        title=text("setup_form_title", inv.locale),
        text=intro,
        callback=f"{SETUP_PREFIX}{inv.event.channel}",
        fields=fields,
        submit_label=text("setup_form_submit", inv.locale),
        open_label=text("setup_form_open", inv.locale),
        reply_to=inv.event.reply_to,
    )


async def _changed(inv: Invocation, submitted: Mapping[str, str]) -> dict[str, str]:
    """What a submitted form changes: on an existing community, the fields whose value differs
    from what the form showed (a new one takes every value given)."""
    values = {k: v for k, v in submitted.items() if k in SETUP_FIELDS}
    if inv.community is None:
        return values
    inv.require_facilitator()  # before telling anything about the values
    current = await _current_setup(inv)
    return {k: v for k, v in values.items() if v.strip() != current.get(k, "").strip()}


async def _setup(inv: Invocation, values: Mapping[str, str]) -> None:
    """Apply settings (empty ones leave theirs unchanged): all of them, or none if one is
    wrong. Anyone declares a channel that is no community yet; facilitators change it."""
    if inv.community is not None:
        inv.require_facilitator()
    checked = _checked_setup(inv, values)
    created = inv.community is None
    if created:
        assert inv.workspace.id is not None
        locale = checked.get("locale") or resolve_locale(inv.member, None, inv.workspace)
        community = await inv.tx.directory.add_community(
            Community(
                workspace_id=inv.workspace.id,
                channel_id=inv.event.channel,
                name=str(checked.get("name") or inv.event.channel),
                charter=DEFAULT_CHARTER[locale if locale in DEFAULT_CHARTER else "en"],
                facilitators=[inv.member.user_id],
                created_at=inv.now,
            )
        )
        inv.community = community
        checked.setdefault("rituals", ["welcome"] if "welcome" in inv.playbooks else [])
    community = inv.require_facilitator()
    assert community.id is not None
    for key, setting in checked.items():
        if key == "rituals":
            assert isinstance(setting, list)
            await _set_rituals(inv, community.id, setting)
        elif key == "target":
            community.target_engagement = int(str(setting))
        else:
            setattr(community, key, setting)
    if created:
        on = await inv.tx.directory.enabled_playbooks(community.id)
        inv.say("community_created", name=community.name, rituals=", ".join(on) or "—")
    elif checked:
        inv.say("community_updated", name=community.name, fields=", ".join(checked))
    else:
        inv.say("community_unchanged", name=community.name)


async def _set_rituals(inv: Invocation, community_id: int, names: list[str]) -> None:
    """Switch ``names`` on; from a form, which lists the rituals on, switch the others off."""
    off: set[str] = set()
    if inv.submitted is not None:
        off = set(await inv.tx.directory.enabled_playbooks(community_id)) - set(names)
    for ritual in [*names, *sorted(off)]:
        await inv.tx.directory.set_playbook(community_id, ritual, ritual not in off, inv.now)


def _people(inv: Invocation, value: str) -> list[str | None]:
    """The people ``value`` names (None for a word that names nobody); the member and the
    facilitators are recognised whatever their platform's ids look like."""
    known = {inv.member.user_id, *(inv.community.facilitators if inv.community else ())}
    return [v if v in known else _person(v) for v in value.replace(" ", ",").split(",") if v]


def _checked_setup(inv: Invocation, values: Mapping[str, str]) -> dict[str, object]:
    """The settings ``values`` give, checked; an empty value is no setting (left unchanged).
    Raises Usage with every problem found."""
    checked: dict[str, object] = {}
    problems: list[str] = []
    for key, raw in values.items():
        value, problem = raw.strip(), ""
        if not value:
            continue
        if key == "name" and len(value) > NAME_LIMIT:
            problem = text("bad_name", inv.locale)
        elif key == "target":
            if value.isdigit() and 0 <= int(value) <= 100:
                checked[key] = int(value)
            else:
                problem = text("bad_target", inv.locale)
        elif key == "timezone":
            try:
                ZoneInfo(value)
                checked[key] = value
            except (ZoneInfoNotFoundError, ValueError):
                problem = text("bad_timezone", inv.locale)
        elif key == "locale":
            locale = normalize_locale(value)
            if locale:
                checked[key] = locale
            else:
                problem = text("bad_locale", inv.locale)
        elif key == "rituals":
            names = [n for n in value.replace(" ", ",").split(",") if n]
            unknown = [n for n in names if n not in inv.playbooks]
            if unknown:
                known = ", ".join(sorted(inv.playbooks))
                problem = text("bad_ritual", inv.locale, name=unknown[0], known=known)
            checked[key] = names
        elif key in ("sponsors", "facilitators"):
            people = _people(inv, value)
            if None in people:
                problem = text("bad_person", inv.locale, value=value)
            elif not people:
                problem = text("bad_facilitators", inv.locale)
            checked[key] = [p for p in people if p]
        else:
            checked[key] = value
        if problem:
            problems.append(text("bad_value", inv.locale, field=key, problem=problem))
    if problems:
        raise Usage("\n".join(problems))
    return checked


async def facilitator(inv: Invocation, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ("add", "remove"):
        raise Usage()
    who = _person(args[1])
    if who is None:
        raise Usage(text("bad_person", inv.locale, value=args[1]))
    community = inv.require_facilitator()
    people = list(community.facilitators)
    if args[0] == "add":
        if who not in people:
            community.facilitators = [*people, who]
        inv.say("facilitator_added", who=who, name=community.name)
        return
    if people == [who]:
        raise Refused(text("last_facilitator", inv.locale))
    community.facilitators = [p for p in people if p != who]
    inv.say("facilitator_removed", who=who, name=community.name)


async def rituals(inv: Invocation, args: list[str]) -> None:
    if args == ["list"] or not args:
        community = inv.require_community()
        assert community.id is not None
        on = set(await inv.tx.directory.enabled_playbooks(community.id))
        lines = [
            text(
                "ritual_line_on" if name in on else "ritual_line_off",
                inv.locale,
                ritual=name,
                title=_title(inv, name),
            )
            for name in sorted(inv.playbooks)
        ]
        inv.say("rituals_list", name=community.name, lines="\n".join(lines))
    elif len(args) == 2 and args[0] in ("enable", "disable"):
        name = _ritual(inv, args[1])
        community = inv.require_facilitator()
        assert community.id is not None
        enable = args[0] == "enable"
        await inv.tx.directory.set_playbook(community.id, name, enable, inv.now)
        key = "ritual_enabled" if enable else "ritual_disabled"
        inv.say(key, title=_title(inv, name), name=community.name)
    else:
        raise Usage()


async def optout(inv: Invocation, args: list[str]) -> None:
    await _opt(inv, args, out=True)


async def optin(inv: Invocation, args: list[str]) -> None:
    await _opt(inv, args, out=False)


async def _opt(inv: Invocation, args: list[str], *, out: bool) -> None:
    if len(args) != 1:
        raise Usage()
    target = args[0]
    if target == "all":
        inv.member.opted_out_all = out
    else:
        name = _ritual(inv, target)
        chosen = set(inv.member.opted_out)
        inv.member.opted_out = sorted(chosen | {name} if out else chosen - {name})
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
        length = parse_duration(args[0])
    except ValueError:
        length = None
    if length is None or length > MAX_SNOOZE:
        raise Usage(text("bad_duration", inv.locale))
    inv.member.snoozed_until = inv.now + length
    zone = ZoneInfo(inv.member.timezone or (inv.community.timezone if inv.community else "UTC"))
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
    "optout": optout,
    "optin": optin,
    "snooze": snooze,
    "language": language,
}


def playbook_commands(inv: Invocation) -> list[str]:
    return sorted(
        {p.trigger.command for p in inv.playbooks.values() if isinstance(p.trigger, CommandTrigger)}
    )


def split_args(event: CommandInvoked) -> list[str]:
    """The words after the command; quotes group words (``name="Data & AI"``)."""
    try:
        return shlex.split(" ".join(event.args))
    except ValueError:  # an unbalanced quote: take the words as they come
        return list(event.args)


async def answer(inv: Invocation) -> str:
    """Run the command and return its private answer (an unknown one lists those that exist)."""
    handler = BUILT_IN.get(inv.event.name)
    if handler is None:
        listed = ", ".join(["help", *playbook_commands(inv)])
        inv.say("unknown_command", asked=inv.event.name, commands=listed)
        return "\n".join(inv.replies)
    try:
        await handler(inv, split_args(inv.event))
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


def setup_command(event: FormSubmitted) -> CommandInvoked:
    """A submitted setup form is ``community setup`` in its channel, with the form's values."""
    return CommandInvoked(
        workspace=event.workspace,
        key=event.key,
        occurred_at=event.occurred_at,
        channel=event.callback.removeprefix(SETUP_PREFIX),
        member=event.member,
        name="community",
        args=("setup",),
    )
