"""Early warnings read off a community's pulse (issue 11 §3), most pressing first, each with what
to do about it: questions waiting for an answer, active share falling three weeks in a row, a
ritual few answer, sponsors silent for a month, newcomers silent after their first two weeks.
Pure: the figures (``bot.runtime.indicators``) in, the warnings out; never about one person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from typing import Any

from bot.runtime.indicators import (
    MIN_GROUP,
    NEWCOMER_GRACE,
    Indicators,
    PulseData,
    members_at,
    window_ending,
)
from bot.runtime.message_links import labelled
from bot.runtime.texts import text

#: A ritual whose response rate is under this is worth a look.
LOW_RESPONSE_PCT = 30.0
#: Sponsors silent for this long: leadership by example is missing.
SPONSOR_SILENCE = timedelta(days=30)
#: Weeks in a row the active share must fall for a warning.
FALLING_WEEKS = 3


@dataclass(frozen=True, slots=True)
class PulseWarning:
    """``kind`` names the warning (and its texts: ``warning_<kind>``, ``action_<kind>``)."""

    kind: str
    values: dict[str, Any] = field(default_factory=dict)


def warnings(indicators: Indicators, data: PulseData) -> list[PulseWarning]:
    found: list[PulseWarning] = []
    f = indicators.figures
    questions = f.get("questions_28d")
    if isinstance(questions, dict) and questions["unanswered_over_48h"]:
        found.append(
            PulseWarning(
                "unanswered",
                {
                    "count": questions["unanswered_over_48h"],
                    "links": questions.get("unanswered_links", []),
                },
            )
        )
    shares = [w["active_pct"] for w in f.get("weeks", [])][-(FALLING_WEEKS + 1) :]
    if (
        len(shares) == FALLING_WEEKS + 1
        and None not in shares
        and all(a > b for a, b in pairwise(shares))
    ):
        found.append(PulseWarning("falling", {"start": shares[0], "end": shares[-1]}))
    for name, ritual in sorted(f.get("rituals", {}).items()):
        if ritual is not None and ritual["response_rate_pct"] < LOW_RESPONSE_PCT:
            found.append(
                PulseWarning("ritual_low", {"ritual": name, "rate": ritual["response_rate_pct"]})
            )
    last = data.sponsors_last_active
    # a community declared less than 30 days ago has had no 30 days for its sponsor to be silent
    old_enough = data.declared_at is None or data.declared_at <= data.at - SPONSOR_SILENCE
    if data.has_sponsors and old_enough and (last is None or last < data.at - SPONSOR_SILENCE):
        found.append(PulseWarning("sponsor_silent", {"days": SPONSOR_SILENCE.days}))
    silent = silent_newcomers(data)
    if silent and f.get("newcomers_28d") and f["newcomers_28d"]["joined"] >= MIN_GROUP:
        found.append(PulseWarning("newcomers_silent", {"count": silent}))
    return found


def silent_newcomers(data: PulseData) -> int:
    """Newcomers of the last 28 days, still members, whose first 14 days are over without a
    post or a reply."""
    window = window_ending(data.at, timedelta(days=28))
    members = members_at(data.stays, data.at)
    silent = 0
    for stay in data.stays:
        joined = stay.joined_at
        if joined is None or not window.holds(joined) or stay.user_id not in members:
            continue
        if joined + NEWCOMER_GRACE > data.at:
            continue  # still in their first two weeks
        spoke = any(
            fact.user_id == stay.user_id and joined <= fact.at < joined + NEWCOMER_GRACE
            for fact in data.newcomer_facts
        )
        silent += not spoke
    return silent


#: Unanswered questions named at most in a warning.
LINKS = 5


def describe(warning: PulseWarning, locale: str) -> str:
    """The warning and what to do about it, in ``locale``; the unanswered threads (five at
    most) each a link when it has its ``url`` (``MessageLinkBook.add_urls``: for facilitators
    only), else named by their place (channel and message id)."""
    values: dict[str, Any] = dict(warning.values)
    if "links" in values:
        links = values.pop("links")[:LINKS]
        values["where"] = labelled(
            links, lambda q: text("question_link", locale, day=str(q["asked_at"])[:10])
        )
    if "rate" in values:
        values["rate"] = f"{values['rate']:.1f}"
    return (
        text(f"warning_{warning.kind}", locale, **values)
        + " "
        + text(f"action_{warning.kind}", locale)
    )
