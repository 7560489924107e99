"""Outbound path: a worker takes due deliveries from the outbox and sends them.

Retries transient failures with exponential backoff and jitter (or the platform's Retry-After),
stops at permanent ones, stops sending to members who blocked the bot, honours opt-outs at send
time, and dead-letters after ``max_attempts``. A crash mid-send loses nothing: the lease expires
and another worker (or this one, restarted) sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.runtime.clock import Clock
from bot.vocabulary.actions import Action, action_from_dict
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import Sender, SendOutcome
from storage.store import Store
from storage.tables import Delivery, Member

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 2.0
    max_delay: float = 600.0

    #: Waits for a member whose workspace refused our credentials, until they work again.
    held_for: float = 900.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            # a little jitter so a whole queue paused together does not return together
            return max(0.0, retry_after) * rng.uniform(1.0, 1.2)
        exponential = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return float(exponential * rng.uniform(0.5, 1.0))


def not_now(member: Member, playbook: str, now: datetime) -> str | None:
    """Why a ritual message must not reach this member now (checked at send time)."""
    if member.opted_out_all or playbook in member.opted_out:
        return "member opted out"
    if member.snoozed_until is not None and member.snoozed_until > now:
        return "member snoozed rituals"
    return None


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        senders: Mapping[str, Sender],
        clock: Clock,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(seconds=120),
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._senders = senders  # not copied: platforms may register after the worker exists
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._batch = batch_size
        self._lease = lease
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Tell the worker new deliveries are waiting (called after each commit that enqueues)."""
        self._wakeup.set()

    def stop(self) -> None:
        """Finish the send under way, then return from :meth:`run` (nothing is cut mid-send)."""
        self._stopping = True
        self._wakeup.set()

    async def run(self, idle_poll: float = 1.0) -> None:
        """Send until stopped; wakes on :meth:`wake` or every ``idle_poll`` seconds."""
        self._stopping = False
        while not self._stopping:
            try:
                await self.drain()
            except Exception:
                log.exception("delivery worker pass failed; retrying")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=idle_poll)

    async def drain(self) -> int:
        """Send everything due now; returns how many deliveries were attempted."""
        attempted = 0
        while True:
            async with self._store.transaction() as tx:
                claimed = await tx.outbox.claim(self._clock(), self._batch, self._lease)
            if not claimed:
                return attempted
            for delivery in claimed:
                if self._stopping:  # the rest of the claim goes back when its lease ends
                    return attempted
                await self._deliver(delivery)
                attempted += 1

    async def _deliver(self, delivery: Delivery) -> None:
        assert delivery.id is not None
        async with self._store.transaction() as tx:
            # Fencing: the claim is ours while the row is in flight with our attempt number;
            # renew the lease for this one send (a batch can outlast the lease it was claimed with).
            row = await tx.outbox.get(delivery.id, lock=True)
            if row is None or (row.status, row.attempts) != ("in_flight", delivery.attempts):
                log.info("delivery taken over by another worker", extra={"delivery": delivery.id})
                return
            row.lease_until = self._clock() + self._lease
            workspace = await tx.directory.workspace_by_id(delivery.workspace_id)
            member = await tx.directory.member(delivery.workspace_id, delivery.recipient)
        verdict: SendOutcome | None = None
        action: Action | None = None
        if workspace is None:
            verdict = SendOutcome("permanent", error="workspace is gone")
        elif member is not None and member.unreachable:
            verdict = SendOutcome("blocked", error="member blocked the bot")
        elif member is not None and delivery.playbook is not None:
            reason = not_now(member, delivery.playbook, self._clock())
            if reason:
                await self._finish(delivery, "skipped", reason)
                return
        if verdict is None:
            assert workspace is not None
            try:
                action = action_from_dict(delivery.action)
            except ValueError as exc:
                verdict = SendOutcome("permanent", error=str(exc))
        if verdict is None:
            assert workspace is not None and action is not None
            verdict = await self._send(workspace.platform, workspace.external_id, action)
        await self._record(delivery, verdict)

    async def _send(self, platform: str, external_id: str, action: Action) -> SendOutcome:
        sender = self._senders.get(platform)
        if sender is None:
            return SendOutcome("permanent", error=f"no sender for platform {platform!r}")
        try:
            return await sender.send(WorkspaceRef(platform, external_id), action)  # type: ignore[arg-type]
        except Exception as exc:
            log.exception("sender raised; will retry")
            return SendOutcome("retry", error=f"{type(exc).__name__}: {exc}"[:300])

    async def _record(self, delivery: Delivery, outcome: SendOutcome) -> None:
        assert delivery.id is not None
        now = self._clock()
        async with self._store.transaction() as tx:
            row = await tx.outbox.get(delivery.id, lock=True)
            if row is None or (row.status, row.attempts) != ("in_flight", delivery.attempts):
                log.warning("delivery outcome dropped: claim lost", extra={"delivery": delivery.id})
                return
            row.lease_until = None
            row.last_error = outcome.error
            if outcome.status == "sent":
                row.status, row.sent_at, row.platform_ref = "sent", now, outcome.platform_ref
                workspace = await tx.directory.workspace_by_id(row.workspace_id)
                if workspace is not None and workspace.status == "revoked":
                    workspace.status = "active"  # the credentials work again
            elif outcome.status == "deferred":
                wait = self._policy.delay(row.attempts, outcome.retry_after or 1.0, self._rng)
                row.status, row.attempts = "pending", row.attempts - 1
                row.next_attempt_at = now + timedelta(seconds=wait)
            elif outcome.status == "retry" and row.attempts < self._policy.max_attempts:
                wait = self._policy.delay(row.attempts, outcome.retry_after, self._rng)
                row.status, row.next_attempt_at = "pending", now + timedelta(seconds=wait)
                log.warning(
                    "delivery will be retried",
                    extra={"delivery": row.id, "attempt": row.attempts, "wait_s": round(wait, 2)},
                )
            elif outcome.status == "retry":
                row.status = "dead"
                log.error("delivery dead-lettered", extra={"delivery": row.id})
            elif outcome.status == "blocked":
                row.status = "blocked"
                await tx.directory.mark_unreachable(row.workspace_id, row.recipient)
            elif outcome.status == "unauthorized":
                # held, not lost: retried every ``held_for`` seconds until the credentials work
                row.status, row.attempts = "pending", row.attempts - 1
                row.next_attempt_at = now + timedelta(seconds=self._policy.held_for)
                workspace = await tx.directory.workspace_by_id(row.workspace_id)
                if workspace is not None:
                    workspace.status = "revoked"
                log.error("workspace credentials refused; workspace marked revoked, sends held")
            else:
                row.status = "failed"
                log.error("delivery failed permanently", extra={"delivery": row.id})

    async def _finish(self, delivery: Delivery, status: str, reason: str) -> None:
        async with self._store.transaction() as tx:
            row = await tx.outbox.get(delivery.id or 0, lock=True)
            if row is not None and (row.status, row.attempts) == ("in_flight", delivery.attempts):
                row.status, row.last_error, row.lease_until = status, reason, None
