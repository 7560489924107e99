"""``community show`` and ``community setup``: a community's purpose, charter, people, target,
timezone, working time and rituals — as ``key="value"`` words or as a form."""

from __future__ import annotations

from collections.abc import Mapping

from bot.runtime.community_setup_form import (
    SETUP_PREFIX,
    check_opened_for,
    opened_for,
    setup_callback,
    setup_command,
)
from bot.runtime.community_setup_permissions import may_declare, members_only, strangers_among
from bot.runtime.community_setup_values import PEOPLE_LIMIT, checked_setup
from bot.runtime.context import normalize_locale, resolve_locale
from bot.runtime.governance import PlatformQuestions, Question
from bot.runtime.invocation import Invocation, Usage
from bot.runtime.texts import DEFAULT_CHARTER, text
from bot.vocabulary import actions as act
from playbooks.calendar import DEFAULT_DAYS
from playbooks.weekdays import format_days
from storage.tables import Community

#: Still importable from here: the dispatcher, the commands and kudos reach them by this path.
__all__ = [
    "PEOPLE_LIMIT",
    "SETUP_PREFIX",
    "community",
    "opened_for",
    "setup_command",
    "strangers_among",
]

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
        check_opened_for(inv)
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
        may_declare(inv)
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
    checked = checked_setup(inv, values)
    created = inv.community is None
    questions: list[Question] = []  # asked of the platform together, in one round
    if created:
        try:
            may_declare(inv)
        except PlatformQuestions as raised:
            questions.extend(raised.questions)
    try:
        await members_only(inv, checked)
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
