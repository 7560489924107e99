"""The run-replacement rule: a ritual runs at most once at a time for a subject; a scheduled
start ends a run of an earlier cycle first (last week's check-in when this week's starts), but
leaves one begun less than RECENT ago alone (``checkin now`` this morning, or a member who just
changed timezone)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from storage.tables import Run

#: A member's run of a scheduled ritual begun less than this ago is this cycle's: not redone.
RECENT = timedelta(hours=20)

Decision = Literal["start", "keep", "supersede"]


def decide(running: Run | None, *, scheduled: bool, now: datetime) -> Decision:
    """``start`` (nothing runs), ``keep`` (the running one stays: no new run) or ``supersede``
    (end the running one, start anew)."""
    if running is None:
        return "start"
    if not scheduled or running.created_at > now - RECENT:
        return "keep"
    return "supersede"
