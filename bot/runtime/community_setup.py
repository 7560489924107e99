"""``community show`` and ``community setup``: a community's purpose, charter, people, target,
timezone, working time and rituals — as ``key="value"`` words or as a form."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import date

from bot.runtime.context import normalize_locale, resolve_locale
from bot.runtime.governance import PlatformQuestions, Question
from bot.runtime.invocation import Invocation, OpenedFor, Refused, Usage, person
from bot.runtime.texts import DEFAULT_CHARTER, text
from bot.vocabulary import actions as act
from bot.vocabulary.events import CommandInvoked, FormSubmitted
from bot.vocabulary.ports import PlatformUnavailable
from playbooks.calendar import DEFAULT_DAYS, parse_hours, valid_zone
from playbooks.weekdays import LIMIT as DAYS_LIMIT
from playbooks.weekdays import BadDays, format_days, parse_days
from storage.tables import Community

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
    "working_hours",
    "working_days",
    "holidays",
    "resources",
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
    "working_hours": ("setup_hint_hours", False),
    "working_days": ("setup_hint_days", False),
    "holidays": ("setup_hint_holidays", False),
    "resources": ("", True),
}
#: The callback of a setup form: ``setup:<community id>.<version>:<channel>`` (id 0: a channel
#: that was no community when the form was opened).
SETUP_PREFIX = "setup:"
_BOUND = re.compile(r"^(\d{1,18})\.(\d{1,18}):(.+)$", re.DOTALL)
#: Most characters a text setting keeps (forms' inputs hold 3,000 on Slack and Teams).
TEXT_LIMITS: Mapping[str, int] = {
    "name": 200,
    "objective": 1000,
    "charter": 3000,
    "resources": 2000,
    "timezone": 64,
    "working_hours": 16,
    "working_days": DAYS_LIMIT,
}
NAME_LIMIT = TEXT_LIMITS["name"]
#: Most people named as facilitators or as sponsors, and most holidays.
PEOPLE_LIMIT = 20
HOLIDAYS_LIMIT = 100
#: A platform user id longer than this is no id.
ID_LIMIT = 100

log = logging.getLogger(__name__)


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
            hours=c.working_hours,
            days=format_days(c.working_days, inv.locale),
            holidays=", ".join(c.holidays) or none,
            resources=c.resources or text("not_set", inv.locale),
            rituals=", ".join(on) or none,
        )
    elif args[:1] == ["setup"] and len(args) > 1:
        await _setup(inv, _pairs(inv, args[1:]))
    elif args == ["setup"] and inv.submitted is not None:
        if inv.community is not None:
            inv.require_facilitator()  # before telling anything about the form
            assert inv.community.id is not None  # its version checked and changed atomically:
            inv.community = await inv.tx.directory.lock_community(inv.community.id)
        _check_opened_for(inv)
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
            "working_hours": str(Community.model_fields["working_hours"].default),
            "working_days": format_days(DEFAULT_DAYS, inv.locale),
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
        "working_hours": c.working_hours,
        "working_days": format_days(c.working_days, inv.locale),
        "holidays": ", ".join(c.holidays),
        "resources": c.resources,
    }


async def _setup_form(inv: Invocation) -> act.OpenForm:
    """The form ``community setup`` opens, prefilled: to anyone on a channel that is no
    community yet, to its facilitators only afterwards."""
    if inv.community is not None:
        inv.require_facilitator()
    else:
        _may_declare(inv)
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
        callback=setup_callback(inv),
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
    questions: list[Question] = []  # asked of the platform together, in one round
    if created:
        try:
            _may_declare(inv)
        except PlatformQuestions as raised:
            questions.extend(raised.questions)
    try:
        await _members_only(inv, checked)
    except PlatformQuestions as raised:
        questions.extend(raised.questions)
    if questions:
        raise PlatformQuestions(questions)
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
    for ritual in sorted(off):
        await inv.tx.runs.finish_active(community_id, ritual, inv.now)


def _people(inv: Invocation, value: str) -> list[str | None]:
    """The people ``value`` names (None for a word that names nobody); the member and the
    facilitators are recognised whatever their platform's ids look like."""
    known = {inv.member.user_id, *(inv.community.facilitators if inv.community else ())}
    words = [v for v in value.replace(" ", ",").split(",") if v]
    return [v if v in known else person(v) if len(v) <= ID_LIMIT else None for v in words]


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
        elif len(value) > TEXT_LIMITS.get(key, 3000):
            problem = text("bad_length", inv.locale, limit=TEXT_LIMITS.get(key, 3000))
        elif key == "target":
            if value.isdigit() and 0 <= int(value) <= 100:
                checked[key] = int(value)
            else:
                problem = text("bad_target", inv.locale)
        elif key == "timezone":
            if valid_zone(value) is not None:
                checked[key] = value
            else:
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
        elif key == "working_hours":
            try:
                parse_hours(value)
                checked[key] = value
            except ValueError:
                problem = text("bad_hours", inv.locale)
        elif key == "working_days":
            try:
                checked[key] = parse_days(value)
            except BadDays as wrong:
                problem = text(f"bad_days_{wrong.kind}", inv.locale, value=wrong.value)
        elif key == "holidays":
            days = [d for d in value.replace(" ", ",").split(",") if d and d != "none"]
            bad = next((d for d in days if not _is_date(d)), None)
            if bad is not None:
                problem = text("bad_holidays", inv.locale, value=bad)
            elif len(set(days)) > HOLIDAYS_LIMIT:
                problem = text("bad_holidays_count", inv.locale, limit=HOLIDAYS_LIMIT)
            checked[key] = sorted(set(days))
        elif key in ("sponsors", "facilitators"):
            people = _people(inv, value)
            if None in people:
                problem = text("bad_person", inv.locale, value=value)
            elif not people:
                problem = text("bad_facilitators", inv.locale)
            elif len(set(people)) > PEOPLE_LIMIT:
                problem = text("bad_people_count", inv.locale, limit=PEOPLE_LIMIT)
            checked[key] = list(dict.fromkeys(p for p in people if p))
        else:
            checked[key] = value
        if problem:
            problems.append(text("bad_value", inv.locale, field=key, problem=problem))
    if problems:
        raise Usage("\n".join(problems))
    return checked


def _may_declare(inv: Invocation) -> None:
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


async def _members_only(inv: Invocation, checked: Mapping[str, object]) -> None:
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


def setup_callback(inv: Invocation) -> str:
    """The callback of the setup form: bound to the community and its version now."""
    c = inv.community
    bound = f"{c.id}.{c.version}" if c is not None and c.id is not None else "0.0"
    return f"{SETUP_PREFIX}{bound}:{inv.event.channel}"


def opened_for(callback: str) -> OpenedFor | None:
    """What a setup form's callback says it was opened for (None: an older form's callback)."""
    bound = _BOUND.match(callback.removeprefix(SETUP_PREFIX))
    return OpenedFor(int(bound.group(1)), int(bound.group(2))) if bound else None


def _check_opened_for(inv: Invocation) -> None:
    """Refused unless the submitted form was opened for this channel's community as it is now:
    a form for another community, or one opened before the last change, changes nothing."""
    opened, c = inv.opened_for, inv.community
    current = c.id if c is not None and c.id is not None else 0
    if opened is not None and opened.community_id not in (0, current):
        raise Refused(text("form_wrong_channel", inv.locale))
    if opened is None or opened.community_id != current or (c and opened.version != c.version):
        name = c.name if c is not None else inv.event.channel
        raise Refused(text("form_outdated", inv.locale, name=name))


def _form_channel(callback: str) -> str:
    rest = callback.removeprefix(SETUP_PREFIX)
    bound = _BOUND.match(rest)
    return bound.group(3) if bound else rest


def setup_command(event: FormSubmitted) -> CommandInvoked:
    """A submitted setup form is ``community setup`` in its channel, with the form's values."""
    return CommandInvoked(
        workspace=event.workspace,
        key=event.key,
        occurred_at=event.occurred_at,
        channel=_form_channel(event.callback),
        member=event.member,
        name="community",
        args=("setup",),
    )


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
