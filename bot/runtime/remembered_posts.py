"""A ritual's post that must be remembered (``post_to_community`` with ``remember_as``): once
delivery sends it, the post's platform id goes into the run's variable, in the delivery
outcome's transaction, so the run's later steps can reply in its thread, count it, wait on it."""

from __future__ import annotations

import logging
from datetime import datetime

from playbooks.engine import THREAD_PENDING
from storage.runs import ACTIVE
from storage.store import Transaction
from storage.tables import Delivery

log = logging.getLogger(__name__)


def message_id_of(channel: str, platform_ref: str) -> str:
    """The message's own id: a platform may name it with its channel first (``C042:1733.1``)."""
    return platform_ref.removeprefix(f"{channel}:")


async def remember_post(
    tx: Transaction, delivery: Delivery, platform_ref: str | None, now: datetime
) -> None:
    """Keep where the post landed in its run's variable — in a savepoint of its own: failing
    to keep it never makes the send count as unsent. A run over since gets nothing; one whose
    step waits for this very variable is woken now."""
    name = delivery.action.get("remember")
    if not name or not platform_ref or delivery.run_id is None:
        return
    if delivery.action.get("type") != "PostToCommunity":
        return
    try:
        async with tx.session.begin_nested():
            run = await tx.runs.get(delivery.run_id, lock=True)
            if run is None or run.status not in ACTIVE:
                log.info("a post remembered for a run already over is not kept")
                return
            channel = str(delivery.action.get("channel") or "")
            run.variables = {**run.variables, str(name): message_id_of(channel, platform_ref)}
            if THREAD_PENDING in run.variables and run.wake_at is not None:
                run.wake_at = min(run.wake_at, now)
            await tx.session.flush()
    except Exception:
        log.exception("the post's id could not be kept for its run", extra={"run": delivery.run_id})
