"""A check-in for every member of a 10,000-member community, fired while events keep arriving.

``animateur serve`` runs in a process of its own, Slack configured, its Web API a fake allowing 50
``chat.postMessage`` a second (bench/slack_fake.py). The community has N members (all in working
time, so every one is asked now and the check-in's DMs go out). Signed Slack messages in the
community's channel are offered at a steady rate (``--rate``, 50/s):

- **peer**: for ``--seconds`` with nothing else going on — the events' own latency;
- **the fire**: the check-in launched for every member, as ``checkin now`` records it (a launch
  the server's scheduler executes in chunks), while the same events keep coming until every
  member's run has started.

Targets: every run started within 60 s; the events' p99 meanwhile within 100 ms.

Usage: ``python -m bench.checkin_fire [--members N] [--rate R] [--seconds S]``; set
``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL too (its ``public`` schema is wiped).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from bench.common import (
    database_version,
    free_port,
    fresh,
    on_each_database,
    quiet,
    spawned,
    verdict,
)
from bench.ingress import COMMUNITY, animateur, server
from bench.load import TEAM, messages, offered
from bot.runtime.clock import utc_now
from bot.vocabulary.events import WorkspaceRef
from storage.database import make_engine
from storage.store import Store
from storage.tables import Community, CommunityMember, Member, RitualLaunch, Run

#: Targets: seconds until every run started; the events' p99 meanwhile (ms).
STARTED_WITHIN, P99_MS = 60.0, 100.0
FACILITATOR = "U0000000"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def seed(url: str, members: int) -> int:
    """The workspace, the community (check-in on, working time all day every day) and its
    members; returns the community's id."""
    await fresh(url)
    store = Store(make_engine(url))
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("slack", TEAM), NOW, "Acme")
        assert workspace.id is not None
        community = await tx.directory.add_community(
            Community(
                workspace_id=workspace.id,
                channel_id=COMMUNITY,
                name="Data",
                objective="share what works",
                facilitators=[FACILITATOR],
                working_hours="00:00-24:00",
                working_days=[0, 1, 2, 3, 4, 5, 6],
                created_at=NOW,
            )
        )
        assert community.id is not None
        await tx.directory.set_playbook(community.id, "checkin", True, NOW)
        workspace_id, community_id = workspace.id, community.id
    for start in range(0, members, 5000):
        users = [f"U{i:07d}" for i in range(start, min(members, start + 5000))]
        async with store.transaction() as tx:
            await tx.session.execute(
                insert(Member.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "workspace_id": workspace_id,
                        "user_id": user,
                        "display_name": f"Member {user}",
                        "locale": "fr-FR",
                        "timezone": "Europe/Paris",
                        "opted_out_all": False,
                        "opted_out": [],
                        "unreachable": False,
                        "updated_at": NOW,
                    }
                    for user in users
                ],
            )
            await tx.session.execute(
                insert(CommunityMember.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "workspace_id": workspace_id,
                        "community_id": community_id,
                        "user_id": user,
                        "present": True,
                        "last_seen_at": NOW,
                    }
                    for user in users
                ],
            )
    await store.close()
    return community_id


async def fire(url: str, community_id: int) -> int:
    """Record the check-in's launch for every member, as ``checkin now`` does."""
    store = Store(make_engine(url))
    async with store.transaction() as tx:
        launch = await tx.runs.request_launch(
            community_id, "checkin", utc_now(), requested_by=FACILITATOR
        )
        assert launch.id is not None
        launch_id = launch.id
    await store.close()
    return launch_id


async def wait_done(url: str, launch_id: int, done: asyncio.Event) -> tuple[float, int]:
    """Poll the launch until it is finished: (seconds from its request to its end, runs)."""
    engine = make_engine(url)
    try:
        while True:
            await asyncio.sleep(0.5)
            async with engine.connect() as connection:
                row = (
                    await connection.execute(
                        select(
                            RitualLaunch.status,  # type: ignore[arg-type]
                            RitualLaunch.created_at,
                            RitualLaunch.finished_at,
                        ).where(RitualLaunch.id == launch_id)
                    )
                ).one()
                runs = (
                    await connection.execute(
                        select(func.count()).select_from(Run).where(Run.playbook == "checkin")
                    )
                ).scalar_one()
            if row.status != "pending":
                done.set()
                return (row.finished_at - row.created_at).total_seconds(), int(runs)
    finally:
        await engine.dispose()


async def bench(label: str, database: str, members: int, rate: float, seconds: float) -> None:
    print(f"[{label}] {await database_version(database)}")
    community_id = await seed(database, members)
    port = free_port()
    fake = [sys.executable, "-m", "bench.slack_fake", "--port", str(port), "--rate", "50"]
    fake += ["--people", str(members)]  # the channel's roster, as the launch reads it
    with spawned(fake) as slack:
        base = f"http://127.0.0.1:{port}"
        await slack.healthy(base + "/healthz")
        command, env, port = animateur(base + "/api/", database)
        async with server(command, {**env, "ANIMATEUR_TICK_SECONDS": "1"}, port) as url:
            quiet_events = await offered(url, messages(COMMUNITY), rate=rate, seconds=seconds)
            done = asyncio.Event()
            launch_id = await fire(database, community_id)
            started = time.perf_counter()
            during, (took, runs) = await asyncio.gather(
                offered(url, messages(COMMUNITY), rate=rate, seconds=3600, stop=done),
                wait_done(database, launch_id, done),
            )
            waited = time.perf_counter() - started
    ok = took <= STARTED_WITHIN and runs == members
    print(
        f"[{label}] {members:,} members: {runs:,} check-in runs started in {took:.1f} s"
        f" (launch recorded to launch done; {waited:.1f} s seen from here)"
        f" (target <= {STARTED_WITHIN:.0f} s): {verdict(ok)}"
    )
    print(
        f"[{label}] events at {rate:.0f}/s, no fire (peer): {quiet_events.answered} answered,"
        f" p50 {quiet_events.p(0.5):.1f} ms, p99 {quiet_events.p(0.99):.1f} ms,"
        f" {quiet_events.failed} failed"
    )
    p99 = during.p(0.99)
    ratio = p99 / quiet_events.p(0.99) if quiet_events.p(0.99) else float("inf")
    print(
        f"[{label}] events at {rate:.0f}/s during the fire: {during.answered} answered,"
        f" p50 {during.p(0.5):.1f} ms, p99 {p99:.1f} ms ({ratio:.1f}x the peer's),"
        f" {during.failed} failed (target p99 <= {P99_MS:.0f} ms): {verdict(p99 <= P99_MS)}"
    )


async def main(members: int, rate: float, seconds: float) -> None:
    quiet()
    await on_each_database("fire", lambda label, url: bench(label, url, members, rate, seconds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.checkin_fire", description=__doc__)
    parser.add_argument("--members", type=int, default=10_000, help="members of the community")
    parser.add_argument("--rate", type=float, default=50.0, help="inbound events/s offered")
    parser.add_argument("--seconds", type=float, default=20.0, help="the peer's length")
    args = parser.parse_args()
    asyncio.run(main(args.members, args.rate, args.seconds))
