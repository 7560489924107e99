"""The outbox: deliveries waiting to be sent, claimed by workers with a lease."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    text,
    tuple_,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy import select as columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.privacy import NAMES, redacted
from storage.tables import TEXT_KEPT, Delivery, Workspace
from storage.types import UTCDateTime

FINAL = ("sent", "failed", "dead", "blocked", "skipped")
UNFINISHED = ("pending", "in_flight")

#: PostgreSQL's answers to a transaction that lost a race: deadlock, serialization failure
CONFLICTS = ("40P01", "40001")


def conflicted(error: BaseException) -> bool:
    """Whether ``error`` is a transaction that lost a race and may simply be run again."""
    original = getattr(error, "orig", None)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code in CONFLICTS


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One delivery to queue: the action (as stored), who it is for, its run if any, and the
    people it names."""

    action: dict[str, Any]
    recipient: str
    run_id: str | None = None
    playbook: str | None = None
    #: the people its text names besides the recipient (see :meth:`Outbox.enqueue`); None:
    #: not known (a community ritual's text may name anyone it counted) — a person's export
    #: and erasure then look for them in the text (``storage.privacy.names_person``)
    names: Collection[str] | None = ()


class _Keep:
    """A column an outcome leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery just claimed: what its worker needs to send it and to record its outcome
    (its claim number fences every write of that claim)."""

    id: int
    workspace_id: int
    run_id: str | None
    playbook: str | None
    recipient: str
    action: dict[str, Any]
    attempts: int
    claim: int


#: The columns a claim returns, in :class:`Claimed`'s order.
_CLAIMED = ("id", "workspace_id", "run_id", "playbook", "recipient", "action", "attempts", "claim")


@dataclass(frozen=True, slots=True)
class Settled:
    """An outcome to record: the claim (delivery id, its claim number) and the row's new
    values (:data:`KEEP`: unchanged)."""

    id: int
    claim: int
    status: str
    last_error: str | None
    new_attempts: Any = KEEP
    sent_at: Any = KEEP
    platform_ref: Any = KEEP
    next_attempt_at: Any = KEEP


def _fence(claims: Sequence[tuple[int, int]]) -> Any:
    """Rows still in flight under these claims (delivery id, claim number: each claim of a
    row takes the next one, so a number is never seen again once the row is claimed anew —
    unlike attempts, which a deferral or a release gives back)."""
    table: Any = Delivery.__table__  # type: ignore[attr-defined]
    return and_(table.c.status == "in_flight", tuple_(table.c.id, table.c.claim).in_(list(claims)))


def _locked(claims: Sequence[tuple[int, int]]) -> Any:
    """The ids of the rows still ours, locked in id order (as renewals and claims lock them:
    never a deadlock between one worker's own transactions)."""
    table: Any = Delivery.__table__  # type: ignore[attr-defined]
    return columns(table.c.id).where(_fence(claims)).order_by(table.c.id).with_for_update()


def _settling() -> Any:
    """One outcome written on its row (executed for many rows at once), fenced again; a
    column given None keeps its value (an outcome that sets none of it)."""
    table: Any = Delivery.__table__  # type: ignore[attr-defined]
    c = table.c
    return (
        update(table)
        .where(
            c.id == bindparam("key"),
            c.claim == bindparam("claimed"),
            c.status == "in_flight",
        )
        .values(
            status=bindparam("new_status"),
            attempts=func.coalesce(bindparam("new_attempts", type_=c.attempts.type), c.attempts),
            last_error=bindparam("new_error"),
            sent_at=func.coalesce(bindparam("new_sent_at", type_=c.sent_at.type), c.sent_at),
            platform_ref=func.coalesce(
                bindparam("new_ref", type_=c.platform_ref.type), c.platform_ref
            ),
            next_attempt_at=func.coalesce(
                bindparam("new_due", type_=c.next_attempt_at.type), c.next_attempt_at
            ),
            lease_until=None,
        )
    )


_SETTLE = _settling()


def _named(action: dict[str, Any], names: Collection[str] | None) -> dict[str, Any]:
    return action if names is None else {**action, NAMES: sorted(set(names))}


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def enqueue(
        self,
        *,
        workspace_id: int,
        action: dict[str, Any],
        recipient: str,
        now: datetime,
        run_id: str | None = None,
        playbook: str | None = None,
        names: Collection[str] = (),
    ) -> Delivery:
        """Queue ``action`` for ``recipient``. ``names``: the people its text names besides
        the recipient (recorded, so a person's export and erasure find exactly these)."""
        action = {**action, NAMES: sorted(set(names))}
        delivery = Delivery(
            workspace_id=workspace_id,
            run_id=run_id,
            playbook=playbook,
            recipient=recipient,
            action=action,
            next_attempt_at=now,
            created_at=now,
        )
        self._s.add(delivery)
        await self._s.flush()
        return delivery

    async def enqueue_all(
        self, outgoing: Sequence[Outgoing], *, workspace_id: int, now: datetime
    ) -> None:
        """Queue several deliveries in one statement, in this order (their ids rise with it)."""
        if not outgoing:
            return
        rows = [
            {
                "workspace_id": workspace_id,
                "run_id": out.run_id,
                "playbook": out.playbook,
                "recipient": out.recipient,
                "action": _named(out.action, out.names),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for out in outgoing
        ]
        await self._s.execute(insert(Delivery.__table__), rows)  # type: ignore[attr-defined]

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        exclude: Collection[int] = (),
        max_attempts: int | None = None,
    ) -> list[Claimed]:
        """Take due deliveries (and ones whose worker died mid-send) for ``lease``.

        Messages to one recipient go out in order, and so do the messages of one run (a card
        updated after a click before the next question, which has another recipient key): a
        delivery waits while an older one to the same recipient, or of the same run, is still
        pending or in flight. So a claim holds at most one delivery per recipient and per run,
        and their sends may run concurrently. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
        several workers claim disjoint batches. ``exclude``: rows the caller holds already
        (a lease it has not renewed yet is still its own). Each claim spends an attempt and
        takes the row's next claim number, which fences everything its worker writes after.

        A row whose lease lapsed after ``max_attempts`` attempts (its send kills the worker
        every time, or never records) is dead-lettered instead of handed out again, so the
        recipient's later messages go out.
        """
        table: Any = Delivery.__table__  # type: ignore[attr-defined]
        c, row, earlier = table.c, table.alias("candidate"), table.alias("earlier")
        unfinished = earlier.c.status.in_(UNFINISHED)
        older = earlier.c.id < row.c.id
        blocked_by_older = exists().where(
            earlier.c.workspace_id == row.c.workspace_id,
            earlier.c.recipient == row.c.recipient,
            older,
            unfinished,
        )
        run_unfinished = exists().where(earlier.c.run_id == row.c.run_id, older, unfinished)
        ready = and_(
            row.c.status == "pending",
            row.c.next_attempt_at <= now,
            ~blocked_by_older,
            or_(row.c.run_id.is_(None), ~run_unfinished),
        )
        lapsed = and_(row.c.status == "in_flight", row.c.lease_until < now)
        # Each kind read in the order of its index (status, next_attempt_at), up to ``limit``
        # rows: a claim never reads the whole queue (an OR of both would, then sort it).
        # Chosen once each (materialized: no plan runs a choice twice), then the first
        # ``limit`` of both.
        kinds = []
        for name, where in (("ready", ready), ("lapsed", lapsed)):
            kind = (
                columns(row.c.id, row.c.next_attempt_at)
                .where(where)
                .order_by(row.c.next_attempt_at, row.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            if exclude:
                kind = kind.where(row.c.id.not_in(list(exclude)))
            chosen = kind.cte(name).prefix_with("MATERIALIZED")
            kinds.append(columns(chosen.c.id, chosen.c.next_attempt_at))
        both = union_all(*kinds).subquery("due")
        due = columns(both.c.id).order_by(both.c.next_attempt_at, both.c.id).limit(limit)
        # one statement: each row taken is claimed, or dead-lettered if abandoned too often
        # (every SET reads the row as it was)
        taken: dict[str, Any] = {
            "status": "in_flight",
            # typed as the column (UTC on SQLite too), also inside a CASE below
            "lease_until": type_coerce(now + lease, c.lease_until.type),
            "attempts": c.attempts + 1,
            "claim": c.claim + 1,
        }
        if max_attempts is not None:
            dead = and_(c.status == "in_flight", c.attempts >= max_attempts)
            why = literal("abandoned mid-send ") + cast(c.attempts, String) + literal(" times")
            kept = {"status": "dead", "lease_until": None, "attempts": c.attempts, "claim": c.claim}
            taken = {key: case((dead, kept[key]), else_=value) for key, value in taken.items()}
            taken["last_error"] = case((dead, why), else_=c.last_error)
        statement = (
            update(table)
            .where(c.id.in_(due))
            .values(**taken)
            .returning(*(c[name] for name in _CLAIMED), c.status, c.next_attempt_at)
        )
        found = (await self._s.execute(statement)).all()
        found = sorted((r for r in found if r.status == "in_flight"), key=lambda r: (r[-1], r.id))
        return [Claimed(*r[: len(_CLAIMED)]) for r in found]

    async def renew(self, claims: Sequence[tuple[int, int]], until: datetime) -> int:
        """Push the leases of ``claims`` (delivery id, claim number) to ``until``; a row
        another worker took over since (another claim number) is left alone, and so is a row
        locked right now (its outcome is being recorded: it needs no renewal). Rows are locked
        in id order, never waited for, so a renewal cannot deadlock with a recorder.
        Returns how many leases were renewed."""
        if not claims:
            return 0
        mine = or_(*(and_(col(Delivery.id) == i, col(Delivery.claim) == c) for i, c in claims))
        locked = (
            select(col(Delivery.id))
            .where(col(Delivery.status) == "in_flight", mine)
            .order_by(col(Delivery.id))
            .with_for_update(skip_locked=True)
        )
        ids = list((await self._s.execute(locked)).scalars().all())
        if not ids:
            return 0
        statement = (
            update(Delivery)
            .where(col(Delivery.id).in_(ids))
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        await self._s.execute(statement)
        return len(ids)

    async def release(self, claims: Sequence[tuple[int, int]]) -> int:
        """Give back claims whose send never started: pending again, no attempt spent, due now
        (rows taken over since — another claim number — are left alone). Returns how many went
        back."""
        rows = await self.get_many([key for key, _ in claims], lock=True)
        released = 0
        for key, claim in claims:
            row = rows.get(key)
            if row is not None and (row.status, row.claim) == ("in_flight", claim):
                row.status, row.attempts, row.lease_until = "pending", row.attempts - 1, None
                released += 1
        await self._s.flush()
        return released

    async def hold(self, claims: Sequence[tuple[int, int]], until: datetime) -> set[int]:
        """Push the leases of ``claims`` (delivery id, claim number) to ``until`` — waiting
        for rows locked right now — in one statement; returns the ids still ours (a row taken
        over since, another claim number, or no longer in flight, is left alone)."""
        if not claims:
            return set()
        table: Any = Delivery.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id.in_(_locked(claims).scalar_subquery()), _fence(claims))
            .values(lease_until=until)
            .returning(table.c.id)
        )
        return set((await self._s.execute(statement)).scalars().all())

    async def settle(self, outcomes: Sequence[Settled]) -> set[int]:
        """Record outcomes of claims, each on its row only while the row is still in flight
        under that claim (fencing), the lease cleared: the rows still ours locked (one
        statement), then written (one statement for all, its shape the same whatever the
        batch: compiled once). Returns the ids recorded (the others were taken over since:
        nothing written to them)."""
        if not outcomes:
            return set()
        claims = [(o.id, o.claim) for o in outcomes]
        ours = set((await self._s.execute(_locked(claims))).scalars().all())
        rows = [
            {
                "key": o.id,
                "claimed": o.claim,
                "new_status": o.status,
                "new_attempts": None if o.new_attempts is KEEP else o.new_attempts,
                "new_error": o.last_error,
                "new_sent_at": None if o.sent_at is KEEP else o.sent_at,
                "new_ref": None if o.platform_ref is KEEP else o.platform_ref,
                "new_due": None if o.next_attempt_at is KEEP else o.next_attempt_at,
            }
            for o in outcomes
            if o.id in ours
        ]
        if rows:
            await self._s.execute(_SETTLE, rows)
        return ours

    async def get(self, delivery_id: int, *, lock: bool = False) -> Delivery | None:
        query = select(Delivery).where(Delivery.id == delivery_id)
        if lock:
            query = query.with_for_update()
        return (await self._s.execute(query)).scalar_one_or_none()

    async def get_many(self, ids: Collection[int], *, lock: bool = False) -> dict[int, Delivery]:
        """The deliveries with these ids (one statement), by id."""
        if not ids:
            return {}
        query = select(Delivery).where(col(Delivery.id).in_(list(ids))).order_by(col(Delivery.id))
        if lock:
            query = query.with_for_update()
        rows = (await self._s.execute(query)).scalars().all()
        return {row.id: row for row in rows if row.id is not None}

    async def forget_texts_before(self, cutoff: datetime, now: datetime, limit: int) -> int:
        """Erase the text of at most ``limit`` finished deliveries sent (or, never sent, made)
        before ``cutoff``: their action keeps only its kind. Pending ones keep theirs. Returns
        how many were erased (fewer than ``limit``: none left)."""
        ids: Any = (
            columns(col(Delivery.id))
            .where(
                text(TEXT_KEPT),  # finished, text kept: the partial index ix_delivery_text_kept
                col(Delivery.created_at) < cutoff,
                or_(col(Delivery.sent_at).is_(None), col(Delivery.sent_at) < cutoff),
            )
            .limit(limit)
            .scalar_subquery()
        )
        if self._s.get_bind().dialect.name == "sqlite":
            # SQLite's planner, without statistics, prefers (status, created_at): five ranges
            # that walk the ever-growing erased rows too
            ids = text(
                "SELECT id FROM delivery INDEXED BY ix_delivery_text_kept "
                f"WHERE {TEXT_KEPT} AND created_at < :cutoff "
                "AND (sent_at IS NULL OR sent_at < :cutoff) LIMIT :most"
            ).bindparams(bindparam("cutoff", cutoff, UTCDateTime()), bindparam("most", limit))
        found = await self._s.execute(
            columns(col(Delivery.id), col(Delivery.action)).where(col(Delivery.id).in_(ids))
        )
        by_kind: dict[str, list[int]] = {}
        for delivery_id, action in found.all():
            by_kind.setdefault(str(action.get("type")), []).append(delivery_id)
        for kind, same in by_kind.items():  # one statement per kind of message
            await self._s.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(same))
                .values(action=redacted({"type": kind}), text_erased_at=now)
            )
        return sum(len(same) for same in by_kind.values())

    async def list(self, status: str | None = None, limit: int = 200) -> Sequence[Delivery]:
        query = select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)
        if status is not None:
            query = query.where(Delivery.status == status)
        return (await self._s.execute(query)).scalars().all()

    # ---- Read-only views for /metrics and `animateur deliveries status` (metrics area) ----
    # Each read is bounded (LIMIT, or a count capped) and is a range of the index
    # ix_delivery_status_created (status, created_at): none grows with the outbox's history.

    async def count_by_status(self, statuses: Collection[str], cap: int) -> dict[str, int]:
        """How many deliveries are in each of ``statuses``, each count capped at ``cap``."""
        counts: dict[str, int] = {}
        for status in statuses:
            capped = (
                select(col(Delivery.status))
                .where(col(Delivery.status) == status)
                .limit(cap)
                .subquery()
            )
            found = await self._s.execute(select(func.count()).select_from(capped))
            counts[status] = int(found.scalar_one())
        return counts

    async def oldest_created(self, status: str) -> datetime | None:
        """When the oldest delivery in ``status`` was created (None: there is none)."""
        query = select(func.min(col(Delivery.created_at))).where(col(Delivery.status) == status)
        oldest: datetime | None = (await self._s.execute(query)).scalar_one()
        return oldest

    async def tally(
        self, statuses: Collection[str], since: datetime | None = None, limit: int = 500
    ) -> Sequence[Tally]:
        """Deliveries in ``statuses`` (created at or after ``since``) counted per workspace,
        ritual and status; at most ``limit`` groups."""
        query = (
            columns(
                col(Workspace.platform),
                col(Workspace.external_id),
                col(Workspace.name),
                col(Delivery.playbook),
                col(Delivery.status),
                func.count(),
            )
            .join(Workspace, col(Workspace.id) == col(Delivery.workspace_id))
            .where(col(Delivery.status).in_(list(statuses)))
            .group_by(
                col(Workspace.id),
                col(Workspace.platform),
                col(Workspace.external_id),
                col(Workspace.name),
                col(Delivery.playbook),
                col(Delivery.status),
            )
            .order_by(col(Workspace.platform), col(Workspace.external_id), col(Delivery.playbook))
            .limit(limit)
        )
        if since is not None:
            query = query.where(col(Delivery.created_at) >= since)
        rows = (await self._s.execute(query)).all()
        return [Tally(Place(p, w, n, pb), status, int(c)) for p, w, n, pb, status, c in rows]

    async def latest_in(self, status: str, limit: int) -> Sequence[DeadLetter]:
        """The ``limit`` latest deliveries in ``status``, newest first: where, to whom, how
        many attempts and why — never what the message said."""
        query = (
            columns(
                col(Delivery.id),
                col(Workspace.platform),
                col(Workspace.external_id),
                col(Workspace.name),
                col(Delivery.playbook),
                col(Delivery.recipient),
                col(Delivery.attempts),
                col(Delivery.created_at),
                col(Delivery.last_error),
            )
            .join(Workspace, col(Workspace.id) == col(Delivery.workspace_id))
            .where(col(Delivery.status) == status)
            .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc())
            .limit(limit)
        )
        rows = (await self._s.execute(query)).all()
        return [
            DeadLetter(i or 0, Place(p, w, n, pb), status, recipient, attempts, created, error)
            for i, p, w, n, pb, recipient, attempts, created, error in rows
        ]


@dataclass(frozen=True, slots=True)
class Place:
    """Where deliveries belong: a workspace and a ritual (None: not a ritual's, e.g. an answer
    to a command)."""

    platform: str
    workspace: str
    workspace_name: str
    playbook: str | None


@dataclass(frozen=True, slots=True)
class Tally:
    place: Place
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A delivery that will never be sent, and why (its last error)."""

    id: int
    place: Place
    status: str
    recipient: str
    attempts: int
    created_at: datetime
    reason: str | None
