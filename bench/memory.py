"""Peak memory of a serving process with 100,000 members in 1,000 communities.

The database holds one workspace, ``--communities`` communities (the check-in on) and
``--members`` members spread over them. A process of its own builds the bot as ``animateur serve``
does (Slack configured, its Web API a fake in another process) and touches the members as serving
them would: every community's roster read, an App Home opened by one member of each community
(built as the dispatcher builds it), then a check-in fired in ``--fires`` communities (every
member of them started, in chunks) and every message this queued sent by the delivery worker.
Its peak RSS is compared with the peer's: a bare Python process that imports the same libraries
and loads the same playbooks, doing nothing else. Target: at most 300 MB.

Usage: ``python -m bench.memory [--members N] [--communities C] [--fires F]``; set
``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL too (its ``public`` schema is wiped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import insert

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
from bot.vocabulary.events import WorkspaceRef
from storage.database import make_engine
from storage.store import Store
from storage.tables import Community, CommunityMember, Member, PlaybookEnablement

#: Target: peak RSS of the serving process, in MB.
TARGET_MB = 300.0
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


async def seed(url: str, members: int, communities: int) -> None:
    await fresh(url)
    store = Store(make_engine(url))
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("slack", TEAM), NOW, "Acme")
        assert workspace.id is not None
        workspace_id = workspace.id
        await tx.session.execute(
            insert(Community.__table__),  # type: ignore[attr-defined]
            [
                {
                    "workspace_id": workspace_id,
                    "channel_id": f"C{c:07d}",
                    "name": f"Community {c}",
                    "objective": "share what works",
                    "charter": "be kind",
                    "sponsors": [],
                    "facilitators": [f"U{c:07d}"],
                    "target_engagement": 60,
                    "timezone": "Europe/Paris",
                    "working_hours": "00:00-24:00",
                    "working_days": [0, 1, 2, 3, 4, 5, 6],
                    "holidays": [],
                    "resources": "",
                    "created_at": NOW,
                    "version": 1,
                }
                for c in range(communities)
            ],
        )
        await tx.session.execute(
            insert(PlaybookEnablement.__table__),  # type: ignore[attr-defined]
            [
                {
                    "community_id": c + 1,
                    "playbook": "checkin",
                    "enabled": True,
                    "settings": {},
                    "enabled_at": NOW,
                }
                for c in range(communities)
            ],
        )
    for start in range(0, members, 5000):
        users = range(start, min(members, start + 5000))
        async with store.transaction() as tx:
            await tx.session.execute(
                insert(Member.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "workspace_id": workspace_id,
                        "user_id": f"U{i:07d}",
                        "display_name": f"Member {i}",
                        "locale": "fr-FR",
                        "timezone": "Europe/Paris",
                        "opted_out_all": False,
                        "opted_out": [],
                        "unreachable": False,
                        "updated_at": NOW,
                    }
                    for i in users
                ],
            )
            await tx.session.execute(
                insert(CommunityMember.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "workspace_id": workspace_id,
                        "community_id": i % communities + 1,
                        "user_id": f"U{i:07d}",
                        "present": True,
                        "last_seen_at": NOW,
                    }
                    for i in users
                ],
            )
    await store.close()


def imported() -> None:
    """What a serving process imports and loads before it serves anything."""
    import bot.app
    import bot.cli
    from playbooks.loader import load_library

    assert bot.app.build is not None
    load_library()


async def serve(url: str, api_url: str, communities: int, fires: int) -> dict[str, float]:
    """The bot's part (in its own process): the figures it measured."""
    from bot.app import build
    from bot.runtime.clock import utc_now
    from bot.runtime.home import build_home
    from bot.runtime.roster import Rosters
    from bot.settings import Settings, SlackSettings
    from bot.vocabulary import events as ev

    settings = Settings(database_url=url, playground=False, slack_api_url=api_url, _env_file=None)  # type: ignore[call-arg]
    bot = build(
        settings, slack=SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
    )  # type: ignore[call-arg]
    assert bot.events is not None
    start = time.perf_counter()
    workspace = ev.WorkspaceRef("slack", TEAM)
    rosters = Rosters(bot.store, {})  # Slack has no roster of its own: the members seen
    roster_total = 0
    for c in range(communities):
        roster_total += len(await rosters(workspace, f"C{c:07d}"))
    playbooks = bot.engine.playbooks
    for c in range(communities):  # one member of each community opens their App Home
        async with bot.store.transaction() as tx:
            found = await tx.directory.workspace(workspace)
            member = await tx.directory.member(1, f"U{c:07d}")
            assert found is not None and member is not None
            await build_home(tx, found, member, playbooks, "fr", utc_now())
    async with bot.store.transaction() as tx:
        for c in range(fires):
            await tx.runs.request_launch(c + 1, "checkin", utc_now())
    await bot.scheduler.run_launches()
    sent = await bot.worker.drain()
    seconds = time.perf_counter() - start
    assert bot.slack is not None
    await bot.slack.stop()
    await bot.store.close()
    return {
        "peak_mb": peak_mb(),
        "current_mb": current_mb(),
        "rosters": roster_total,
        "sent": sent,
        "seconds": seconds,
    }


def child(arguments: list[str]) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.memory", *arguments]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return found


async def bench(label: str, url: str, members: int, communities: int, fires: int) -> None:
    print(f"[{label}] {await database_version(url)}")
    await seed(url, members, communities)
    port = free_port()
    fake = [sys.executable, "-m", "bench.slack_fake", "--port", str(port)]
    fake += ["--people", str(members), "--channels", str(communities)]  # the launch reads rosters
    with spawned(fake) as slack:
        base = f"http://127.0.0.1:{port}"
        await slack.healthy(base + "/healthz")
        args = ["--child", "serve", "--url", url, "--api-url", base + "/api/"]
        args += ["--communities", str(communities), "--fires", str(fires)]
        mine = await asyncio.to_thread(child, args)
    bare = await asyncio.to_thread(child, ["--child", "bare"])
    print(
        f"[{label}] {members:,} members in {communities:,} communities: {communities:,} rosters"
        f" ({mine['rosters']:,.0f} members), {communities:,} App Homes, a check-in fired in"
        f" {fires} communities, {mine['sent']:,.0f} messages sent, in {mine['seconds']:.0f} s"
    )
    print(f"[{label}] bare process, same imports (peer): peak RSS {bare['peak_mb']:.0f} MB")
    print(
        f"[{label}] serving process: peak RSS {mine['peak_mb']:.0f} MB (now"
        f" {mine['current_mb']:.0f} MB), {mine['peak_mb'] / bare['peak_mb']:.2f}x the peer's"
        f" (target <= {TARGET_MB:.0f} MB): {verdict(mine['peak_mb'] <= TARGET_MB)}"
    )


async def main(members: int, communities: int, fires: int) -> None:
    quiet()
    await on_each_database(
        "memory", lambda label, url: bench(label, url, members, communities, fires)
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--communities", type=int, default=1_000)
    parser.add_argument("--fires", type=int, default=10, help="communities whose check-in fires")
    parser.add_argument("--child", choices=("serve", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "bare":
        imported()
        print(json.dumps({"peak_mb": peak_mb(), "current_mb": current_mb()}))
    elif args.child == "serve":
        quiet()
        figures = asyncio.run(serve(args.url, args.api_url, args.communities, args.fires))
        print(json.dumps(figures))
    else:
        asyncio.run(main(args.members, args.communities, args.fires))
