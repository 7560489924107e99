"""A ritual's schedules (its cron, and its digest's) and their fires: which instants a cron fires
at since the last occurrence, in each timezone its members live in — pure functions of the
playbook, a community's settings and the time."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger

from playbooks.calendar import valid_zone
from playbooks.schema import Playbook, ScheduleTrigger

log = logging.getLogger(__name__)

#: The same wall-clock time happens within 26 hours around the world (UTC-12 to UTC+14).
ZONE_SPREAD = timedelta(hours=26)
DIGEST = "#digest"
Outcome = Literal["started", "skipped", "holiday"]


@dataclass(frozen=True, slots=True)
class Schedule:
    playbook: str
    #: what its occurrences are recorded under: the playbook's name, or ``<name>#digest``
    key: str
    cron: str
    #: read in each member's timezone (a ritual for each member), else in the community's
    per_member: bool

    @property
    def is_digest(self) -> bool:
        return self.key.endswith(DIGEST)


@dataclass(frozen=True, slots=True)
class Fire:
    """A schedule due for a community: start it, skip it (missed, holiday), or post a digest.
    ``zones``: the timezones whose members it is for (rituals run for each member)."""

    community_id: int
    schedule: Schedule
    fire_at: datetime
    outcome: Outcome
    #: None: every member, whatever their timezone (a facilitator's "now")
    zones: frozenset[str] | None


def schedules_of(playbook: Playbook, settings: Mapping[str, Any]) -> list[Schedule]:
    """The playbook's cron schedules, with a community's ``schedule`` / ``digest`` overrides."""
    found = []
    trigger = playbook.trigger
    if isinstance(trigger, ScheduleTrigger):
        cron = str(settings.get("schedule") or trigger.cron)
        per_member = trigger.audience == "each_member"
        found.append(Schedule(playbook.name, playbook.name, cron, per_member))
    if playbook.digest is not None:
        cron = str(settings.get("digest") or playbook.digest.cron)
        found.append(Schedule(playbook.name, playbook.name + DIGEST, cron, False))
    return found


def fires_by_instant(
    cron: str, zones: Iterable[str], after: datetime, until: datetime
) -> list[tuple[datetime, set[str]]]:
    """The latest fire of ``cron`` in each zone, zones firing at the same instant together."""
    fires: dict[datetime, set[str]] = {}
    for name in zones:
        if valid_zone(name) is None:
            continue  # never stored since; an old row follows the community's timezone
        try:
            fire = latest_fire(cron, name, after, until)
        except (ValueError, LookupError, OSError):
            log.warning("a timezone is invalid; its members follow the community's")
            continue
        if fire is not None:
            fires.setdefault(fire, set()).add(name)
    return sorted(fires.items())


def latest_fire(cron: str, timezone: str, after: datetime, until: datetime) -> datetime | None:
    """The last fire time of ``cron`` (in ``timezone``) in ``(after, until]``, else None."""
    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    latest = None
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    for _ in range(100_000):
        if fire is None or fire > until:
            break
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest
