"""Reads that must not grow with history: App Home and the each-member roster, at 10k and at
1M activity rows.

One workspace, five communities, ``--members`` members (one of them the facilitator of the first
community, the one the check-in asks), one activity row a minute and a half going back in time
(1,000 a day: 10k rows are ten days, 1M rows nearly three years). Every member joined the first
community at the start of the history and posts in all five; the newest row of one member in
twenty is that they left. The rows are bulk-inserted (``INSERT … SELECT``), and who is in each
community is derived from them as the migration does for an existing database. Then, for each
size: a facilitator's App Home built (median of ``--repeat``) and the check-in roster read
(median of ``--repeat``). The peer is the same bot at the small size: the target is
≤ 1.2× its time at 1M rows.

Usage: ``python -m bench.history [--rows 1000000] [--members 1000] [--repeat 30]``; set
``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL too (in schemas ``bench_history_*``,
re-created each run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.runtime.demo import DEMO_CHANNEL, DEMO_WORKSPACE, seed_demo
from bot.runtime.home import build_home
from bot.runtime.roster import Rosters
from playbooks.loader import load_library
from storage.database import make_engine, upgrade
from storage.store import Store
from storage.tables import Community

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SMALL = 10_000
TARGET = 1.2
COMMUNITIES = 5
#: seconds between two activity rows: 1,000 rows a day
EVERY = 86

#: dialect → (the row numbers 0..n-1 as ``seq(i)``, a member's id, a row's time)
SQL = {
    "sqlite": (
        "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < :n) ",
        "CASE WHEN {m} = 0 THEN 'U-dan' ELSE 'U-m' || printf('%05d', {m}) END",
        "strftime('%Y-%m-%d %H:%M:%S', :t0, '-' || (i * :every) || ' seconds') || '.000000'",
    ),
    "postgresql": (
        "",
        "CASE WHEN {m} = 0 THEN 'U-dan' ELSE 'U-m' || lpad(({m})::text, 5, '0') END",
        "CAST(:t0 AS timestamptz) - make_interval(secs => i * :every)",
    ),
}
FROM = {"sqlite": "FROM seq", "postgresql": "FROM generate_series(0, :n - 1) AS seq(i)"}

#: who is in each community: their latest row decides (as migration 0011 derives it)
MEMBERSHIP = """
INSERT INTO communitymember (workspace_id, community_id, user_id, present, last_seen_at)
SELECT workspace_id, community_id, user_id, kind <> 'member_left', occurred_at
FROM (
    SELECT workspace_id, community_id, user_id, kind, occurred_at,
           ROW_NUMBER() OVER (
               PARTITION BY community_id, user_id ORDER BY occurred_at DESC, id DESC
           ) AS latest
    FROM activityrecord WHERE community_id IS NOT NULL
) ranked
WHERE latest = 1
"""


@dataclass(frozen=True, slots=True)
class Measure:
    rows: int
    load_s: float
    home_ms: float
    roster_ms: float
    roster_size: int


async def fresh_store(url: str, rows: int, tmp: Path) -> Store:
    """An empty, migrated database for one size: a SQLite file, or a PostgreSQL schema."""
    if url.startswith("sqlite"):
        engine = make_engine(f"sqlite+aiosqlite:///{tmp / f'history-{rows}.db'}")
    else:
        schema = f"bench_history_{rows}"
        admin = make_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await admin.dispose()
        engine = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    await upgrade(engine)
    return Store(engine)


async def load(store: Store, rows: int, members: int) -> None:
    """The workspace, its communities and members, then ``rows`` activity rows."""
    await seed_demo(store, NOW, ["welcome", "checkin"])
    async with store.transaction() as tx:
        for n in range(1, COMMUNITIES):
            await tx.directory.add_community(
                Community(workspace_id=1, channel_id=f"C-more{n}", name=f"More {n}", created_at=NOW)
            )
        ids = [c.id for c in await tx.directory.communities(1)]
    assert ids == list(range(1, COMMUNITIES + 1)), ids
    dialect = store.engine.dialect.name
    head, user, when = SQL[dialect]
    source = FROM[dialect]
    t0 = NOW.strftime("%Y-%m-%d %H:%M:%S") if dialect == "sqlite" else NOW
    params = {"n": rows, "m": members, "k": COMMUNITIES, "t0": t0, "every": EVERY}
    # newest rows first (i = 0 is now): each member's latest row, then posts, then the joins
    kind = (
        "CASE WHEN i >= :n - :m THEN 'member_joined' "
        "WHEN i < :m AND i % 20 = 19 THEN 'member_left' ELSE 'message_posted' END"
    )
    community = "CASE WHEN i < :m OR i >= :n - :m THEN 1 ELSE 1 + (i / :m) % :k END"
    async with store.engine.begin() as connection:
        await connection.execute(
            text(
                f"{head}INSERT INTO member (workspace_id, user_id, display_name, locale, timezone,"
                " opted_out_all, opted_out, unreachable, updated_at) "
                f"SELECT 1, {user.format(m='i')}, 'Member ' || i, 'fr-FR', 'Europe/Paris',"
                f" false, '[]', false, {when} {source} WHERE i BETWEEN 1 AND :m - 1"
            ),
            params,
        )
        await connection.execute(
            text(
                f"{head}INSERT INTO activityrecord (workspace_id, community_id, user_id, kind,"
                " channel, occurred_at) "
                f"SELECT 1, {community}, {user.format(m='i % :m')}, {kind}, NULL, {when} {source}"
            ),
            params,
        )
        await connection.execute(text(MEMBERSHIP))
    if dialect == "postgresql":  # what autovacuum does after a bulk load
        async with store.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))


class Subject:
    """One database of one size, and the two reads measured on it."""

    def __init__(self, store: Store, rows: int) -> None:
        self.store, self.rows = store, rows
        self.rosters = Rosters(store, {})
        self.playbooks = load_library()
        self.times: dict[str, list[float]] = {"home": [], "roster": []}

    async def home(self) -> None:
        async with self.store.transaction() as tx:
            workspace = await tx.directory.workspace(DEMO_WORKSPACE)
            member = await tx.directory.member(1, "U-dan")
            assert workspace is not None and member is not None
            built = await build_home(tx, workspace, member, self.playbooks, "en", NOW)
        assert len(built.sections) == COMMUNITIES + 3, "intro, communities, stop all, status"

    async def roster(self) -> int:
        return len(await self.rosters.known_members(DEMO_WORKSPACE, DEMO_CHANNEL))

    async def timed(self, name: str) -> None:
        start = time.perf_counter()
        await (self.home() if name == "home" else self.roster())
        self.times[name].append((time.perf_counter() - start) * 1000)

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])


async def measure(
    url: str, rows: int, members: int, repeat: int, tmp: Path
) -> tuple[Measure, Measure]:
    """Both sizes loaded, then timed in turns (small then large, large then small…) so that a
    busy machine weighs on both alike."""
    subjects = []
    loads = []
    for size in (SMALL, rows):
        store = await fresh_store(url, size, tmp)
        start = time.perf_counter()
        await load(store, size, members)
        loads.append(time.perf_counter() - start)
        subjects.append(Subject(store, size))
    for subject in subjects:  # warm: statement caches, connections
        assert await subject.roster() == members - members // 20, "members who left are out"
        await subject.home()
    for turn in range(repeat):
        for name in ("home", "roster"):
            for subject in subjects if turn % 2 else reversed(subjects):
                await subject.timed(name)
    found = [
        Measure(s.rows, load, s.median("home"), s.median("roster"), members - members // 20)
        for s, load in zip(subjects, loads, strict=True)
    ]
    for subject in subjects:
        await subject.store.close()
    return found[0], found[1]


async def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = make_engine(url)
    async with engine.connect() as connection:
        version = str((await connection.execute(text("SHOW server_version"))).scalar_one())
    await engine.dispose()
    return f"PostgreSQL {version}"


async def bench(label: str, url: str, rows: int, members: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, large = await measure(url, rows, members, repeat, Path(tmp))
    print(f"[{label}] {await database_version(url)}")
    print(f"[{label}] {'rows':>9} {'load s':>7} {'home ms':>8} {'roster ms':>10} members")
    for m in (small, large):
        print(
            f"[{label}] {m.rows:>9,} {m.load_s:>7.1f} {m.home_ms:>8.2f} {m.roster_ms:>10.2f}"
            f" {m.roster_size}"
        )
    for name, before, after in (
        ("App Home", small.home_ms, large.home_ms),
        ("roster", small.roster_ms, large.roster_ms),
    ):
        ratio = after / before
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(
            f"[{label}] {name} at {rows:,} rows: {ratio:.2f}x its time at {SMALL:,} rows"
            f" (target <= {TARGET}x): {verdict}"
        )


async def main(rows: int, members: int, repeat: int) -> None:
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        await bench(
            "sqlite",
            f"sqlite+aiosqlite:///{Path(tmp) / 'history-{rows}.db'}",
            rows,
            members,
            repeat,
        )
    pg = os.environ.get("ANIMATEUR_BENCH_DATABASE_URL")
    if pg:
        await bench("postgresql", pg, rows, members, repeat)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="the large history's rows")
    parser.add_argument("--members", type=int, default=1_000, help="members of the community")
    parser.add_argument("--repeat", type=int, default=30, help="timed builds per measure")
    found = parser.parse_args()
    if not 20 <= found.members <= SMALL // (COMMUNITIES + 2):  # everyone posts everywhere
        parser.error(f"--members must be between 20 and {SMALL // (COMMUNITIES + 2)}")
    if found.rows < SMALL:
        parser.error(f"--rows must be at least {SMALL}")
    return found


if __name__ == "__main__":
    args = arguments()
    asyncio.run(main(args.rows, args.members, args.repeat))
