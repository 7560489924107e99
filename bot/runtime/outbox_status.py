"""``animateur deliveries status``: the outbox per workspace and ritual, fan-outs under way,
and the latest deliveries that will never be sent, with why. Never what a message says.

Every read is bounded (LIMIT, index ranges): unfinished deliveries whatever their age (the
queue), finished ones within a recent window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.outbox import FINAL, UNFINISHED, DeadLetter, Place, Tally
from storage.store import Store

#: The columns of the table, in order: (status, heading).
COLUMNS = (
    ("pending", "PENDING"),
    ("in_flight", "IN FLIGHT"),
    ("sent", "SENT"),
    ("dead", "DEAD"),
    ("failed", "FAILED"),
    ("skipped", "SKIPPED"),
    ("blocked", "BLOCKED"),
)
#: A fan-out is a ritual's deliveries created within this long, some still unfinished.
FANOUT_WINDOW = timedelta(hours=1)
#: Statuses of deliveries that will never be sent for a fault (not a member's choice).
UNDELIVERABLE = ("dead", "failed")
BAR_WIDTH = 20
#: Groups (workspace × ritual × status) read at most, per query.
GROUPS = 500


@dataclass
class OutboxStatus:
    at: datetime
    window: timedelta
    counts: dict[Place, dict[str, int]] = field(default_factory=dict)
    #: place → (done, total) for the fan-outs under way
    fanouts: dict[Place, tuple[int, int]] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def _add(into: dict[Place, dict[str, int]], tallies: Sequence[Tally]) -> None:
    for tally in tallies:
        row = into.setdefault(tally.place, defaultdict(int))
        row[tally.status] += tally.count


async def read_status(store: Store, now: datetime, window: timedelta, dead: int) -> OutboxStatus:
    """The outbox now: unfinished deliveries, those finished among the ones created within
    ``window``, and the ``dead`` latest undeliverable ones."""
    status = OutboxStatus(now, window)
    async with store.read() as tx:
        _add(status.counts, await tx.outbox.tally(UNFINISHED, limit=GROUPS))
        _add(status.counts, await tx.outbox.tally(FINAL, since=now - window, limit=GROUPS))
        recent: dict[Place, dict[str, int]] = {}
        since = now - FANOUT_WINDOW
        _add(recent, await tx.outbox.tally(UNFINISHED, since=since, limit=GROUPS))
        _add(recent, await tx.outbox.tally(FINAL, since=since, limit=GROUPS))
        letters: list[DeadLetter] = []
        for undeliverable in UNDELIVERABLE:
            letters += await tx.outbox.latest_in(undeliverable, dead)
    for place, row in recent.items():
        done = sum(row.get(s, 0) for s in FINAL)
        total = done + sum(row.get(s, 0) for s in UNFINISHED)
        if done < total:
            status.fanouts[place] = (done, total)
    letters.sort(key=lambda d: (d.created_at, d.id), reverse=True)
    status.dead_letters = letters[:dead]
    return status


def _where(place: Place) -> str:
    workspace = f"{place.platform}:{place.workspace}"
    if place.workspace_name:
        workspace += f" ({place.workspace_name})"
    return f"{workspace}  {place.playbook or '(no ritual)'}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _one_line(text: str | None, width: int = 160) -> str:
    if not text:
        return "(no reason recorded)"
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[########------------]  8/20  40%``"""
    filled = width * done // total if total else width
    percent = 100 * done // total if total else 100
    return f"[{'#' * filled}{'-' * (width - filled)}]  {done}/{total}  {percent}%"


def render(status: OutboxStatus) -> list[str]:
    hours = status.window.total_seconds() / 3600
    lines = [
        f"Deliveries at {status.at.strftime('%Y-%m-%d %H:%M:%S UTC')}",
        f"(unfinished: all; finished: created in the last {hours:g} h)",
        "",
    ]
    if not status.counts:
        lines.append("The outbox is empty.")
    else:
        places = sorted(status.counts, key=lambda p: (_where(p), p.playbook or ""))
        labels = [_where(p) for p in places]
        first = max(len("WORKSPACE  RITUAL"), *(len(label) for label in labels))
        widths = [max(len(heading), 6) for _, heading in COLUMNS]
        header = "WORKSPACE  RITUAL".ljust(first)
        header += "".join(f"  {h:>{w}}" for (_, h), w in zip(COLUMNS, widths, strict=True))
        lines.append(header)
        for place, label in zip(places, labels, strict=True):
            row = status.counts[place]
            cells = "".join(
                f"  {row.get(s, 0):>{w}}" for (s, _), w in zip(COLUMNS, widths, strict=True)
            )
            lines.append(label.ljust(first) + cells)
    lines += ["", f"Fan-outs under way (created in the last {_minutes(FANOUT_WINDOW)})"]
    if not status.fanouts:
        lines.append("None.")
    for place, (done, total) in sorted(status.fanouts.items(), key=lambda i: _where(i[0])):
        lines.append(f"{_where(place)}  {bar(done, total)}")
    lines += ["", f"Dead letters, latest first ({len(status.dead_letters)} shown)"]
    if not status.dead_letters:
        lines.append("None.")
    for letter in status.dead_letters:
        attempts = f"{letter.attempts} attempt{'s' if letter.attempts != 1 else ''}"
        lines.append(
            f"#{letter.id}  {letter.status}  {_when(letter.created_at)}  {_where(letter.place)}"
            f"  to {letter.recipient}  {attempts}: {_one_line(letter.reason)}"
        )
    return lines


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return "hour" if minutes == 60 else f"{minutes} min"
