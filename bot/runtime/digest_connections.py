"""The weekly health digest's block on the connection rituals, for facilitators: how many
silent members the nudges reached this week (a group figure: withheld under 5, "0" said as
is), and whether the sponsors were heard from in the community (how many of them posted,
replied or reacted in the last 7 and 30 days — a count, never who). Only for the rituals
switched on in the community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.runtime.texts import text
from storage.store import Transaction
from storage.tables import Community

NUDGE, SPONSOR = "nudge", "sponsor"
WEEK, MONTH = timedelta(days=7), timedelta(days=30)
#: Group figures over fewer people than this are withheld.
SMALLEST_GROUP = 5


@dataclass(frozen=True, slots=True)
class ConnectionFigures:
    #: members the nudge ritual started for in the last 7 days (None: not switched on)
    nudged: int | None = None
    #: sponsors heard from in the last 7 and 30 days, of how many (None: not switched on)
    sponsors: tuple[int, int, int] | None = None


async def connection_figures(
    tx: Transaction, community: Community, now: datetime
) -> ConnectionFigures:
    assert community.id is not None
    enabled = await tx.directory.enabled_playbooks(community.id)
    nudged = None
    if NUDGE in enabled:
        nudged = await tx.highlights.started_since(community.id, NUDGE, now - WEEK)
    sponsors = None
    if SPONSOR in enabled and community.sponsors:
        heard = [
            await tx.pulse_queries.last_active(community.id, [sponsor], now)
            for sponsor in community.sponsors
        ]
        week = sum(1 for at in heard if at is not None and at >= now - WEEK)
        month = sum(1 for at in heard if at is not None and at >= now - MONTH)
        sponsors = (week, month, len(community.sponsors))
    return ConnectionFigures(nudged, sponsors)


def connection_lines(figures: ConnectionFigures, locale: str) -> list[str]:
    """The block's lines (none when neither ritual is switched on)."""
    lines: list[str] = []
    if figures.nudged is not None:
        if 0 < figures.nudged < SMALLEST_GROUP:
            withheld = text("health_withheld", locale, reason=text("health_fewer", locale))
            lines.append(text("digest_nudged_withheld", locale, withheld=withheld))
        else:
            lines.append(text("digest_nudged", locale, count=figures.nudged))
    if figures.sponsors is not None:
        week, month, sponsors = figures.sponsors
        lines.append(
            text("digest_sponsors_active", locale, week=week, month=month, sponsors=sponsors)
        )
    return [text("digest_connections", locale), *lines] if lines else []
