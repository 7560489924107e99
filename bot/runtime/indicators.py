"""The community pulse's indicators (issue 11 §2): pure functions of what the bot saw — the
members' stays, the daily rollups, the raw facts of the days a window cuts through, the
questions, the rituals' runs. No database here: ``bot.runtime.pulse_report`` reads, this
computes. Each definition, and the practice it follows, is in the README ("Community pulse").

Windows are half-open, ``[t - 28 d, t)``; days are UTC days. A window takes a day's rollup when
the whole day lies inside it, and the raw facts of a day it only cuts through.

Group figures over fewer than 5 people are withheld: ``None``, with the reason in ``withheld``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.pulse_queries import Fact, MemberDay, PairDay, Question, RitualRuns, Stay

#: A group figure needs at least this many people (fewer: withheld, never shown as zero).
MIN_GROUP = 5
FEWER = f"fewer than {MIN_GROUP}"
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
#: ``participation_28d``: a member with this many posts and replies or more is a regular.
REGULAR = 4
#: A question without an answer for this long is counted (and linked) as unanswered.
UNANSWERED_AFTER = timedelta(hours=48)
#: A newcomer contributed when they posted or replied within this of joining.
NEWCOMER_GRACE = timedelta(days=14)


def midnight(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date(), datetime.min.time(), UTC)


def day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)``."""

    start: datetime
    end: datetime

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def whole(self, day: date) -> bool:
        """The whole day lies in the window (its rollup serves)."""
        begins = day_start(day)
        return begins >= self.start and begins + DAY <= self.end

    def cut_days(self) -> list[tuple[datetime, datetime]]:
        """The days the window cuts through, whole: their raw facts are what it needs."""
        spans = []
        if self.start != midnight(self.start):
            spans.append((midnight(self.start), midnight(self.start) + DAY))
        if self.end != midnight(self.end):
            spans.append((midnight(self.end), self.end))
        return spans


def window_ending(at: datetime, length: timedelta) -> Window:
    return Window(at - length, at)


def weeks_before(at: datetime, count: int) -> list[Window]:
    """The last ``count`` whole ISO weeks (Monday 00:00 UTC) before ``at``, oldest first."""
    this_monday = midnight(at) - timedelta(days=at.astimezone(UTC).weekday())
    return [
        Window(this_monday - WEEK * k, this_monday - WEEK * (k - 1)) for k in range(count, 0, -1)
    ]


@dataclass(frozen=True, slots=True)
class PulseData:
    """What the indicators are computed from, as read at ``at``."""

    at: datetime
    stays: Sequence[Stay]
    days: Sequence[MemberDay]
    #: raw posts, replies and reactions of the days the windows cut through
    facts: Sequence[Fact]
    pairs: Sequence[PairDay]
    questions: Sequence[Question]
    #: the newcomers' own posts and replies since the first of them joined
    newcomer_facts: Sequence[Fact]
    rituals: Mapping[str, RitualRuns]
    sponsors_last_active: datetime | None
    facilitators_last_active: datetime | None
    target_engagement: int
    has_sponsors: bool = True
    has_facilitators: bool = True
    #: when the community was declared (None: long ago) — a silence is only one after that
    declared_at: datetime | None = None
    #: kudos given in the community in the last 28 days: (when, giver, receiver)
    kudos: Sequence[tuple[datetime, str, str]] = ()


@dataclass
class Indicators:
    """The figures, keyed exactly as §2 names them (JSON-ready), and why some are withheld."""

    figures: dict[str, Any] = field(default_factory=dict)
    #: figure (dotted path) → reason it is null
    withheld: dict[str, str] = field(default_factory=dict)


# -- the pieces ---------------------------------------------------------------------------


def members_at(stays: Iterable[Stay], at: datetime) -> set[str]:
    return {s.user_id for s in stays if s.member_at(at)}


def counts(data: PulseData, window: Window) -> dict[str, tuple[int, int]]:
    """Per person: (posts and replies, reactions) in the window."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in data.days:
        if window.whole(row.day):
            found[row.user_id][0] += row.posts + row.replies
            found[row.user_id][1] += row.reactions
    for fact in data.facts:
        if window.holds(fact.at) and not window.whole(fact.at.astimezone(UTC).date()):
            found[fact.user_id][0 if fact.kind != "reaction" else 1] += 1
    return {user: (c[0], c[1]) for user, c in found.items()}


def pairs(data: PulseData, window: Window) -> set[tuple[str, str]]:
    """Unordered pairs of people who interacted in the window."""
    found = {(p.member_a, p.member_b) for p in data.pairs if window.whole(p.day)}
    for fact in data.facts:
        if not window.holds(fact.at) or window.whole(fact.at.astimezone(UTC).date()):
            continue
        if fact.other and fact.user_id and fact.other != fact.user_id:
            a, b = sorted((fact.user_id, fact.other))
            found.add((a, b))
    return found


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1)


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile, interpolated between the closest ranks (as PostgreSQL's
    ``percentile_cont`` and numpy's default): the median of 1, 2, 3, 10 is 2.5."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def answered_by(question: Question, moment: datetime) -> bool:
    return question.first_answer_at is not None and question.first_answer_at < moment


def minutes_to_answer(question: Question) -> float:
    assert question.first_answer_at is not None
    return (question.first_answer_at - question.asked_at).total_seconds() / 60


# -- the report ---------------------------------------------------------------------------


def compute(data: PulseData, weeks: int, links: bool) -> Indicators:
    """Every figure of §2 at ``data.at``; the unanswered threads' links when ``links`` (for
    facilitators)."""
    out = Indicators()
    at = data.at
    members = members_at(data.stays, at)
    n = len(members)
    small = n < MIN_GROUP
    f = out.figures
    f["members"] = n

    def withhold(name: str, reason: str = FEWER) -> None:
        f[name] = None
        out.withheld[name] = reason

    last28, last7 = window_ending(at, 28 * DAY), window_ending(at, 7 * DAY)
    seen28, seen7 = counts(data, last28), counts(data, last7)
    active7 = {u for u, (c, r) in seen7.items() if u in members and c + r > 0}
    active28 = {u for u, (c, r) in seen28.items() if u in members and c + r > 0}
    contributions = {u: seen28.get(u, (0, 0))[0] for u in members}
    contributors = {u for u, c in contributions.items() if c > 0}
    for name, group in (
        ("active_7d", active7),
        ("active_28d", active28),
        ("contributors_28d", contributors),
    ):
        if small:
            withhold(name)
            withhold(f"{name}_pct")
        else:
            f[name], f[f"{name}_pct"] = len(group), percent(len(group), n)
    if small:
        withhold("participation_28d")
    else:
        f["participation_28d"] = {
            "lurkers": sum(1 for c in contributions.values() if c == 0),
            "occasional": sum(1 for c in contributions.values() if 1 <= c < REGULAR),
            "regular": sum(1 for c in contributions.values() if c >= REGULAR),
        }
    if small:
        withhold("questions_28d")
    else:
        f["questions_28d"] = _questions(data, last28, out, links)
    if small:
        withhold("newcomers_28d")
    else:
        f["newcomers_28d"] = _newcomers(data, last28, members, out)
    f["rituals"] = _rituals(data.rituals, out, small)
    if small:
        withhold("reciprocity_28d")
    else:
        f["reciprocity_28d"] = sum(
            1 for a, b in pairs(data, last28) if a in members and b in members
        )
    for role, last, has in (
        ("sponsors", data.sponsors_last_active, data.has_sponsors),
        ("facilitators", data.facilitators_last_active, data.has_facilitators),
    ):
        f[f"{role}_last_active"] = iso(last)
        if last is None:
            out.withheld[f"{role}_last_active"] = "never active" if has else f"no {role}"
    if small:
        withhold("recognition_28d")
    else:
        f["recognition_28d"] = recognition(data, last28)
    f["target_engagement_pct"] = data.target_engagement
    if small:
        withhold("gap_points")
    else:
        f["gap_points"] = round(data.target_engagement - f["active_28d_pct"], 1)
    f["weeks"] = [_week(data, week, out) for week in weeks_before(at, weeks)]
    return out


def recognition(data: PulseData, window: Window) -> dict[str, int]:
    """Kudos given in the window: how many, by how many people, to how many."""
    given = [(giver, receiver) for at, giver, receiver in data.kudos if window.holds(at)]
    return {
        "kudos": len(given),
        "givers": len({g for g, _ in given}),
        "receivers": len({r for _, r in given}),
    }


def _questions(data: PulseData, window: Window, out: Indicators, links: bool) -> dict[str, Any]:
    asked = [q for q in data.questions if window.holds(q.asked_at)]
    answered = [q for q in asked if answered_by(q, window.end)]
    waiting = [
        q
        for q in asked
        if q.asked_at < window.end - UNANSWERED_AFTER and not answered_by(q, window.end)
    ]
    solved = [q for q in answered if q.solved_at is not None and q.solved_at < window.end]
    times = [minutes_to_answer(q) for q in answered]
    # a rate or a median over fewer than 5 questions tells little and may point at someone
    enough = len(asked) >= MIN_GROUP
    figures: dict[str, Any] = {
        "asked": len(asked),
        "answered": len(answered),
        "answered_pct": percent(len(answered), len(asked)) if enough else None,
        "median_first_answer_minutes": round(quantile(times, 0.5), 1) if enough and times else None,
        "p90_first_answer_minutes": round(quantile(times, 0.9), 1) if enough and times else None,
        "unanswered_over_48h": len(waiting),
        "solved": len(solved),
        # of the answered questions, those their asker said were solved
        "solved_pct": percent(len(solved), len(answered)) if enough and answered else None,
    }
    if not enough or not answered:
        why = "no answered question" if not answered else FEWER
        out.withheld["questions_28d.solved_pct"] = why
    timed = ("median_first_answer_minutes", "p90_first_answer_minutes")
    if not asked:
        out.withheld["questions_28d.answered_pct"] = "no question asked"
    elif not enough:
        for name in ("answered_pct", *timed):
            out.withheld[f"questions_28d.{name}"] = FEWER
    if enough and not times:
        for name in timed:
            out.withheld[f"questions_28d.{name}"] = "no answered question"
    if not asked:
        for name in timed:
            out.withheld[f"questions_28d.{name}"] = "no answered question"
    if links:
        figures["unanswered_links"] = [
            {"channel": q.channel, "message_id": q.message_id, "asked_at": iso(q.asked_at)}
            for q in waiting
        ]
    return figures


def _newcomers(
    data: PulseData, window: Window, members: set[str], out: Indicators
) -> dict[str, Any]:
    joined = {
        s.user_id: s.joined_at
        for s in data.stays
        if s.joined_at is not None and window.holds(s.joined_at) and s.user_id in members
    }
    contributed = {
        fact.user_id
        for fact in data.newcomer_facts
        if fact.user_id in joined
        and (since := joined[fact.user_id]) is not None
        and since <= fact.at < min(since + NEWCOMER_GRACE, window.end)
    }
    if len(joined) < MIN_GROUP:
        out.withheld["newcomers_28d.contributed_within_14d"] = FEWER
        return {"joined": len(joined), "contributed_within_14d": None}
    return {"joined": len(joined), "contributed_within_14d": len(contributed)}


def _rituals(runs: Mapping[str, RitualRuns], out: Indicators, small: bool) -> dict[str, Any]:
    """Each ritual's response rate; withheld (named, with the reason) in a small community
    or when fewer than MIN_GROUP people were asked — a rate over fewer may point at someone
    (a weekly ritual asks 3 members 12 times in 28 days)."""
    rituals: dict[str, Any] = {}
    for name in sorted(runs):
        got = runs[name]
        if small or got.people < MIN_GROUP:
            rituals[name] = None
            out.withheld[f"rituals.{name}"] = FEWER
        else:
            rituals[name] = {
                "asked": got.asked,
                "answered": got.answered,
                "response_rate_pct": percent(got.answered, got.asked),
            }
    return rituals


def _week(data: PulseData, week: Window, out: Indicators) -> dict[str, Any]:
    """A week's core figures as they stood at its end."""
    iso_year, iso_week, _ = week.start.isocalendar()
    label = f"{iso_year}-W{iso_week:02}"
    members = members_at(data.stays, week.end)
    row: dict[str, Any] = {
        "week": label,
        "start": week.start.date().isoformat(),
        "members": len(members),
        "active_pct": None,
        "contributors_pct": None,
        "answered_pct": None,
        "median_first_answer_minutes": None,
    }
    if len(members) < MIN_GROUP:
        out.withheld[f"weeks.{label}"] = FEWER
        return row
    seen = counts(data, week)
    active = sum(1 for u, (c, r) in seen.items() if u in members and c + r > 0)
    contributors = sum(1 for u, (c, _) in seen.items() if u in members and c > 0)
    asked = [q for q in data.questions if week.holds(q.asked_at)]
    answered = [q for q in asked if answered_by(q, week.end)]
    times = [minutes_to_answer(q) for q in answered]
    row["active_pct"] = percent(active, len(members))
    row["contributors_pct"] = percent(contributors, len(members))
    # as over 28 days: a rate or a median over fewer than 5 questions may point at someone
    if not asked:
        out.withheld[f"weeks.{label}.answered_pct"] = "no question asked"
    elif len(asked) < MIN_GROUP:
        out.withheld[f"weeks.{label}.answered_pct"] = FEWER
    else:
        row["answered_pct"] = percent(len(answered), len(asked))
    if not times:
        out.withheld[f"weeks.{label}.median_first_answer_minutes"] = "no answered question"
    elif len(asked) < MIN_GROUP:
        out.withheld[f"weeks.{label}.median_first_answer_minutes"] = FEWER
    else:
        row["median_first_answer_minutes"] = round(quantile(times, 0.5), 1)
    return row
