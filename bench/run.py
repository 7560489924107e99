"""Throughput of the inbound path, against the floor cost of the same database.

For N member joins: the dispatcher (dedupe + activity + run + 2 outbox rows, one transaction)
then the delivery worker sending to the local platform — compared with the peer measured in the
same run on the same database: one bare ``INSERT`` + commit per event, the least any durable
event handling can cost. The ratio says how many "bare commits" one handled event costs.
Also the pure engine, for scale. Usage: ``python -m bench.run [N]``; set
``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL too (its schema is wiped).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, text

from adapters.local.inbox import LocalInbox
from adapters.local.sender import LocalSender
from bench.common import fresh, machine
from bot.runtime.clock import utc_now
from bot.runtime.delivery import DeliveryWorker
from bot.runtime.demo import seed_demo
from bot.runtime.dispatcher import Dispatcher
from bot.vocabulary import events as ev
from playbooks.engine import CommunityContext, Engine, MemberContext, RunContext
from playbooks.loader import load_library
from storage.database import make_engine
from storage.store import Store


def bench_engine(n: int) -> float:
    engine = Engine(load_library())
    ctx = RunContext("r", CommunityContext("C", "Data", "x", "y"), MemberContext("U", "Ada"), "fr")
    now = datetime.now(UTC)
    start = time.perf_counter()
    for _ in range(n):
        engine.start("welcome", ctx, now)
    return n / (time.perf_counter() - start)


async def prepare(url: str) -> None:
    await fresh(url)


async def bench_floor(url: str, n: int) -> float:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (k VARCHAR(64))"))
    start = time.perf_counter()
    for i in range(n):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO bench_floor (k) VALUES (:k)"), {"k": str(i)})
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return n / elapsed


async def bench_dispatch(url: str, n: int) -> tuple[float, float]:
    store = Store(make_engine(url))
    await seed_demo(store, utc_now(), ["welcome"])
    inbox = LocalInbox()
    worker = DeliveryWorker(store, {"local": LocalSender(inbox, utc_now)}, utc_now)
    dispatcher = Dispatcher(store, Engine(load_library()), utc_now)
    workspace = ev.WorkspaceRef("local", "demo")
    start = time.perf_counter()
    for i in range(n):
        await dispatcher.handle(
            ev.MemberJoined(
                workspace=workspace,
                key=f"join-{i}",
                occurred_at=utc_now(),
                channel="C-data",
                member=ev.MemberProfile(f"U-{i}", f"Member {i}", "fr"),
            )
        )
    dispatched = time.perf_counter() - start
    start = time.perf_counter()
    sent = await worker.drain()
    delivered = time.perf_counter() - start
    await store.close()
    assert sent == 2 * n, f"expected {2 * n} deliveries, sent {sent}"
    return n / dispatched, sent / delivered


async def statements_per_event(url: str) -> dict[str, int]:
    """SQL statements one event costs (SQLite's BEGIN not counted): a member joining the
    community (the welcome starts), then a message in its channel, a member seen before."""
    await prepare(url)
    store = Store(make_engine(url))
    await seed_demo(store, utc_now(), ["welcome"])
    dispatcher = Dispatcher(store, Engine(load_library()), utc_now)
    workspace = ev.WorkspaceRef("local", "demo")
    counted: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            counted.append(statement)

    member = ev.MemberProfile("U-new", "New", "fr")
    events: dict[str, ev.Event] = {
        "member joins": ev.MemberJoined(
            workspace=workspace, key="j", occurred_at=utc_now(), channel="C-data", member=member
        ),
        "message in the community": ev.MessagePosted(
            workspace=workspace, key="m", occurred_at=utc_now(), channel="C-data", member=member
        ),
    }
    found = {}
    await dispatcher.handle(
        ev.MessagePosted(
            workspace=workspace, key="w", occurred_at=utc_now(), channel="C-data", member=member
        )
    )  # warm: connections, the member known
    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    for name, handled in events.items():
        counted.clear()
        await dispatcher.handle(handled)
        found[name] = len(counted)
    event.remove(store.engine.sync_engine, "before_cursor_execute", count)
    await store.close()
    return found


async def measure(label: str, url: str, n: int) -> None:
    for name, statements in (await statements_per_event(url)).items():
        print(f"[{label}] statements per event, {name}: {statements}")
    await prepare(url)
    floor = await bench_floor(url, n)
    events, sends = await bench_dispatch(url, n)
    print(f"[{label}] bare insert+commit (peer):  {floor:8.0f} /s")
    print(f"[{label}] dispatch member_joined:     {events:8.0f} /s  ({floor / events:.1f}x peer)")
    print(f"[{label}] delivery to local platform: {sends:8.0f} /s  ({floor / sends:.1f}x peer)")


async def main(n: int) -> None:
    print(machine())
    print(f"pure engine (welcome start): {bench_engine(n * 10):8.0f} transitions/s")
    with tempfile.TemporaryDirectory() as tmp:
        await measure("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", n)
    pg = os.environ.get("ANIMATEUR_BENCH_DATABASE_URL")
    if pg:
        await measure("postgresql", pg, n)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
