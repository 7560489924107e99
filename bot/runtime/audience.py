"""Which members of a launch's chunk a ritual for each member starts for, when its trigger
says ``only`` (playbooks.schema.MemberFilter): their role (the sponsors), their silence, the
time since it last started for them, and a cap per day (the community's). Read once per
chunk: three reads whatever the chunk's size, none per member."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from playbooks.calendar import zone
from playbooks.schema import MemberFilter
from storage.store import Transaction
from storage.tables import Community


@dataclass(slots=True)
class Chosen:
    """The members a chunk starts the ritual for, and how many more it may still start."""

    members: set[str]
    room: int | None


async def choose(
    tx: Transaction,
    community: Community,
    playbook: str,
    only: MemberFilter,
    users: Sequence[str],
    now: datetime,
) -> Chosen:
    """The members among ``users`` that ``only`` keeps (the cap applied by the caller, as it
    starts them: see :attr:`Chosen.room`)."""
    assert community.id is not None
    kept = list(users)
    if only.role == "sponsors":
        kept = [u for u in kept if u in community.sponsors]
    elif only.role == "facilitators":
        kept = [u for u in kept if u in community.facilitators]
    silence = only.silent_delta
    if silence is not None and kept:
        presences = await tx.highlights.presences(community.id, kept)
        kept = [
            u
            for u in kept
            if u in presences
            and presences[u].quiet_since is not None
            and presences[u].quiet_since <= now - silence  # type: ignore[operator]
        ]
    again = only.again_delta
    if again is not None and kept:
        last = await tx.highlights.last_started(community.id, playbook, kept)
        kept = [u for u in kept if u not in last or last[u] <= now - again]
    room = None
    if only.at_most is not None:
        local = now.astimezone(zone(community.timezone))
        midnight = datetime.combine(local.date(), time.min, local.tzinfo)
        started = await tx.highlights.started_since(community.id, playbook, midnight)
        room = max(0, only.at_most - started)
    return Chosen(set(kept), room)
