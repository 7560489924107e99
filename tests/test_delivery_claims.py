"""A claim takes exactly the rows, in the order, that the per-recipient and per-run rules allow
(random queues, both databases; a second worker never takes a recipient's later row meanwhile);
an erased delivery's late outcome never lands on a new one; rows read by Core statements behave
as ORM-loaded instances (storage.loaded)."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.vocabulary.events import MemberProfile, WorkspaceRef
from storage.outbox import Settled
from storage.store import Store
from storage.tables import Delivery, Member
from tests.builders import T0

LEASE = timedelta(seconds=15)
NOW = T0 + timedelta(minutes=10)


async def _workspace(store: Store) -> int:
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("local", "w"), T0, "W")
        assert workspace.id is not None
        return workspace.id


def _oracle(rows: list[dict[str, Any]], limit: int, exclude: set[int], most: int) -> Any:
    """The claim as the old single SELECT made it: pending and due with no older unfinished
    row of its recipient or run, or in flight with a lapsed lease; by (next_attempt_at, id)."""
    unfinished = [r for r in rows if r["status"] in ("pending", "in_flight")]

    def ready(r: dict[str, Any]) -> bool:
        if r["status"] != "pending" or r["next_attempt_at"] > NOW:
            return False
        older = [u for u in unfinished if u["id"] < r["id"]]
        if any(u["recipient"] == r["recipient"] for u in older):
            return False
        return r["run_id"] is None or not any(u["run_id"] == r["run_id"] for u in older)

    def lapsed(r: dict[str, Any]) -> bool:
        return r["status"] == "in_flight" and r["lease_until"] < NOW

    due = sorted(
        (r for r in rows if r["id"] not in exclude and (ready(r) or lapsed(r))),
        key=lambda r: (r["next_attempt_at"], r["id"]),
    )[:limit]
    dead = {r["id"] for r in due if r["status"] == "in_flight" and r["attempts"] >= most}
    return [r["id"] for r in due if r["id"] not in dead], dead


class _Undo(Exception):
    pass


@pytest.mark.parametrize("seed", range(6))
async def test_a_claim_takes_the_rows_the_single_query_took(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    workspace_id = await _workspace(store)
    rows = []
    for _ in range(60):
        status = rng.choice(["pending"] * 4 + ["in_flight", "sent", "dead"])
        lease = None
        if status == "in_flight":
            lease = NOW + rng.choice([-1, 1]) * timedelta(seconds=rng.randint(1, 30))
        rows.append(
            {
                "workspace_id": workspace_id,
                "recipient": f"U{rng.randint(0, 8)}",
                "run_id": rng.choice([None, None, "r1", "r2", "r3"]),
                "action": {"type": "SendDirectMessage"},
                "status": status,
                "attempts": rng.randint(0, 4),
                "next_attempt_at": NOW + timedelta(seconds=rng.randint(-20, 5)),
                "lease_until": lease,
                "created_at": T0,
            }
        )
    async with store.transaction() as tx:
        await tx.session.execute(insert(Delivery.__table__), rows)  # type: ignore[attr-defined]
        stored = (await tx.session.execute(select(Delivery.__table__))).mappings().all()  # type: ignore[attr-defined]
    table = [dict(r) for r in stored]
    exclude = set(rng.sample([r["id"] for r in table], 5))
    for limit in (1, 3, 16):
        claimed: list[Any] = []
        with pytest.raises(_Undo):
            async with store.transaction() as tx:
                claimed = await tx.outbox.claim(NOW, limit, LEASE, exclude, max_attempts=3)
                after = (await tx.session.execute(select(Delivery.__table__))).mappings().all()  # type: ignore[attr-defined]
                raise _Undo
        want, dead = _oracle(table, limit, exclude, 3)
        assert [c.id for c in claimed] == want, (seed, limit)
        before = {r["id"]: r for r in table}
        for row in after:
            was = before[row["id"]]
            if row["id"] in dead:
                assert (row["status"], row["attempts"], row["claim"]) == (
                    "dead",
                    was["attempts"],
                    0,
                )
                assert row["last_error"] == f"abandoned mid-send {was['attempts']} times"
                assert row["lease_until"] is None
            elif row["id"] in want:
                assert (row["attempts"], row["claim"]) == (was["attempts"] + 1, 1)
                assert row["lease_until"] == NOW + LEASE
            else:
                assert dict(row) == was


async def _concurrent(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent claims are PostgreSQL's (SQLite writes one at a time)")


@pytest.mark.parametrize("lapsed", [False, True])
async def test_a_second_worker_never_claims_past_a_row_the_first_is_claiming(
    store: Store, database_url: str, lapsed: bool
) -> None:
    await _concurrent(database_url)
    workspace_id = await _workspace(store)
    first = {
        "workspace_id": workspace_id,
        "recipient": "U1",
        "action": {"type": "SendDirectMessage"},
        "status": "in_flight" if lapsed else "pending",
        "attempts": 1 if lapsed else 0,
        "next_attempt_at": NOW - timedelta(seconds=30),
        "lease_until": NOW - timedelta(seconds=1) if lapsed else None,
        "created_at": T0,
    }
    later = {**first, "status": "pending", "attempts": 0, "lease_until": None}
    later["next_attempt_at"] = NOW - timedelta(seconds=60)  # due earlier, but queued after
    other = {**later, "recipient": "U2", "next_attempt_at": NOW - timedelta(seconds=10)}
    async with store.transaction() as tx:
        table: Any = Delivery.__table__  # type: ignore[attr-defined]
        await tx.session.execute(insert(table), [first, later, other])
    holding, done = asyncio.Event(), asyncio.Event()

    async def worker_a() -> list[int]:
        async with store.transaction() as tx:
            taken = await tx.outbox.claim(NOW, 1, LEASE, (), max_attempts=5)
            holding.set()
            await done.wait()
            return [c.id for c in taken]

    a = asyncio.ensure_future(worker_a())
    await holding.wait()
    async with store.transaction() as tx:
        b = await tx.outbox.claim(NOW, 16, LEASE, (), max_attempts=5)
    done.set()
    taken_a = await a
    async with store.transaction() as tx:
        c = await tx.outbox.claim(NOW, 16, LEASE, (), max_attempts=5)
    # ids 1 (U1's first), 2 (U1's second), 3 (U2's)
    assert taken_a == [1]
    # (B may find U2's row still locked by A's claim: its ready part locked it, then the
    # lapsed row came first in the batch of 1 — it is taken by the next claim)
    assert 2 not in [d.id for d in b], "U1's second never before its first is done"
    assert [d.id for d in b + c] == [3], "nothing more is due while U1's first is in flight"


async def test_a_change_to_the_member_survives_an_upsert_of_them_later_in_the_transaction(
    store: Store,
) -> None:
    """The old ORM upsert autoflushed before it ran (then populated the instance from the row
    with the change in it); a Core statement does not autoflush, and refresh=True overwrites
    the unflushed change with the row's old values."""
    workspace_id = await _workspace(store)
    async with store.transaction() as tx:
        member = await tx.directory.upsert_member(workspace_id, MemberProfile("U1"), T0)
        assert not member.opted_out_all
    async with store.transaction() as tx:
        member = await tx.directory.upsert_member(workspace_id, MemberProfile("U1"), T0)
        member.opted_out_all = True  # e.g. "stop" handled, not flushed yet
        again = await tx.directory.upsert_member(workspace_id, MemberProfile("U1", "Ann"), T0)
        assert again is member
    async with store.transaction() as tx:
        stored = (
            await tx.session.execute(select(Member).where(Member.user_id == "U1"))
        ).scalar_one()
        assert stored.opted_out_all, "the opt-out was lost"


async def test_a_loaded_member_is_the_same_as_an_orm_loaded_one(store: Store) -> None:
    workspace_id = await _workspace(store)
    async with store.transaction() as tx:
        await tx.directory.upsert_member(workspace_id, MemberProfile("U1", "Ann"), T0)
    async with store.transaction() as tx:
        made = await tx.directory.upsert_member(workspace_id, MemberProfile("U1", "Ann"), T0)
        made_dict = {k: v for k, v in vars(made).items() if k != "_sa_instance_state"}
        pydantic = (made.__pydantic_fields_set__, made.__pydantic_private__)
    async with store.transaction() as tx:
        orm = (await tx.session.execute(select(Member).where(Member.user_id == "U1"))).scalar_one()
        orm_dict = {k: v for k, v in vars(orm).items() if k != "_sa_instance_state"}
        assert orm_dict == made_dict
        assert (orm.__pydantic_fields_set__, orm.__pydantic_private__) == pydantic
        assert made.updated_at.tzinfo is not None


async def test_a_workspace_expired_in_the_session_is_loaded_again_by_the_lookup(
    store: Store,
) -> None:
    """ORM loading fills in an instance's expired attributes when its row is read again;
    loaded() without refresh returns the instance as it is, expired: reading it then loads
    lazily (no IO allowed in asyncio: MissingGreenlet)."""
    await _workspace(store)
    async with store.transaction() as tx:
        workspace, _ = await tx.directory.workspace_with_community(WorkspaceRef("local", "w"), "C1")
        assert workspace is not None
        tx.session.expire(workspace)  # e.g. a savepoint rolled back, a refresh elsewhere
        again, _ = await tx.directory.workspace_with_community(WorkspaceRef("local", "w"), "C1")
        assert again is workspace
        assert again.name == "W"


async def test_a_late_outcome_of_an_erased_delivery_never_lands_on_a_new_one(store: Store) -> None:
    """The fence is (delivery id, claim number): on SQLite a deleted row's id is given again
    to the next row (no AUTOINCREMENT: max(rowid) + 1), whose first claim has number 1 too.
    A worker whose delivery was erased mid-send (the person asked to be forgotten) then
    records its outcome on someone else's message, claimed by another worker since."""
    workspace_id = await _workspace(store)
    dm = {"type": "SendDirectMessage", "user_id": "U1", "text": "Bonjour"}
    async with store.transaction() as tx:
        await tx.outbox.enqueue(workspace_id=workspace_id, action=dm, recipient="U1", now=T0)
    async with store.transaction() as tx:
        [mine] = await tx.outbox.claim(NOW, 16, LEASE)  # worker A, sending to U1
    async with store.transaction() as tx:
        workspace = await tx.directory.workspace_by_id(workspace_id)
        assert workspace is not None
        await tx.privacy.erase(workspace, "U1", NOW)  # U1 is forgotten meanwhile
    async with store.transaction() as tx:
        other = {**dm, "user_id": "U2"}
        await tx.outbox.enqueue(workspace_id=workspace_id, action=other, recipient="U2", now=NOW)
    async with store.transaction() as tx:
        [theirs] = await tx.outbox.claim(NOW, 16, LEASE)  # worker B, sending to U2
    async with store.transaction() as tx:  # A's send ends: its outcome
        late = Settled(mine.id, mine.claim, "sent", None, sent_at=NOW, platform_ref="D-U1:1")
        recorded = await tx.outbox.settle([late])
    async with store.transaction() as tx:
        row = await tx.outbox.get(theirs.id)
    assert row is not None and (row.status, row.platform_ref) == ("in_flight", None), (
        f"A's outcome for U1 written on U2's message {theirs.id} (A's was {mine.id})"
    )
    assert recorded == set()
