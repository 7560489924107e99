"""One event's (or fire's, or launch chunk's) handling: its transaction, workspace and instant,
and what it queued — shared by the dispatcher and the ritual modules it routes to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.runtime.governance import Answers
from bot.vocabulary import actions as act
from storage.outbox import Outgoing
from storage.store import Transaction
from storage.tables import Run, Workspace


@dataclass(slots=True)
class Turn:
    """What one event's handling shares: its transaction, workspace and instant."""

    tx: Transaction
    workspace: Workspace
    now: datetime
    enqueued: int = 0
    #: a ritual launch was recorded (``checkin now``): have the scheduler run it after commit
    run_now: bool = False
    #: what the platform answered for this event (who may run a community)
    answers: Answers | None = None
    #: a launch's chunk: the runs of its ritual still going, by subject, read for the chunk
    running: dict[str, Run] | None = None
    #: what several runs of the turn read alike (a launch chunk's highlights), read once
    cache: dict[str, Any] = field(default_factory=dict)
    #: a launch chunk's deliveries, queued together by :func:`write_batch` (None: each
    #: ``enqueue`` writes at once); its runs are inserted together too, by the same flush
    batch: list[Outgoing] | None = None


async def enqueue(
    turn: Turn,
    actions: Iterable[act.Action],
    run: Run | None,
    names: Iterable[str] | None = (),
) -> None:
    """Queue ``actions``; ``names``: the people they may name besides a run's subject (None:
    not known — a person's erasure then looks for them in the texts)."""
    assert turn.workspace.id is not None
    subject = [run.subject] if run is not None and run.subject else []
    named = None if names is None else {*names, *subject}
    outgoing = [
        Outgoing(
            act.action_to_dict(action),
            act.recipient_of(action),
            run.id if run else None,
            run.playbook if run else None,
            None if named is None else named | _in(action),
        )
        for action in actions
    ]
    if turn.batch is not None:
        turn.batch.extend(outgoing)
    else:
        await turn.tx.outbox.enqueue_all(outgoing, workspace_id=turn.workspace.id, now=turn.now)
    turn.enqueued += len(outgoing)


async def write_batch(turn: Turn) -> None:
    """Write what a batched turn held back: its new runs (and every other change) in one
    flush — the ORM inserts rows alike in one multi-row statement — then its deliveries in
    one statement, in the order they were queued."""
    await turn.tx.session.flush()
    if turn.batch:
        assert turn.workspace.id is not None
        await turn.tx.outbox.enqueue_all(turn.batch, workspace_id=turn.workspace.id, now=turn.now)
        turn.batch.clear()


def _in(action: act.Action) -> set[str]:
    """Who the action itself names: the people its text mentions, a group's members."""
    said = getattr(action, "text", "")
    mentioned = {m.group(1) for m in act.MENTION.finditer(said)} if isinstance(said, str) else set()
    return mentioned | set(getattr(action, "user_ids", ()))
