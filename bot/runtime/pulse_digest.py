"""The weekly health digest (issue 11 §3) by DM to a community's facilitators: on Monday at the
start of the community's working hours (its first working day when Monday is off; a digest the
bot missed goes out at its next working moment that week), this week's figures against the
target, the active share week by week with its trend, the warnings, and what changed since the
last digest. Once per week and community, whatever the processes (a claim committed with the
messages). Group figures over fewer than 5 people are withheld with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.runtime.context import resolve_locale
from bot.runtime.digest_connections import connection_figures, connection_lines
from bot.runtime.indicators import Indicators
from bot.runtime.pulse_alerts import week_of
from bot.runtime.pulse_render import trend
from bot.runtime.pulse_warnings import PulseWarning, describe
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from playbooks.calendar import Calendar
from storage.store import Transaction
from storage.tables import Community, Workspace

DIGEST = "digest"


def digest_week(calendar: Calendar, now: datetime) -> str | None:
    """The ISO week (community time) whose digest is due at ``now``: from the first working
    moment of the week on, during working hours; None otherwise."""
    if calendar.next_open(now) != now:
        return None  # outside working hours
    local = now.astimezone(calendar.tz)
    monday = datetime.combine(
        local.date() - timedelta(days=local.weekday()), datetime.min.time(), calendar.tz
    )
    first = calendar.next_open(monday)
    if now < first or week_of(first.astimezone(calendar.tz)) != week_of(local):
        return None
    return week_of(local)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _snapshot(figures: dict[str, Any], found: Sequence[PulseWarning]) -> dict[str, Any]:
    """What the next digest compares with: group figures and warning kinds, nobody's own."""
    return {
        "members": figures["members"],
        "active_28d_pct": figures.get("active_28d_pct"),
        "contributors_28d_pct": figures.get("contributors_28d_pct"),
        "warnings": sorted({w.kind for w in found}),
    }


async def digest_messages(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    report: Indicators,
    found: Sequence[PulseWarning],
    week: str,
    now: datetime,
) -> list[act.Action]:
    """The digest for ``week``, one DM per facilitator; none when it went out already."""
    assert community.id is not None and workspace.id is not None
    before = await tx.pulse_notices.last(community.id, DIGEST)
    previous = dict(before.detail) if before is not None else None  # before the claim rewrites it
    snapshot = _snapshot(report.figures, found)
    if not await tx.pulse_notices.claim(community.id, DIGEST, week, now, detail=snapshot):
        return []
    out: list[act.Action] = []
    connections = await connection_figures(tx, community, now)
    for facilitator in community.facilitators:
        reader = await tx.directory.member(workspace.id, facilitator)
        locale = resolve_locale(reader, community, workspace)
        said = render(community, report, found, previous, snapshot, week, locale)
        said = "\n".join([said, *connection_lines(connections, locale)])
        out.append(act.SendDirectMessage(user_id=facilitator, text=said))
    return out


def render(
    community: Community,
    report: Indicators,
    found: Sequence[PulseWarning],
    previous: dict[str, Any] | None,
    now: dict[str, Any],
    week: str,
    locale: str,
) -> str:
    f = report.figures
    withheld = text("health_withheld", locale, reason=text("health_fewer", locale))

    def share(name: str) -> str:
        if f.get(name) is None:
            return withheld
        return text("health_share", locale, count=f[name], pct=_pct(f[f"{name}_pct"]))

    lines = [text("digest_title", locale, name=community.name, week=week)]
    gap = f.get("gap_points")
    if gap is None:
        target = text("health_target", locale, target=f["target_engagement_pct"])
    else:
        key = "health_below" if gap > 0 else "health_above" if gap < 0 else "health_on_target"
        target = text(key, locale, target=f["target_engagement_pct"], gap=_pct(abs(gap)))
    lines.append(
        text("health_members", locale, members=f["members"], active=share("active_28d"))
        + f" — {target}"
    )
    lines.append(
        text("health_activity", locale, week=share("active_7d"),
             contributors=share("contributors_28d"))
    )  # fmt: skip
    questions = f.get("questions_28d")
    if questions is None:
        lines.append(text("health_questions_withheld", locale, withheld=withheld))
    else:
        lines.append(
            text(
                "health_questions",
                locale,
                asked=questions["asked"],
                answered=questions["answered"],
                pct=_pct(questions["answered_pct"]),
                waiting=questions["unanswered_over_48h"],
            )
        )
    lines.append(text("digest_weeks", locale))
    weeks = f.get("weeks", [])
    for index, row in enumerate(weeks):
        arrow = trend(weeks[index - 1]["active_pct"], row["active_pct"]) if index else ""
        if row["active_pct"] is None:
            lines.append(text("digest_week_withheld", locale, week=row["week"], withheld=withheld))
            continue
        lines.append(
            text(
                "digest_week",
                locale,
                week=row["week"],
                active=_pct(row["active_pct"]),
                contributors=_pct(row["contributors_pct"]),
                answered=_pct(row["answered_pct"]),
                arrow=arrow,
            ).rstrip()
        )
    lines += _changes(locale, weeks, previous, now)
    if found:
        lines.append(text("health_warnings", locale))
        lines += ["⚠ " + describe(warning, locale) for warning in found]
    else:
        lines.append(text("health_no_warning", locale))
    return "\n".join(lines)


def _changes(
    locale: str, weeks: list[dict[str, Any]], previous: dict[str, Any] | None, now: dict[str, Any]
) -> list[str]:
    lines = [text("digest_changed", locale)]
    if len(weeks) >= 2 and None not in (weeks[-2]["active_pct"], weeks[-1]["active_pct"]):
        a, b = weeks[-2]["active_pct"], weeks[-1]["active_pct"]
        lines.append(
            text("digest_change_active", locale, before=_pct(a), now=_pct(b),
                 points=f"{b - a:+.1f}", arrow=trend(a, b))
        )  # fmt: skip
    if previous is None:
        lines.append(text("digest_first", locale))
        return lines
    compared = len(lines)
    if previous.get("members") != now["members"]:
        lines.append(
            text("digest_change_members", locale, before=previous.get("members"),
                 now=now["members"])
        )  # fmt: skip
    was, is_ = set(previous.get("warnings", [])), set(now["warnings"])
    for key, kinds in (("digest_new_warning", is_ - was), ("digest_gone_warning", was - is_)):
        for kind in sorted(kinds):
            lines.append(text(key, locale, what=text(f"kind_{kind}", locale)))
    if len(lines) == compared:
        lines.append(text("digest_no_change", locale))
    return lines
