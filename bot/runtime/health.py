"""``/animateur health`` (facilitators): the community's pulse, privately, in the member's
language — the figures of the last 28 days, the gap to the target, the active share of the last
weeks and the most pressing warnings, each with what to do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.runtime.indicators import FEWER, Indicators, PulseData, compute
from bot.runtime.invocation import Invocation, Usage
from bot.runtime.pulse_report import read_pulse
from bot.runtime.pulse_warnings import describe, warnings
from bot.runtime.texts import text
from playbooks.calendar import zone
from storage.store import Transaction

#: Weeks of active share shown, and warnings at most.
WEEKS = 4
TOP_WARNINGS = 3


async def health(inv: Invocation, args: list[str]) -> None:
    if args:
        raise Usage()
    community = inv.require_facilitator()
    asking = {n for n, p in inv.playbooks.items() if any(s.kind == "ask" for s in p.steps)}
    assert community.id is not None
    cid, now = community.id, inv.now

    async def pulse(tx: Transaction) -> tuple[PulseData, Indicators]:
        # read afresh in its own read transaction: the event's one is rolled back meanwhile
        found = await tx.directory.community(cid)
        assert found is not None
        data = await read_pulse(tx, found, now, WEEKS, asking)
        report = compute(data, WEEKS, links=True)
        # the links to the waiting questions (a facilitator's): a platform may read what it
        # keeps to spell them, outside the write transaction too
        await inv.message_links.add_urls(inv.event.workspace, report.figures)
        return data, report

    # a long read: outside the command's write transaction (SQLite's write lock is not held)
    data, report = await inv.read_outside(f"health:{cid}:{now.isoformat()}", pulse)
    f, locale = report.figures, inv.locale
    withheld = text("health_withheld", locale, reason=_reason(locale, FEWER))

    def share(name: str) -> str:
        if f[name] is None:
            return withheld
        return text("health_share", locale, count=f[name], pct=_pct(f[f"{name}_pct"]))

    lines = [text("health_title", locale, name=community.name)]
    gap = f["gap_points"]
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
        text(
            "health_activity",
            locale,
            week=share("active_7d"),
            contributors=share("contributors_28d"),
        )
    )
    part = f["participation_28d"]
    lines.append(
        text("health_participation", locale, **part) if part else _line(locale, "part", withheld)
    )
    lines.append(_questions(locale, f["questions_28d"], withheld))
    newcomers = f["newcomers_28d"]
    if newcomers is None:
        lines.append(_line(locale, "newcomers", withheld))
    else:
        spoke = newcomers["contributed_within_14d"]
        lines.append(
            text(
                "health_newcomers",
                locale,
                joined=newcomers["joined"],
                spoke=withheld if spoke is None else spoke,
            )
        )
    timezone = zone(community.timezone)

    def day(value: str | None) -> str:
        if value is None:
            return text("health_never", locale)
        return datetime.fromisoformat(value).astimezone(timezone).strftime("%Y-%m-%d")

    lines.append(
        text(
            "health_people",
            locale,
            pairs=withheld if f["reciprocity_28d"] is None else f["reciprocity_28d"],
            sponsors=day(f["sponsors_last_active"]),
            facilitators=day(f["facilitators_last_active"]),
        )
    )
    shares = [w["active_pct"] for w in f["weeks"]]
    if any(s is not None for s in shares):
        lines.append(
            text("health_weeks", locale, weeks=" → ".join(_pct(s) if s is not None else "—"
                                                         for s in shares))
        )  # fmt: skip
    found = warnings(report, data)[:TOP_WARNINGS]
    if found:
        lines.append(text("health_warnings", locale))
        lines += ["⚠ " + describe(warning, locale) for warning in found]
    else:
        lines.append(text("health_no_warning", locale))
    inv.replies.append("\n".join(lines))


def _pct(value: float) -> str:
    return f"{value:.1f}"


def _reason(locale: str, reason: str) -> str:
    return text("health_fewer", locale) if reason == FEWER else reason


def _line(locale: str, what: str, withheld: str) -> str:
    return text(f"health_{what}_withheld", locale, withheld=withheld)


def _questions(locale: str, questions: dict[str, Any] | None, withheld: str) -> str:
    if questions is None:
        return _line(locale, "questions", withheld)
    said = text(
        "health_questions",
        locale,
        asked=questions["asked"],
        answered=questions["answered"],
        pct=_pct(questions["answered_pct"]) if questions["answered_pct"] is not None else "—",
        waiting=questions["unanswered_over_48h"],
    )
    if questions["median_first_answer_minutes"] is not None:
        said += text(
            "health_answer_time",
            locale,
            median=_pct(questions["median_first_answer_minutes"]),
            p90=_pct(questions["p90_first_answer_minutes"]),
        )
    if questions.get("solved"):  # askers said so (the experts ritual asks them)
        solved_pct = questions["solved_pct"]
        pct = _pct(solved_pct) if solved_pct is not None else "—"
        said += text("health_solved", locale, solved=questions["solved"], pct=pct)
    return said
