"""Fan-out: N direct messages through the real delivery worker to a Slack Web API that limits.

The bot is built as ``animateur serve`` builds it (Slack configured, its sender timed for
/metrics); N direct messages to N members are queued in its outbox, then its delivery worker
sends them to a fake Slack Web API in a process of its own (bench/slack_fake.py):

- **throttled**: the fake allows R ``chat.postMessage`` a second and answers 429 + Retry-After
  beyond. The floor is N/R seconds; target: done within 1.05 × N/R, none lost, none twice;
- **unthrottled**: the fake allows everything; DMs a second, against the peer measured in the
  same run — a bare aiohttp client posting the same N messages to the same fake, as many at once
  as the worker sends (16). Target on PostgreSQL: at least 1,000 DMs/s.

Usage: ``python -m bench.fanout [--dms N] [--rate R]`` (N = 10,000 and R = 50 by default: the
throttled run takes N/R = 200 s); set ``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL too
(its ``public`` schema is wiped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientSession, TCPConnector
from sqlalchemy import func, select

from bench.common import (
    database_version,
    free_port,
    fresh,
    on_each_database,
    quiet,
    spawned,
    verdict,
)
from bench.load import SECRET, TEAM, TOKEN
from bot.app import Animateur, build
from bot.settings import Settings, SlackSettings
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from storage.outbox import Outgoing
from storage.tables import Delivery

#: Targets: completion against N/R; DMs a second unthrottled (PostgreSQL).
FLOOR_SHARE, UNTHROTTLED = 1.05, 1000.0
#: How many sends the worker (and so the peer) has under way at once.
CONCURRENCY = 16
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    seconds: float
    posted: int
    channels: int
    duplicates: int
    refused: int
    statuses: dict[str, int]

    def lost(self, n: int) -> int:
        return n - self.channels


@asynccontextmanager
async def fake_slack(rate: float | None) -> AsyncIterator[str]:
    """The fake's base URL, its process stopped on leaving."""
    port = free_port()
    command = [sys.executable, "-m", "bench.slack_fake", "--port", str(port)]
    if rate is not None:
        command += ["--rate", str(rate)]
    base = f"http://127.0.0.1:{port}"
    with spawned(command) as process:
        await process.healthy(base + "/healthz")
        yield base


async def stats(base: str) -> dict[str, Any]:
    async with ClientSession() as http, http.get(base + "/stats") as response:
        found: dict[str, Any] = json.loads(await response.text())
        return found


async def reset(base: str, rate: float | None) -> None:
    async with ClientSession() as http, http.post(base + "/reset", json={"rate": rate}):
        pass


def bot_for(database: str, base: str) -> Animateur:
    settings = Settings(
        database_url=database,
        playground=False,
        slack_api_url=base + "/api/",
        _env_file=None,  # type: ignore[call-arg]
    )
    slack = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)  # type: ignore[call-arg]
    return build(settings, slack=slack)


async def queue_dms(bot: Animateur, n: int) -> None:
    """N welcome-like DMs, one to each of N members, queued as a fan-out queues them."""
    async with bot.store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("slack", TEAM), NOW, "Acme")
        assert workspace.id is not None
        workspace_id = workspace.id
    for start in range(0, n, 1000):
        outgoing = [
            Outgoing(
                act.action_to_dict(
                    act.SendDirectMessage(user_id=f"U{i:07d}", text="Bienvenue / Welcome")
                ),
                f"U{i:07d}",
                None,
                "welcome",
            )
            for i in range(start, min(n, start + 1000))
        ]
        async with bot.store.transaction() as tx:
            await tx.outbox.enqueue_all(outgoing, workspace_id=workspace_id, now=NOW)


async def deliver(database: str, base: str, n: int, rate: float | None) -> Outcome:
    """Queue N DMs, run the worker until the fake took N posts (or none came for a minute)."""
    await fresh(database)
    await reset(base, rate)
    bot = bot_for(database, base)
    await queue_dms(bot, n)
    start = time.perf_counter()
    worker = asyncio.create_task(bot.worker.run(idle_poll=0.2))
    seen, quiet_since = -1, time.perf_counter()
    while True:
        await asyncio.sleep(0.05)
        taken = await stats(base)
        if taken["channels"] >= n:
            break
        if taken["posted"] != seen:
            seen, quiet_since = taken["posted"], time.perf_counter()
        elif time.perf_counter() - quiet_since > 60:
            break  # stuck: reported as lost
    elapsed = time.perf_counter() - start
    await asyncio.sleep(0.5)  # the last outcomes recorded
    bot.worker.stop()
    await asyncio.wait_for(worker, timeout=bot.worker.stop_budget)
    async with bot.store.transaction() as tx:
        rows = await tx.session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        statuses = {str(status): int(count) for status, count in rows.all()}
    assert bot.slack is not None
    await bot.slack.stop()
    await bot.store.close()
    taken = await stats(base)
    return Outcome(
        elapsed,
        taken["posted"],
        taken["channels"],
        taken["duplicates"],
        taken["refused"],
        statuses,
    )


async def peer(base: str, n: int) -> float:
    """A bare aiohttp client posting the same N messages, CONCURRENCY at once: DMs/s."""
    await reset(base, None)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"text": "Bienvenue / Welcome", "blocks": []}
    queue = iter(range(n))
    async with ClientSession(connector=TCPConnector(limit=CONCURRENCY)) as http:

        async def client() -> None:
            for i in queue:
                payload = {**body, "channel": f"U{i:07d}"}
                url = base + "/api/chat.postMessage"
                async with http.post(url, json=payload, headers=headers) as response:
                    await response.read()

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        return n / (time.perf_counter() - start)


def report(label: str, name: str, n: int, outcome: Outcome) -> str:
    return (
        f"[{label}] {name}: {n:,} DMs in {outcome.seconds:.1f} s ({n / outcome.seconds:.0f}/s);"
        f" lost {outcome.lost(n)}, duplicates {outcome.duplicates}, 429s {outcome.refused};"
        f" outbox {outcome.statuses}"
    )


async def bench(label: str, database: str, n: int, rate: float, unthrottled_n: int) -> None:
    print(f"[{label}] {await database_version(database)}")
    async with fake_slack(rate) as base:
        throttled = await deliver(database, base, n, rate)
        floor = n / rate
        share = throttled.seconds / floor
        print(report(label, f"throttled at {rate:.0f}/s", n, throttled))
        clean = throttled.lost(n) == 0 and throttled.duplicates == 0
        print(
            f"[{label}] throttled: {share:.3f}x the floor N/R = {floor:.0f} s (target <="
            f" {FLOOR_SHARE}x, 0 lost, 0 duplicates): {verdict(share <= FLOOR_SHARE and clean)}"
        )
        free = await deliver(database, base, unthrottled_n, None)
        bare = await peer(base, unthrottled_n)
    mine = unthrottled_n / free.seconds
    print(report(label, "unthrottled", unthrottled_n, free))
    print(f"[{label}] bare aiohttp client (peer): {bare:.0f} DMs/s")
    target = (
        f" (target >= {UNTHROTTLED:.0f}/s on PostgreSQL): {verdict(mine >= UNTHROTTLED)}"
        if label == "postgresql"
        else ""
    )
    print(f"[{label}] unthrottled: {mine:.0f} DMs/s, {mine / bare:.2f}x the peer's{target}")


async def main(n: int, rate: float, unthrottled_n: int) -> None:
    quiet()
    await on_each_database("fanout", lambda label, url: bench(label, url, n, rate, unthrottled_n))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--dms", type=int, default=10_000, help="DMs of the throttled run")
    parser.add_argument("--rate", type=float, default=50.0, help="posts/s the fake allows")
    parser.add_argument(
        "--unthrottled", type=int, default=None, help="DMs of the unthrottled run (default: --dms)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.dms, args.rate, args.unthrottled or args.dms))
