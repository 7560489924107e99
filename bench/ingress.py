"""Signed Slack events over HTTP: ``animateur serve`` against two peers on the same aiohttp stack.

Three servers, each in a process of its own, one after the other, on the same database:

- **bare Bolt** (peer): a slack-bolt ``AsyncApp`` whose listener does nothing;
- **durable floor** (peer): the same app whose listener inserts the event id in one commit;
- **animateur**: the real ``animateur serve`` (``python -m bot.cli serve``), Slack configured with
  a bot token and a signing secret, its Web API a fake (tests/fakes) answering ``auth.test``.

Each gets messages posted in a community's channel, then in another channel, as Slack's Events
API sends them (signed JSON envelopes, every event id new): first at saturation (a closed loop of
concurrent clients), then at a steady 200 events/s (an open loop, latency counted from when each
request was due). Targets: the bot sustains at least half the durable floor's events/s, and at
200 events/s offered acknowledges 99 % within 50 ms. The load comes from this process, on the
same machine: it takes a core of its own (on 2 cores, the servers get the other).

Usage: ``python -m bench.ingress [--seconds S] [--rate R]``; set ``ANIMATEUR_BENCH_DATABASE_URL``
to measure PostgreSQL too (its ``public`` schema is wiped).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.common import (
    database_version,
    free_port,
    fresh,
    on_each_database,
    spawned,
    verdict,
    wipe,
)
from bench.load import BOT_USER, SECRET, TEAM, TOKEN, Result, messages, offered, saturate
from bot.vocabulary.events import WorkspaceRef
from storage.database import make_engine
from storage.store import Store
from storage.tables import Community
from tests.fakes.slack_api import FakeSlackApi

COMMUNITY, OTHER = "C0COMMUNITY", "C0OTHER"
#: Targets: events/s against the durable floor's; p99 acknowledgement at the offered rate.
FLOOR_SHARE, P99_MS = 0.5, 50.0
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Figures:
    """One server, one kind of event: at saturation, then at the offered rate."""

    saturated: Result
    steady: Result


async def seed(url: str) -> None:
    """The workspace and a community with the welcome and check-in rituals on."""
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
                facilitators=["U0000001"],
                created_at=NOW,
            )
        )
        assert community.id is not None
        for name in ("welcome", "checkin"):
            await tx.directory.set_playbook(community.id, name, True, NOW)
    await store.close()


@asynccontextmanager
async def server(command: list[str], env: dict[str, str], port: int) -> AsyncIterator[str]:
    """A server process, once it answers ``/healthz``: its ``/slack/events`` URL."""
    url = f"http://127.0.0.1:{port}"
    with spawned(command, env) as process:
        await process.healthy(url + "/healthz")
        yield url + "/slack/events"


def peer(kind: str, api_url: str, database: str) -> tuple[list[str], dict[str, str], int]:
    port = free_port()
    command = [sys.executable, "-m", "bench.peers", kind, "--port", str(port)]
    command += ["--api-url", api_url, "--database", database]
    return command, {}, port


def animateur(api_url: str, database: str) -> tuple[list[str], dict[str, str], int]:
    port = free_port()
    env = {
        "ANIMATEUR_DATABASE_URL": database,
        "ANIMATEUR_PORT": str(port),
        "ANIMATEUR_PLAYGROUND": "false",
        "ANIMATEUR_DEMO": "false",
        "ANIMATEUR_SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    return [sys.executable, "-m", "bot.cli", "serve"], env, port


async def measure(url: str, channel: str, seconds: float, rate: float) -> Figures:
    saturated = await saturate(url, messages(channel), seconds=seconds)
    await asyncio.sleep(1.0)  # let the server settle (its worker, its scheduler)
    steady = await offered(url, messages(channel), rate=rate, seconds=seconds)
    await asyncio.sleep(1.0)
    return Figures(saturated, steady)


Setup = Callable[[str, str], tuple[list[str], dict[str, str], int]]


async def run_server(
    setup: Setup, api_url: str, database: str, seconds: float, rate: float
) -> dict[str, Figures]:
    command, env, port = setup(api_url, database)
    async with server(command, env, port) as url:
        return {
            "community": await measure(url, COMMUNITY, seconds, rate),
            "other": await measure(url, OTHER, seconds, rate),
        }


def row(label: str, figures: Figures, rate: float) -> str:
    s, t = figures.saturated, figures.steady
    failed = f"  {s.failed + t.failed} failed" if s.failed or t.failed else ""
    return (
        f"{label:<32} {s.rate:9.0f} {t.p(0.5):9.1f} {t.p(0.99):9.1f} {t.late() * 100:7.1f}%{failed}"
    )


async def bench(label: str, database: str, seconds: float, rate: float) -> None:
    print(f"[{label}] {await database_version(database)}")
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        await wipe(database)
        bolt = await run_server(
            lambda a, d: peer("bolt", a, d), slack.api_url, database, seconds, rate
        )
        floor = await run_server(
            lambda a, d: peer("floor", a, d), slack.api_url, database, seconds, rate
        )
        await fresh(database)
        await seed(database)
        bot = await run_server(animateur, slack.api_url, database, seconds, rate)
    print(
        f"[{label}] {'server, event':<32} {'events/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'>3 s':>8}"
    )
    print(f"[{label}]  (saturation; then {rate:.0f}/s offered: ack latency)")
    for name, figures in (
        ("bare bolt (peer)", bolt),
        ("durable floor (peer)", floor),
        ("animateur", bot),
    ):
        for channel in ("community", "other"):
            print(f"[{label}] {row(f'{name}, {channel} channel', figures[channel], rate)}")
    for channel in ("community", "other"):
        mine = bot[channel]
        share = mine.saturated.rate / floor[channel].saturated.rate
        of_bolt = mine.saturated.rate / bolt[channel].saturated.rate
        p99 = mine.steady.p(0.99)
        print(
            f"[{label}] {channel} channel: {share:.2f}x the durable floor's events/s "
            f"(target >= {FLOOR_SHARE}x): {verdict(share >= FLOOR_SHARE)}; "
            f"{of_bolt:.2f}x bare bolt's; p99 ack at {rate:.0f}/s {p99:.1f} ms "
            f"(target <= {P99_MS:.0f} ms): {verdict(p99 <= P99_MS)}"
        )


async def main(seconds: float, rate: float) -> None:
    await on_each_database("ingress", lambda label, url: bench(label, url, seconds, rate))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ingress", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measure")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s offered")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.rate))
