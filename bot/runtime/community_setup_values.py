"""Checking a community's settings as a member typed them (in ``community setup`` words or
in the setup form): the limits each setting keeps, and the problems found, in the member's
language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.runtime.context import normalize_locale
from bot.runtime.invocation import Invocation, Usage, person
from bot.runtime.texts import text
from playbooks.calendar import parse_hours, valid_zone
from playbooks.weekdays import LIMIT as DAYS_LIMIT
from playbooks.weekdays import BadDays, parse_days

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


def _people(inv: Invocation, value: str) -> list[str | None]:
    """The people ``value`` names (None for a word that names nobody); the member and the
    facilitators are recognised whatever their platform's ids look like."""
    known = {inv.member.user_id, *(inv.community.facilitators if inv.community else ())}
    words = [v for v in value.replace(" ", ",").split(",") if v]
    return [v if v in known else person(v) if len(v) <= ID_LIMIT else None for v in words]


def checked_setup(inv: Invocation, values: Mapping[str, str]) -> dict[str, object]:
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


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
