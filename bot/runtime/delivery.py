"""Outbound path: a worker takes due deliveries from the outbox and sends them.

Claims are taken in batches; their sends run concurrently (at most ``concurrency`` at once, in
claim order), each recipient's messages one after the other and in order (the outbox never hands
out a recipient's next message while an older one is claimed). A new batch is claimed as soon as
fewer than ``concurrency`` claimed deliveries are left, so one hanging call holds back only its
own recipient. Retries transient failures with exponential
backoff and jitter; a rate limit (429) or a pacing wait is rescheduled after the platform's
Retry-After without spending an attempt. Stops at permanent failures, stops sending to members
who blocked the bot, honours opt-outs at send time, and dead-letters after ``max_attempts``.

Claims are short leases renewed while the send is under way (a heartbeat), so a crash mid-send
loses nothing and holds nothing for long: the dead worker's claims expire within ``lease`` and
another worker (or this one, restarted) sends them. A worker only records an outcome while the
row is still in flight under its own claim (fencing: each claim of a row takes a number never
used for it before; attempts are no such number, a deferral gives its attempt back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from bot.runtime import seeing
from bot.runtime.clock import Clock
from bot.runtime.foreground import Foreground
from bot.runtime.remembered_posts import remember_post
from bot.vocabulary.actions import (
    Action,
    MessageGroup,
    OpenForm,
    PublishHome,
    RespondPrivately,
    action_from_dict,
)
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import Sender, SendOutcome
from storage.outbox import Claimed, Settled, conflicted
from storage.store import Store, Transaction
from storage.tables import Delivery, Member, Workspace

log = logging.getLogger(__name__)

#: What answers someone who just acted (a command's reply, a form, their home): never held
#: back for the events being handled — the platform may be waiting (Slack's trigger_id lasts
#: 3 seconds).
ANSWERS = frozenset(kind.__name__ for kind in (RespondPrivately, OpenForm, PublishHome))

T = TypeVar("T")

#: Seconds a claim's check stays good: a claim that waited longer for its send slot is checked
#: again before its send, so whoever opted out, snoozed or blocked the bot meanwhile gets
#: nothing. Unpaced, sends free their slots well within it (no second check); paced, the
#: second checks come one per send at the platform's pace.
FRESH_FOR = 1.0

#: Transactions recording outcomes at once (each takes the outcomes waiting when it starts).
RECORDERS = 2


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
            return min(self.max_delay, max(0.0, retry_after)) * rng.uniform(1.0, 1.2)
        exponential = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return float(exponential * rng.uniform(0.5, 1.0))


def _group_of(delivery: Claimed) -> list[str]:
    """The members a message to a group names (as stored), else none."""
    action = delivery.action
    users = action.get("user_ids") if action.get("type") == "MessageGroup" else None
    return [u for u in users if isinstance(u, str)] if isinstance(users, list) else []


def not_now(member: Member, playbook: str, now: datetime) -> str | None:
    """Why a ritual message must not reach this member now (checked at send time)."""
    if member.opted_out_all or playbook in member.opted_out:
        return "member opted out"
    if member.snoozed_until is not None and member.snoozed_until > now:
        return "member snoozed rituals"
    return None


#: What a send needs to know just before it goes: the workspace, the member it is for, and
#: the members a message to a group names (by user id; empty for any other message).
Prepared = tuple[Workspace | None, Member | None, Mapping[str, Member]]


@dataclass(eq=False, slots=True)
class _Pending:
    """An outcome waiting to be committed, and the send waiting for that."""

    delivery: Claimed
    outcome: SendOutcome
    done: asyncio.Future[None]
    failing_since: float | None = None


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        senders: Mapping[str, Sender],
        clock: Clock,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(seconds=15),
        rng: random.Random | None = None,
        *,
        concurrency: int = 16,
        renew_every: float | None = None,
        send_timeout: float = 20.0,
        record_for: float = 10.0,
    ) -> None:
        """``lease``: how long a claim holds without renewal (a dead worker's sends wait that
        long); ``renew_every``: seconds between renewals while sends are under way (a third
        of the lease by default); ``send_timeout``: a last guard around one send (senders time
        out their own platform calls sooner); ``record_for``: how long an outcome that could
        not be recorded is retried (its claim is held and renewed meanwhile)."""
        self._store = store
        self._senders = senders  # not copied: platforms may register after the worker exists
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._batch = max(1, batch_size)
        self._lease = lease
        self._rng = rng or random.Random()
        self._concurrency = max(1, concurrency)
        self._renew_every = renew_every if renew_every is not None else lease.total_seconds() / 3
        #: a claim checked longer ago than this is checked again before its send (whom it goes
        #: to is read again; the lease the check took holds well beyond it)
        self._recheck_after = min(FRESH_FOR, self._renew_every, lease.total_seconds() / 3)
        self._send_timeout = send_timeout
        self._record_for = record_for
        self._wakeup = asyncio.Event()
        self._stopping = False
        #: claimed, not yet recorded: delivery id → (its task, its claim number)
        self._active: dict[int, tuple[asyncio.Task[None], int]] = {}
        self._slots = asyncio.Semaphore(self._concurrency)
        #: outcomes waiting to be committed, and the tasks committing them (a few at once, so
        #: that an outcome never waits for a whole commit under way before its own starts)
        self._outcomes: list[_Pending] = []
        self._recorders: set[asyncio.Task[None]] = set()
        #: claims being prepared, sent or recorded: a stop lets them finish; the others (waiting
        #: for a slot of the worker or of their platform) go back at once
        self._sending: set[int] = set()
        #: inbound events go first: a send waits for its turn while events are being handled
        #: (the composition root shares the dispatcher's)
        self.foreground = Foreground()
        #: per platform, its sender's ``max_in_flight`` (sends beyond wait here, unstarted)
        self._platform_slots: dict[str, asyncio.Semaphore] = {}
        self._giving_back: asyncio.Task[None] | None = None
        self._finished = 0  # sends ended so far (a drain knows whether one ended meanwhile)
        #: sends about to start, waiting for their claim to be checked, and the task doing it
        self._checks: list[tuple[Claimed, asyncio.Future[Prepared | None]]] = []
        self._checker: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        #: bumped by :meth:`changed`: a claim checked under an older one is checked again
        self._generation = 0

    def changed(self) -> None:
        """Something this process recorded may change who gets what (a member left, opted out,
        snoozed, stopped a ritual…): claims checked before it are checked again before their
        send, however recent their check (other processes' changes: within FRESH_FOR)."""
        self._generation += 1

    def wake(self) -> None:
        """Tell the worker new deliveries are waiting (called after each commit that enqueues)."""
        self._wakeup.set()

    def stop(self) -> None:
        """Stop claiming; claims not started yet go back at once (one transaction, no attempt
        spent), the sends under way finish and record, then :meth:`run` returns."""
        self._stopping = True
        self._wakeup.set()
        unstarted = [
            (key, task, claim)
            for key, (task, claim) in self._active.items()
            if key not in self._sending
        ]
        if not unstarted:
            return
        for key, task, _ in unstarted:
            del self._active[key]  # no longer ours to renew
            task.cancel()  # it waits for a slot: it never started
        claims = [(key, claim) for key, _, claim in unstarted]
        previous = self._giving_back
        self._giving_back = asyncio.create_task(
            self._give_back(claims, previous), name="delivery-give-back"
        )

    @property
    def stop_budget(self) -> float:
        """Seconds a graceful stop may take: the longest send, then recording its outcome."""
        return self._send_timeout + self._record_for + 2.0

    @property
    def in_flight(self) -> int:
        """How many deliveries this worker has claimed and not recorded yet."""
        return len(self._active)

    async def run(self, idle_poll: float = 1.0) -> None:
        """Send until stopped; wakes on :meth:`wake`, when a send ends, or every ``idle_poll``
        seconds. Cancelled (a crash, a hard shutdown), it abandons its sends without recording
        anything: their claims expire within the lease."""
        self._stopping = False
        try:
            while not self._stopping:
                self._wakeup.clear()
                claimed = 0
                try:
                    claimed = await self._claim_more()
                except Exception:
                    log.exception("delivery worker could not claim; retrying")
                if claimed and len(self._active) < self._concurrency:
                    continue  # there may be more due right now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=idle_poll)
            await self._settle()
        except asyncio.CancelledError:
            self._abandon()
            raise

    async def drain(self) -> int:
        """Send everything due now (and what becomes due as earlier messages to the same
        recipients go out); returns how many deliveries were attempted."""
        attempted = 0
        try:
            while True:
                finished_before = self._finished
                claimed = 0 if self._stopping else await self._claim_more()
                attempted += claimed
                if not self._active:
                    # done, unless a send finished during the claim (its next message may be
                    # due now, and the claim did not see it yet)
                    if not claimed and self._finished == finished_before:
                        return attempted
                    continue
                if claimed and len(self._active) < self._concurrency:
                    continue
                tasks = [task for task, _ in self._active.values()]
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self._abandon()
            raise

    # -- claims -----------------------------------------------------------------------------

    async def _claim_more(self) -> int:
        """Claim a batch once fewer than ``concurrency`` claimed deliveries are left."""
        if len(self._active) >= self._concurrency or self._stopping:
            return 0
        async with self._store.transaction() as tx:
            held = list(self._active)  # never our own claims again, even with a lapsed lease
            claimed = await tx.outbox.claim(
                self._clock(), self._batch, self._lease, held, self._policy.max_attempts
            )
        for delivery in claimed:
            self._start(delivery)
        return len(claimed)

    def _start(self, delivery: Claimed) -> None:
        assert delivery.id is not None
        delivery_id = delivery.id
        task = asyncio.create_task(self._in_turn(delivery), name=f"delivery-{delivery_id}")
        self._active[delivery_id] = (task, delivery.claim)

        def finished(done: asyncio.Task[None]) -> None:
            if self._active.get(delivery_id, (None, 0))[0] is done:
                del self._active[delivery_id]
            self._finished += 1
            if not done.cancelled() and done.exception() is not None:
                error = done.exception()
                log.error(
                    "delivery could not be recorded; its claim expires and it is sent again",
                    extra={"delivery": delivery_id, "error": type(error).__name__},
                )
            self._wakeup.set()

        task.add_done_callback(finished)
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._renew_leases(), name="delivery-leases")

    async def _renew_leases(self) -> None:
        """While sends are under way, push their leases forward (one statement for all)."""
        while True:
            await asyncio.sleep(self._renew_every)
            if not self._active:
                self._heartbeat = None  # no await since the check: a new send starts a new one
                return
            claims = [(key, claim) for key, (_, claim) in self._active.items()]
            try:
                async with self._store.transaction() as tx:
                    await tx.outbox.renew(claims, self._clock() + self._lease)
            except Exception as exc:
                log.warning("delivery leases not renewed", extra={"error": type(exc).__name__})

    async def _settle(self) -> None:
        """Let the sends under way finish and record (a graceful stop)."""
        while self._active:
            await asyncio.wait([task for task, _ in self._active.values()])
        while self._giving_back is not None:
            await asyncio.wait([self._giving_back])
        heartbeat = self._heartbeat
        self._stop_heartbeat()
        if heartbeat is not None:  # let a renewal under way roll back cleanly
            await asyncio.wait([heartbeat])

    def _abandon(self) -> None:
        """Drop the sends under way without recording (their leases expire)."""
        for task, _ in list(self._active.values()):
            task.cancel()
        self._active.clear()
        if self._giving_back is not None:
            self._giving_back.cancel()
        for recorder in list(self._recorders):
            recorder.cancel()
        self._outcomes.clear()
        self._stop_heartbeat()

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    # -- one delivery -----------------------------------------------------------------------

    async def _in_turn(self, delivery: Claimed) -> None:
        """Check the claim (with the batch claimed with it: one transaction for all), wait for a
        free slot (in claim order), then deliver; once stopping, give it back. A claim that
        waited for its slot longer than :data:`FRESH_FOR` or a lease renewal (on the loop's
        clock or the worker's) is checked again just before its send: a send always starts
        while the lease its check took is still ours, and honours opt-outs at most a second
        older than its turn."""
        assert delivery.id is not None
        generation = self._generation  # before the check's read: a change during it counts
        found = await self._checked(delivery)
        checked_at = self._check_time(generation)
        if found is None:
            log.info("delivery taken over by another worker", extra={"delivery": delivery.id})
            return
        async with self._slots:
            if self._stopping:  # claimed while stop() ran: give it back too
                await self._give_back([(delivery.id, delivery.claim)], None)
                return
            self._sending.add(delivery.id)
            try:
                # inbound events go first (not before their own answers); one of them may
                # change who gets this (an opt-out): its turn before the claim's check is
                # judged fresh, not after
                if delivery.action.get("type") not in ANSWERS:
                    await self.foreground.turn()
                if self._checked_long_ago(checked_at):
                    found = None  # checked again now
                await self._deliver(delivery, found)
            finally:
                self._sending.discard(delivery.id)

    def _check_time(self, generation: int) -> tuple[float, datetime, int]:
        """When a claim was checked: on the event loop's clock and on the worker's (the one
        leases are measured by: another worker takes a claim over once it has passed), and
        under which of this process's changes."""
        return asyncio.get_running_loop().time(), self._clock(), generation

    def _checked_long_ago(self, checked_at: tuple[float, datetime, int]) -> bool:
        """Whether a claim checked at ``checked_at`` must be checked again before its send:
        something changed here since, or longer ago than ``_recheck_after`` on either clock (a
        wall clock that jumps ahead lapses leases the loop's clock never saw pass)."""
        loop_then, clock_then, generation = checked_at
        if generation != self._generation:
            return True
        waited = max(
            asyncio.get_running_loop().time() - loop_then,
            (self._clock() - clock_then).total_seconds(),
        )
        return waited > self._recheck_after

    async def _give_back(
        self, claims: list[tuple[int, int]], previous: asyncio.Task[None] | None
    ) -> None:
        """Hand unstarted claims back (no attempt spent) so another worker sends them now; one
        transaction for all, retried a little (else their leases expire)."""
        me = asyncio.current_task()
        try:
            if previous is not None:
                await asyncio.wait([previous])
            for pause in (0.05, 0.2, 0.5, 1.0, None):
                try:
                    async with self._store.transaction() as tx:
                        await tx.outbox.release(claims)
                    return
                except Exception as exc:
                    if pause is None:
                        log.warning(
                            "claims not given back; their leases expire",
                            extra={"error": type(exc).__name__},
                        )
                        return
                    await asyncio.sleep(pause)
        finally:
            if self._giving_back is me:
                self._giving_back = None

    async def _deliver(self, delivery: Claimed, found: Prepared | None = None) -> None:
        """Send and record; ``found``: its claim's check (made now when not given)."""
        assert delivery.id is not None
        if found is None:
            found = await self._checked(delivery)
        if found is None:
            log.info("delivery taken over by another worker", extra={"delivery": delivery.id})
            return
        workspace, member, group = found
        try:
            verdict = self._verdict(delivery, workspace, member, group)
        except Exception as exc:
            # A fault of ours, the same on every attempt: record it, never leave the row to be
            # claimed again and again (the recipient's later messages wait behind it).
            log.error(
                "delivery could not be prepared",
                extra={"delivery": delivery.id, "error": type(exc).__name__},
            )
            verdict = SendOutcome("permanent", error=f"could not prepare ({type(exc).__name__})")
        if isinstance(verdict, str):
            await self._finish(delivery, "skipped", verdict)
            return
        if isinstance(verdict, tuple):
            sent = await self._send(delivery, *verdict)
            if sent is None:  # stopping before it started: it goes back, no attempt spent
                await self._give_back([(delivery.id, delivery.claim)], None)
                return
            verdict = sent
        await self._record(delivery, verdict)

    async def _checked(self, delivery: Claimed) -> Prepared | None:
        """Before its send: the claim renewed for it, and whom it goes to (None: the claim is
        not ours any more). Claims checked at the same moment (a claimed batch, sends starting
        together) are checked in one transaction."""
        done: asyncio.Future[Prepared | None] = asyncio.get_running_loop().create_future()
        self._checks.append((delivery, done))
        if self._checker is None:
            self._checker = asyncio.create_task(self._check_claims(), name="delivery-checks")
        return await done

    async def _check_claims(self) -> None:
        try:
            while self._checks:
                await asyncio.sleep(0)  # let the sends of the same moment join
                batch, self._checks = self._checks, []
                deliveries = [delivery for delivery, _ in batch]
                try:
                    found = await _rerun_conflicts(partial(self._prepare, deliveries))
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for delivery, done in batch:
                    if not done.done():
                        done.set_result(found.get(delivery.id or 0))
        finally:
            self._checker = None

    async def _prepare(self, deliveries: list[Claimed]) -> dict[int, Prepared]:
        """Renew the claims for these sends and read whom they go to; those not ours are left
        out."""
        async with self._store.transaction() as tx:
            # Fencing: a claim is ours while the row is in flight under our claim number;
            # renew the lease for this send (a claim can wait a little before it starts).
            # (one statement: the fence and the renewal together)
            claims = [(d.id, d.claim) for d in deliveries if d.id is not None]
            held = await tx.outbox.hold(claims, self._clock() + self._lease)
            ours = [d for d in deliveries if d.id in held]
            found: dict[int, Prepared] = {}
            for workspace_id in sorted({d.workspace_id for d in ours}):
                workspace = await tx.directory.workspace_by_id(workspace_id)
                mine = [d for d in ours if d.workspace_id == workspace_id]
                people = {d.recipient for d in mine} | {u for d in mine for u in _group_of(d)}
                members = await tx.directory.members_by_user_id(workspace_id, sorted(people))
                for delivery in mine:
                    group = {u: members[u] for u in _group_of(delivery) if u in members}
                    found[delivery.id or 0] = (workspace, members.get(delivery.recipient), group)
        return found

    def _verdict(
        self,
        delivery: Claimed,
        workspace: Workspace | None,
        member: Member | None,
        group: Mapping[str, Member],
    ) -> SendOutcome | str | tuple[str, str, Action]:
        """What to do before any send: an outcome already known, a reason to skip the message
        now, or (platform, workspace id, action) to send. A message to a group goes to those
        of it who may still get it (each delivery of the group reads the same, so they agree
        on who is in it — and on its first member, who carries it where the platform sends
        one message for all: Slack's group DM)."""
        if workspace is None:
            return SendOutcome("permanent", error="workspace is gone")
        if member is not None and member.unreachable:
            return SendOutcome("blocked", error="member blocked the bot")
        if member is not None and delivery.playbook is not None:
            reason = not_now(member, delivery.playbook, self._clock())
            if reason:
                return reason
        try:
            action = action_from_dict(delivery.action)
        except Exception:  # an unknown type, a missing or misshapen field, a nested one...
            return SendOutcome("permanent", error="unreadable action")
        if isinstance(action, MessageGroup) and delivery.playbook is not None:
            now = self._clock()
            kept = tuple(
                u
                for u in action.user_ids
                if (m := group.get(u)) is None
                or not (m.unreachable or not_now(m, delivery.playbook, now))
            )
            if len(kept) < 2:
                return "the rest of the group can no longer be reached"
            action = replace(action, user_ids=kept)
        return workspace.platform, workspace.external_id, action

    async def _send(
        self, delivery: Claimed, platform: str, external_id: str, action: Action
    ) -> SendOutcome | None:
        """Send (once the platform has a free slot); None: stopping before it could start."""
        sender = self._senders.get(platform)
        if sender is None:
            return SendOutcome("permanent", error=f"no sender for platform {platform!r}")
        slots = self._slots_of(platform, sender)
        if slots is None:
            return await self._send_now(sender, platform, external_id, action)
        # Waiting for the platform, it has not started: a stop gives it back meanwhile.
        delivery_id = delivery.id or 0
        self._sending.discard(delivery_id)
        if self._stopping and slots.locked():
            return None
        async with slots:
            self._sending.add(delivery_id)
            return await self._send_now(sender, platform, external_id, action)

    def _slots_of(self, platform: str, sender: Sender) -> asyncio.Semaphore | None:
        """The platform's own limit of sends at once (a sender's ``max_in_flight``), if any."""
        slots = self._platform_slots.get(platform)
        limit = getattr(sender, "max_in_flight", None)
        if slots is None and isinstance(limit, int) and limit < self._concurrency:
            slots = self._platform_slots[platform] = asyncio.Semaphore(max(1, limit))
        return slots

    async def _send_now(
        self, sender: Sender, platform: str, external_id: str, action: Action
    ) -> SendOutcome:
        try:
            async with asyncio.timeout(self._send_timeout):
                return await sender.send(WorkspaceRef(platform, external_id), action)  # type: ignore[arg-type]
        except TimeoutError:
            log.warning("send timed out; will retry", extra={"platform": platform})
            return SendOutcome("retry", error="timeout")
        except Exception as exc:
            # The exception's text may quote the platform's answer or the message: keep it out
            # of the row and the log; its type says enough to look further.
            log.warning(
                "sender raised; will retry",
                extra={"platform": platform, "error": type(exc).__name__},
            )
            return SendOutcome("retry", error=f"unexpected error ({type(exc).__name__})")

    async def _record(self, delivery: Claimed, outcome: SendOutcome) -> None:
        """Record an outcome; returns once committed (the claim stays ours, its lease renewed,
        until then). Outcomes that arrive while a commit is under way are recorded together in
        the next one (completions are batched)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append(_Pending(delivery, outcome, done))
        if len(self._recorders) < RECORDERS:
            recorder = asyncio.create_task(self._record_outcomes(), name="delivery-outcomes")
            self._recorders.add(recorder)
        await done

    async def _record_outcomes(self) -> None:
        """Commit the outcomes waiting, batch after batch. A batch that fails (a lost
        connection, a deadlock) is tried again with backoff for ``record_for`` seconds: fencing
        makes that safe, and its claims are renewed meanwhile, so nothing is sent twice."""
        loop = asyncio.get_running_loop()
        pause = 0.05
        try:
            while self._outcomes:
                await asyncio.sleep(0)  # let outcomes of the same moment join
                if not self._outcomes:  # the other recorder took them meanwhile
                    break
                batch, self._outcomes = self._outcomes, []
                try:
                    failed = await self._apply_outcomes(batch)
                    error: BaseException | None = None
                except Exception as exc:
                    failed, error = batch, exc
                for entry in batch:
                    if entry not in failed and not entry.done.done():
                        entry.done.set_result(None)
                if not failed:
                    pause = 0.05
                    continue
                now = loop.time()
                retried = []
                for entry in failed:
                    if entry.failing_since is None:
                        entry.failing_since = now
                    if now - entry.failing_since < self._record_for:
                        retried.append(entry)
                    elif not entry.done.done():
                        entry.done.set_exception(error or RuntimeError("outcome not recorded"))
                log.warning(
                    "delivery outcomes not recorded; retrying",
                    extra={
                        "count": len(retried),
                        "error": type(error).__name__ if error else "row failed",
                    },
                )
                if retried:
                    await asyncio.sleep(pause)
                    pause = min(2.0, pause * 2)
                    self._outcomes = retried + self._outcomes
        finally:
            self._recorders.discard(asyncio.current_task())

    async def _apply_outcomes(self, batch: list[_Pending]) -> list[_Pending]:
        """Record a batch in one transaction: returns the entries whose row failed (the others
        are committed). Tried at once for all rows; if one row fails, the batch is recorded
        again with each row in its own savepoint, so that only that row fails."""
        try:
            return await self._apply_outcomes_once(batch, isolated=False)
        except Exception:
            return await self._apply_outcomes_once(batch, isolated=True)

    async def _apply_outcomes_once(
        self, batch: list[_Pending], *, isolated: bool
    ) -> list[_Pending]:
        now = self._clock()
        failed: list[_Pending] = []
        async with self._store.transaction() as tx:
            if not isolated:  # a failure here or at commit: the batch again, isolated
                await self._write_outcomes(tx, batch, now)
                return failed
            for entry in batch:
                try:
                    async with tx.session.begin_nested():
                        await self._write_outcomes(tx, [entry], now)
                except Exception as exc:
                    # rolled back to the savepoint: this row only
                    failed.append(entry)
                    log.warning(
                        "delivery outcome not recorded",
                        extra={"delivery": entry.delivery.id, "error": type(exc).__name__},
                    )
        return failed

    async def _write_outcomes(self, tx: Transaction, batch: list[_Pending], now: datetime) -> None:
        """Record the outcomes of ``batch``: their rows in one statement, fenced (a claim
        another worker took over since is left alone), then what some outcomes do besides
        (a channel post joins its history, a member who blocked the bot is marked…)."""
        settled = [self._settled(entry.delivery, entry.outcome, now) for entry in batch]
        recorded = await tx.outbox.settle(settled)
        working: set[int] = set()  # workspaces whose credentials a send just proved good
        refused: set[int] = set()
        for entry, values in zip(batch, settled, strict=True):
            if entry.delivery.id not in recorded:
                log.warning(
                    "delivery outcome dropped: claim lost", extra={"delivery": entry.delivery.id}
                )
                continue
            await self._then(tx, entry, values, now)
            if entry.outcome.status == "sent":
                working.add(entry.delivery.workspace_id)
            elif entry.outcome.status == "unauthorized":
                refused.add(entry.delivery.workspace_id)
        # a workspace marked revoked (by any process, at any time) is active again once a send
        # goes through; in the database, in this transaction: nothing kept in memory can be
        # lost with a transaction that fails. One refused in this batch stays revoked.
        await tx.directory.revive(working - refused)

    def _settled(self, delivery: Claimed, outcome: SendOutcome, now: datetime) -> Settled:
        """The row's new values for ``outcome`` (the attempts the claim saw are the row's while
        the claim holds: the fence, on the claim's number, records nothing otherwise)."""
        key, claim, attempts = delivery.id or 0, delivery.claim, delivery.attempts
        error = outcome.error[:500] if outcome.error else None
        if outcome.status == "sent":
            return Settled(
                key, claim, "sent", error, sent_at=now, platform_ref=outcome.platform_ref
            )
        if outcome.status == "deferred":
            # not attempted (pacing), or refused before any work (a rate limit): no attempt
            wait = self._policy.delay(attempts, outcome.retry_after or 1.0, self._rng)
            later = now + timedelta(seconds=wait)
            return Settled(key, claim, "pending", error, attempts - 1, next_attempt_at=later)
        if outcome.status == "retry" and attempts < self._policy.max_attempts:
            wait = self._policy.delay(attempts, outcome.retry_after, self._rng)
            later = now + timedelta(seconds=wait)
            return Settled(key, claim, "pending", error, next_attempt_at=later)
        if outcome.status == "retry":
            return Settled(key, claim, "dead", error)
        if outcome.status == "blocked":
            return Settled(key, claim, "blocked", error)
        if outcome.status == "unauthorized":
            # held, not lost: retried every ``held_for`` seconds until the credentials work
            later = now + timedelta(seconds=self._policy.held_for)
            return Settled(key, claim, "pending", error, attempts - 1, next_attempt_at=later)
        return Settled(key, claim, "failed", error)

    async def _then(self, tx: Transaction, entry: _Pending, values: Settled, now: datetime) -> None:
        """What a recorded outcome does besides its row (and says in the log)."""
        delivery, outcome = entry.delivery, entry.outcome
        if outcome.status == "sent":
            if _may_be_kept(delivery, outcome.platform_ref):
                row = await tx.outbox.get(delivery.id or 0)  # as it is now (erased meanwhile?)
                if row is not None:
                    await _record_bot_post(tx, row, outcome.platform_ref, now)
                    await remember_post(tx, row, outcome.platform_ref, now)
        elif values.status == "pending" and outcome.status == "retry":
            log.warning(
                "delivery will be retried",
                extra={
                    "delivery": delivery.id,
                    "attempt": delivery.attempts,
                    "wait_s": round((values.next_attempt_at - now).total_seconds(), 2),
                    "error": values.last_error,
                },
            )
        elif values.status == "dead":
            log.error(
                "delivery dead-lettered",
                extra={"delivery": delivery.id, "error": values.last_error},
            )
        elif outcome.status == "blocked":
            await tx.directory.mark_unreachable(delivery.workspace_id, delivery.recipient)
        elif outcome.status == "unauthorized":
            workspace = await tx.directory.workspace_by_id(delivery.workspace_id)
            if workspace is not None:
                workspace.status = "revoked"
            log.error("workspace credentials refused; workspace marked revoked, sends held")
        elif values.status == "failed":
            log.error(
                "delivery failed permanently",
                extra={"delivery": delivery.id, "error": values.last_error},
            )

    async def _finish(self, delivery: Claimed, status: str, reason: str) -> None:
        await _rerun_conflicts(lambda: self._finish_once(delivery, status, reason))

    async def _finish_once(self, delivery: Claimed, status: str, reason: str) -> None:
        async with self._store.transaction() as tx:
            row = await tx.outbox.get(delivery.id or 0, lock=True)
            if row is not None and (row.status, row.claim) == ("in_flight", delivery.claim):
                row.status, row.last_error, row.lease_until = status, reason, None


def _may_be_kept(delivery: Claimed, platform_ref: str | None) -> bool:
    """Whether a sent delivery may have more to record than its row: a post in a channel (it
    may join the channel's history) or a post a run remembers."""
    if not platform_ref:
        return False
    return bool(
        seeing.may_record_bot_post(delivery, platform_ref) or delivery.action.get("remember")
    )


async def _record_bot_post(
    tx: Transaction, row: Delivery, platform_ref: str | None, now: datetime
) -> None:
    """The bot's post in a community's channel joins its history (replies to it count) — in
    a savepoint of its own: failing to record it never makes the send count as unsent. Other
    posts (DMs: nearly all of a fan-out) open none: a savepoint flushes the batch's rows one
    by one and costs two round trips each."""
    if not seeing.may_record_bot_post(row, platform_ref):
        return
    try:
        async with tx.session.begin_nested():
            await seeing.record_bot_post(tx, row, platform_ref, now)
    except Exception:
        log.exception("the bot's post could not be recorded", extra={"delivery": row.id})


async def _rerun_conflicts(work: Callable[[], Awaitable[T]], tries: int = 4) -> T:
    """Run a transaction again when PostgreSQL chose it as a deadlock or serialization victim
    (it was rolled back whole, so running it again is safe)."""
    for attempt in range(1, tries + 1):
        try:
            return await work()
        except Exception as exc:
            if attempt == tries or not conflicted(exc):
                raise
            await asyncio.sleep(0.02 * attempt)
    raise AssertionError("unreachable")
