"""The community report at scale (issue 11 §4): a year of history, 1,000,000 activity rows of
10,000 members in 50 communities (200 members each), and ``animateur report``'s reading and
computing for one community, against a peer measured in the same run on the same database — a
bare ``SELECT COUNT(DISTINCT user_id)`` over the same 28 days of raw history, the least any
"active members" figure can cost without rollups. Target: a report within 200 ms.

Then an inbound event (a member's post, through the dispatcher) timed alone and while another
process makes reports back to back, as ``animateur report`` would: on SQLite a report's
deferred transaction never takes the write lock, so the event does not wait for it.

The history is bulk-inserted (``INSERT … SELECT``): every fourth row a reply, every fourth a
reaction, one top-level post in ten a question (four in five answered after 30 minutes); the
rollups the bot keeps at ingest are derived from it in SQL, as the migration does. Everyone
joined a year ago but one member in 25, who joined in the last 28 days.

Usage: ``python -m bench.pulse [--rows 1000000] [--repeat 20]``; set
``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL too (in the schema ``bench_pulse``,
re-created each run).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.history import database_version
from bot.runtime.clock import ManualClock
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.pulse_report import community_report
from bot.vocabulary import events as ev
from playbooks.engine import Engine
from playbooks.loader import load_library
from storage.database import make_engine, upgrade
from storage.store import Store
from storage.tables import Community

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WORKSPACE = ev.WorkspaceRef("local", "bench")
MEMBERS = 10_000
COMMUNITIES = 50
TARGET_MS = 200.0
YEAR = timedelta(days=365)

#: dialect → SQL pieces: the rows ``i`` 0..n-1, a row's time, a day, the lesser and greater
SQL = {
    "sqlite": {
        "head": "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq "
        "WHERE i + 1 < :n) ",
        "from": "FROM seq",
        "user": "'U-' || printf('%05d', {m})",
        "when": "strftime('%Y-%m-%d %H:%M:%S', :t0, '-' || CAST(CAST(i * :every AS INTEGER) "
        "AS TEXT) || ' seconds') || '.000000'",
        "plus30": "strftime('%Y-%m-%d %H:%M:%S', occurred_at, '+30 minutes') || '.000000'",
        "ago": "strftime('%Y-%m-%d %H:%M:%S', :t0, '-' || CAST({s} AS TEXT) || ' seconds') "
        "|| '.000000'",
        "day": "date(occurred_at)",
        "least": "min",
        "greatest": "max",
    },
    "postgresql": {
        "head": "",
        "from": "FROM generate_series(0, :n - 1) AS seq(i)",
        "user": "'U-' || lpad(({m})::text, 5, '0')",
        "when": "CAST(:t0 AS timestamptz) - make_interval(secs => i * :every)",
        "plus30": "occurred_at + interval '30 minutes'",
        "ago": "CAST(:t0 AS timestamptz) - make_interval(secs => {s})",
        "day": "CAST(occurred_at AT TIME ZONE 'UTC' AS date)",
        "least": "LEAST",
        "greatest": "GREATEST",
    },
}


SCHEMA = "bench_pulse"


def open_store(url: str) -> Store:
    """The bench's database: the SQLite file, or the PostgreSQL schema."""
    if url.startswith("sqlite"):
        return Store(make_engine(url))
    return Store(make_engine(url, connect_args={"server_settings": {"search_path": SCHEMA}}))


async def fresh_store(url: str) -> Store:
    if url.startswith("postgresql"):
        admin = make_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await admin.dispose()
    store = open_store(url)
    await upgrade(store.engine)
    return store


async def load(store: Store, rows: int) -> None:
    """The workspace, its communities, members, history and the rollups kept from it."""
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WORKSPACE, NOW, "Bench")
        assert workspace.id == 1
        for c in range(COMMUNITIES):
            await tx.directory.add_community(
                Community(
                    workspace_id=1,
                    channel_id=f"C{c:02}",
                    name=f"Community {c}",
                    sponsors=[f"U-{c:05}"],
                    facilitators=[f"U-{c + COMMUNITIES:05}"],
                    created_at=NOW - YEAR,
                )
            )
    dialect = store.engine.dialect.name
    sql = SQL[dialect]
    per = MEMBERS // COMMUNITIES
    t0 = NOW.strftime("%Y-%m-%d %H:%M:%S") if dialect == "sqlite" else NOW
    every = YEAR.total_seconds() / rows
    params = {"n": rows, "t0": t0, "every": every, "k": COMMUNITIES, "per": per}
    # row i: community i % k; its author the community's member (i / k * 7919) % per; a
    # reply's or a reaction's other person the next member of the community
    c, j = "(i % :k)", "((i / :k) * 7919 % :per)"
    author = sql["user"].format(m=f"{j} * :k + {c}")
    other = sql["user"].format(m=f"(({j} + 1) % :per) * :k + {c}")
    kind = "CASE WHEN i % 4 = 3 THEN 'reaction_added' ELSE 'message_posted' END"
    recent = sql["ago"].format(s="(i % 28) * 86400 + 3600")
    joined_long_ago = sql["ago"].format(s=str(int((YEAR + timedelta(days=35)).total_seconds())))
    async with store.engine.begin() as connection:
        await connection.execute(
            text(
                f"{sql['head']}INSERT INTO member (workspace_id, user_id, display_name,"
                " opted_out_all, opted_out, unreachable, updated_at) "
                f"SELECT 1, {sql['user'].format(m='i')}, 'Member', false, '[]', false, :t0 "
                f"{sql['from']}"
            ),
            {**params, "n": MEMBERS},
        )
        # one member in 25 joined in the last 28 days, the others a year ago
        await connection.execute(
            text(
                f"{sql['head']}INSERT INTO communitymember (workspace_id, community_id, user_id,"
                " present, last_seen_at, joined_at, present_since) "
                f"SELECT 1, i % :k + 1, {sql['user'].format(m='i')}, true, :t0, w, w FROM ("
                f"SELECT i, CASE WHEN (i / :k) % 25 = 7 THEN {recent} "
                f"ELSE {joined_long_ago} END AS w "
                f"{sql['from']}) AS joins"
            ),
            {**params, "n": MEMBERS},
        )
        await connection.execute(
            text(
                f"{sql['head']}INSERT INTO activityrecord (workspace_id, community_id, user_id,"
                " kind, channel, occurred_at, message_id, thread_id, parent_author, is_reply,"
                " reaction, target_id, target_author, is_question) "
                f"SELECT 1, {c} + 1, {author}, {kind}, 'C', {sql['when']}, 'p' || i,"
                " CASE WHEN i % 4 = 2 THEN 'p' || (i + :k * 4) END,"
                f" CASE WHEN i % 4 = 2 THEN {other} END, i % 4 = 2,"
                " CASE WHEN i % 4 = 3 THEN 'thumbsup' END,"
                " CASE WHEN i % 4 = 3 THEN 'p' || (i + :k * 4) END,"
                f" CASE WHEN i % 4 = 3 THEN {other} END,"
                " i % 4 < 2 AND (i / :k) % 10 = 0 "
                f"{sql['from']}"
            ),
            params,
        )
        day = sql["day"]
        await connection.execute(
            text(
                "INSERT INTO pulsememberday (community_id, user_id, day, posts, replies,"
                " reactions) "
                f"SELECT community_id, user_id, {day},"
                " SUM(CASE WHEN kind = 'message_posted' AND NOT is_reply THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN is_reply THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN kind = 'reaction_added' THEN 1 ELSE 0 END) "
                f"FROM activityrecord GROUP BY community_id, user_id, {day}"
            )
        )
        someone = "COALESCE(parent_author, target_author)"
        await connection.execute(
            text(
                "INSERT INTO pulsepair (community_id, day, member_a, member_b, interactions) "
                f"SELECT community_id, {day}, {sql['least']}(user_id, {someone}),"
                f" {sql['greatest']}(user_id, {someone}), COUNT(*) FROM activityrecord"
                f" WHERE {someone} IS NOT NULL GROUP BY community_id, {day},"
                f" {sql['least']}(user_id, {someone}), {sql['greatest']}(user_id, {someone})"
            )
        )
        # four questions in five answered after 30 minutes by the next member
        await connection.execute(
            text(
                "INSERT INTO pulsequestion (community_id, message_id, channel, asker, asked_at,"
                " first_answer_at, first_answer_by) "
                f"SELECT community_id, message_id, 'C', user_id, occurred_at,"
                f" CASE WHEN id % 5 <> 0 THEN {sql['plus30']} END,"
                " CASE WHEN id % 5 <> 0 THEN 'U-00000' END "
                "FROM activityrecord WHERE is_question"
            )
        )
    if dialect == "postgresql":
        async with store.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))


async def median_ms(work: Callable[[], Awaitable[object]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def bench(label: str, url: str, rows: int, repeat: int) -> None:
    store = await fresh_store(url)
    try:
        start = time.perf_counter()
        await load(store, rows)
        loaded = time.perf_counter() - start

        async def report() -> object:
            made = await community_report(store, WORKSPACE, "C01", NOW, weeks=12)
            assert made.indicators.figures["members"] == MEMBERS // COMMUNITIES
            return made

        peer_sql = text(
            "SELECT COUNT(DISTINCT user_id) FROM activityrecord WHERE community_id = 2"
            " AND occurred_at >= :start AND occurred_at < :end"
        )

        async def peer() -> object:
            async with store.read() as tx:
                window = {"start": NOW - timedelta(days=28), "end": NOW}
                if store.engine.dialect.name == "sqlite":
                    window = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in window.items()}
                return (await tx.session.execute(peer_sql, window)).scalar_one()

        await report()  # warm: statement caches, connections
        await peer()
        report_ms: list[float] = []
        peer_ms: list[float] = []
        for turn in range(repeat):
            for name in ("report", "peer") if turn % 2 else ("peer", "report"):
                into, work = (report_ms, report) if name == "report" else (peer_ms, peer)
                into.append(await median_ms(work, 1))
        inbound_alone, inbound_cpu, inbound_busy = await inbound(store, url, repeat)
    finally:
        await store.close()
    version = await database_version(url)
    reported, peered = statistics.median(report_ms), statistics.median(peer_ms)
    print(f"[{label}] {version}: {rows:,} rows loaded with their rollups in {loaded:.1f} s")
    print(
        f"[{label}] report of one community: {reported:.1f} ms (target <= {TARGET_MS:.0f} ms: "
        f"{'ok' if reported <= TARGET_MS else 'MISSED'}); peer COUNT(DISTINCT user_id) over "
        f"the same 28 days: {peered:.1f} ms; ratio {reported / peered:.2f}x"
    )
    print(
        f"[{label}] an inbound post: {inbound_alone:.1f} ms alone, {inbound_cpu:.1f} ms while "
        f"another process keeps a core busy (peer), {inbound_busy:.1f} ms while another "
        f"process makes reports back to back ({inbound_busy / inbound_cpu:.2f}x the peer)"
    )


async def inbound(store: Store, url: str, repeat: int) -> tuple[float, float, float]:
    """Median time of dispatching a member's post: alone; while another process keeps a core
    busy (the peer: the CPU a report takes elsewhere, no database); while another process (as
    ``animateur report`` is) makes reports back to back."""
    dispatcher = Dispatcher(store, Engine(load_library()), ManualClock(NOW))
    keys = count()

    async def post() -> object:
        n = next(keys)
        return await dispatcher.handle(
            ev.MessagePosted(
                workspace=WORKSPACE,
                key=f"bench-{n}",
                occurred_at=NOW,
                channel="C01",
                member=ev.MemberProfile(f"U-{(n % 200) * COMMUNITIES + 1:05}"),
                message_id=f"bench-{n}",
            )
        )

    await post()
    alone = await median_ms(post, repeat)
    context = multiprocessing.get_context("spawn")
    busy = []
    for target, args in ((spin_forever, ()), (report_forever, (url,))):
        stop, started = context.Event(), context.Event()
        other = context.Process(target=target, args=(*args, stop, started))
        other.start()
        try:
            await asyncio.to_thread(started.wait, 120)
            busy.append(await median_ms(post, repeat))
        finally:
            stop.set()
            await asyncio.to_thread(other.join, 60)
    return alone, busy[0], busy[1]


def spin_forever(stop: Any, started: Any) -> None:
    """In a process of its own: the CPU a report takes, without the database (the peer)."""
    started.set()
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def report_forever(url: str, stop: Any, started: Any) -> None:
    """In a process of its own: reports back to back until told to stop."""

    async def loop() -> None:
        store = open_store(url)
        try:
            while not stop.is_set():
                await community_report(store, WORKSPACE, "C01", NOW, weeks=12)
                started.set()
        finally:
            await store.close()

    asyncio.run(loop())


async def main(rows: int, repeat: int) -> None:
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        await bench("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'pulse.db'}", rows, repeat)
    pg = os.environ.get("ANIMATEUR_BENCH_DATABASE_URL")
    if pg:
        await bench("postgresql", pg, rows, repeat)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pulse", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="activity rows in a year")
    parser.add_argument("--repeat", type=int, default=20, help="timed reports per measure")
    found = parser.parse_args()
    if found.rows < 10_000:
        parser.error("--rows must be at least 10000")
    return found


if __name__ == "__main__":
    args = arguments()
    asyncio.run(main(args.rows, args.repeat))
