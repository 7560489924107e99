"""The participation split week by week: at each of the last weeks' end, the members silent,
occasional (1–3 posts and replies) and regular (4 or more) over the 28 days before — the
definition of ``participation_28d`` (``bot.runtime.indicators``), moved back a week at a time.
Pure; withheld (None) for a week that ended with fewer than 5 members."""

from __future__ import annotations

from typing import Any

from bot.runtime.indicators import (
    DAY,
    FEWER,
    MIN_GROUP,
    REGULAR,
    PulseData,
    Window,
    counts,
    members_at,
    weeks_before,
)

#: Weeks of history read before the first week shown, for its 28 days.
LOOKBACK_WEEKS = 4


def weekly_split(data: PulseData, weeks: int) -> list[dict[str, Any]]:
    rows = []
    for week in weeks_before(data.at, weeks):
        iso_year, iso_week, _ = week.start.isocalendar()
        row: dict[str, Any] = {"week": f"{iso_year}-W{iso_week:02}", "start": week.start.date()}
        members = members_at(data.stays, week.end)
        if len(members) < MIN_GROUP:
            rows.append({**row, "split": None, "withheld": FEWER})
            continue
        seen = counts(data, Window(week.end - 28 * DAY, week.end))
        made = [seen.get(user, (0, 0))[0] for user in members]
        split = {
            "lurkers": sum(1 for c in made if c == 0),
            "occasional": sum(1 for c in made if 1 <= c < REGULAR),
            "regular": sum(1 for c in made if c >= REGULAR),
        }
        rows.append({**row, "split": split, "withheld": None})
    return rows
