"""A community report as text (a table, with trend arrows week on week) or CSV (one figure per
row, dotted names). Withheld figures show as "—" with their reason, never as zero."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from bot.runtime.pulse_report import CommunityReport

NONE = "—"
UP, DOWN, SAME = "↑", "↓", "→"
#: The weeks table's columns: (figure, heading).
WEEK_COLUMNS = (
    ("members", "members"),
    ("active_pct", "active %"),
    ("contributors_pct", "contributors %"),
    ("answered_pct", "answered %"),
    ("median_first_answer_minutes", "median answer min"),
)


def _number(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _why(withheld: Mapping[str, str], name: str) -> str:
    reason = withheld.get(name)
    return f" ({reason})" if reason else ""


def trend(before: Any, now: Any) -> str:
    """↑, ↓ or → from one week to the next; nothing when either is unknown."""
    if before is None or now is None:
        return " "
    return UP if now > before else DOWN if now < before else SAME


def as_text(report: CommunityReport) -> str:
    data = report.as_json()
    w: dict[str, str] = data["withheld"]  # type: ignore[assignment]
    out = [
        f"{data['name']} — {data['workspace']} {data['community']} — at {data['at']}",
        "",
    ]

    def line(label: str, value: str) -> None:
        out.append(f"{label:<26}{value}")

    def share(name: str) -> str:
        count, pct = data[name], data[f"{name}_pct"]
        if count is None:
            return NONE + _why(w, name)
        return f"{count} ({_number(pct)} % of members)"

    line("members", _number(data["members"]))
    line("active, 7 days", share("active_7d"))
    line("active, 28 days", share("active_28d"))
    line("contributors, 28 days", share("contributors_28d"))
    part = data["participation_28d"]
    if isinstance(part, dict):
        line(
            "participation, 28 days",
            f"lurkers {part['lurkers']} · occasional {part['occasional']} · "
            f"regular {part['regular']}",
        )
    else:
        line("participation, 28 days", NONE + _why(w, "participation_28d"))
    questions = data["questions_28d"]
    if isinstance(questions, dict):
        line(
            "questions, 28 days",
            f"asked {questions['asked']} · answered {questions['answered']} "
            f"({_number(questions['answered_pct'])} %"
            + _why(w, "questions_28d.answered_pct")
            + ")",
        )
        line(
            "  first answer",
            f"median {_number(questions['median_first_answer_minutes'])} min · "
            f"p90 {_number(questions['p90_first_answer_minutes'])} min"
            + _why(w, "questions_28d.median_first_answer_minutes"),
        )
        line("  unanswered over 48 h", str(questions["unanswered_over_48h"]))
        line(
            "  solved",
            f"{questions['solved']} ({_number(questions['solved_pct'])} % of answered)"
            + _why(w, "questions_28d.solved_pct"),
        )
    else:
        line("questions, 28 days", NONE + _why(w, "questions_28d"))
    newcomers = data["newcomers_28d"]
    if isinstance(newcomers, dict):
        line(
            "newcomers, 28 days",
            f"joined {newcomers['joined']} · contributed within 14 days "
            f"{_number(newcomers['contributed_within_14d'])}"
            + _why(w, "newcomers_28d.contributed_within_14d"),
        )
    else:
        line("newcomers, 28 days", NONE + _why(w, "newcomers_28d"))
    reciprocity = data["reciprocity_28d"]
    line(
        "reciprocity, 28 days",
        f"{reciprocity} pairs" if reciprocity is not None else NONE + _why(w, "reciprocity_28d"),
    )
    recognition = data.get("recognition_28d")
    line(
        "recognition, 28 days",
        f"{recognition['kudos']} kudos · {recognition['givers']} givers · "
        f"{recognition['receivers']} receivers"
        if isinstance(recognition, dict)
        else NONE + _why(w, "recognition_28d"),
    )
    for role in ("sponsors", "facilitators"):
        name = f"{role}_last_active"
        line(f"{role} last active", str(data[name] or NONE + _why(w, name)))
    gap = data["gap_points"]
    line(
        "target engagement",
        f"{data['target_engagement_pct']} % · gap "
        + (f"{_number(gap)} points" if gap is not None else NONE + _why(w, "gap_points")),
    )
    rituals: dict[str, Any] = data["rituals"]  # type: ignore[assignment]
    for name, got in rituals.items():
        value = (
            f"{got['answered']} of {got['asked']} answered ({_number(got['response_rate_pct'])} %)"
            if got
            else NONE + _why(w, f"rituals.{name}")
        )
        line(f"ritual {name}, 28 days", value)
    links = questions.get("unanswered_links") if isinstance(questions, dict) else None
    if links:
        out += ["", "Questions unanswered for more than 48 h:"]
        out += [
            f"  {q['channel']} {q['message_id']} (asked {q['asked_at']})"
            + (f" {q['url']}" if q.get("url") else "")
            for q in links
        ]
    weeks: list[dict[str, Any]] = data["weeks"]  # type: ignore[assignment]
    if weeks:
        out += ["", "week      " + "".join(f"{h:>20}" for _, h in WEEK_COLUMNS)]
        previous: dict[str, Any] = {}
        for week in weeks:
            cells = [
                f"{_number(week[key])} {trend(previous.get(key), week[key]) if previous else ' '}"
                for key, _ in WEEK_COLUMNS
            ]
            note = _why(w, f"weeks.{week['week']}")
            out.append(f"{week['week']:<10}" + "".join(f"{c:>20}" for c in cells) + note)
            previous = week
    return "\n".join(out) + "\n"


def _rows(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _rows(f"{name}.{key}", inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = item.get("week", index) if isinstance(item, dict) else index
            yield from _rows(f"{name}.{label}", item)
    else:
        yield name, value


def as_csv(report: CommunityReport) -> str:
    """``figure,value,withheld``: one row per figure (``questions_28d.asked``,
    ``weeks.2026-W47.active_pct``), the reason where a figure is withheld."""
    data = report.as_json()
    withheld: dict[str, str] = data.pop("withheld")  # type: ignore[assignment]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["figure", "value", "withheld"])
    for name, value in _rows("", data):
        name = name.removeprefix(".")
        reason = next(
            (withheld[p] for p in _prefixes(name) if p in withheld),
            "",
        )
        writer.writerow([name, "" if value is None else _cell(value), reason])
    return buffer.getvalue()


#: What makes a spreadsheet read a cell as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A text starting like a formula (a community's name: ``=HYPERLINK(…)``) prefixed with
    ``'`` so a spreadsheet shows it as text; numbers (a negative gap) as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return f"'{value}"
    return value


def _prefixes(name: str) -> list[str]:
    """``a.b.c`` → ``a.b.c``, ``a.b``, ``a``: a figure is withheld with its group."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
