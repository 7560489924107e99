"""CPU per event of ``animateur serve``: signed Slack messages over HTTP, the server's own CPU
time (user + system, from /proc) divided by the events it answered, and the event loop's thread's
share of it — less noisy on a shared machine than events/s. Optionally under cProfile, printing
where that time goes.

The bot is set up as in ``bench.ingress`` (a community with the welcome and check-in rituals
on, Slack's Web API a fake); a few concurrent clients post messages in the community's channel
(or another, ``--other``), every event id new.

Usage: ``python -m bench.ingress_cpu [--events N] [--other] [--profile FILE] [--top K]``; set
``ANIMATEUR_BENCH_DATABASE_URL`` to measure PostgreSQL instead of a fresh SQLite file (its
``public`` schema is wiped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.common import database_version, fresh, machine, pg_url, spawned, sqlite_url
from bench.ingress import COMMUNITY, OTHER, animateur, seed
from bench.load import BOT_USER, TEAM, TOKEN, messages, signed
from tests.fakes.slack_api import FakeSlackApi


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU time of a process so far (Linux), or of one of its threads."""
    where = f"/proc/{pid}" if thread is None else f"/proc/{pid}/task/{thread}"
    fields = Path(f"{where}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def sampling(pid: int, output: str) -> subprocess.Popen[bytes]:
    """py-spy sampling what the process does on CPU (not waiting), as collapsed stacks."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200"]
    return subprocess.Popen(
        [*command, "--output", output], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def post_all(url: str, channel: str, events: int, concurrency: int) -> tuple[int, int]:
    """``events`` messages by ``concurrency`` clients in a closed loop: (answered 200, others)."""
    make = messages(channel)
    left = iter(range(events))
    counts = [0, 0]
    timeout = ClientTimeout(total=30)
    async with ClientSession(connector=TCPConnector(limit=concurrency), timeout=timeout) as http:

        async def client() -> None:
            for _ in left:
                body = make()
                async with http.post(url, data=body, headers=signed(body)) as response:
                    await response.read()
                    counts[response.status != 200] += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return counts[0], counts[1]


async def main(
    events: int, other: bool, profile: str | None, top: int, clients: int, spy_file: str | None
) -> None:
    print(machine())
    channel = OTHER if other else COMMUNITY
    with tempfile.TemporaryDirectory() as tmp:
        database = pg_url() or sqlite_url(Path(tmp), "ingress_cpu")
        print(await database_version(database), "channel:", "other" if other else "community")
        async with FakeSlackApi() as slack:
            slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
            await fresh(database)
            await seed(database)
            command, env, port = animateur(slack.api_url, database)
            if profile:
                command = [sys.executable, "-m", "cProfile", "-o", profile, *command[1:]]
            base = f"http://127.0.0.1:{port}"
            with spawned(command, env) as process:
                await process.healthy(base + "/healthz")
                url = base + "/slack/events"
                await post_all(url, channel, 300, clients)  # warm-up: caches, connections
                pid = process.process.pid
                spy = None
                if spy_file:
                    spy = sampling(pid, spy_file)
                    await asyncio.sleep(1.0)
                before, start = cpu_seconds(pid), time.perf_counter()
                loop_before = cpu_seconds(pid, pid)  # the main thread: the event loop's
                ok, failed = await post_all(url, channel, events, clients)
                cpu = cpu_seconds(pid) - before
                loop_cpu = cpu_seconds(pid, pid) - loop_before
                wall = time.perf_counter() - start
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait()
    print(
        f"{ok} events answered 200 ({failed} other) in {wall:.1f} s: "
        f"{cpu / max(ok, 1) * 1000:.2f} ms of CPU per event"
        + (" (under cProfile)" if profile else "")
    )
    print(
        f"  of which the event loop's thread {loop_cpu / max(ok, 1) * 1000:.2f} ms, "
        f"other threads (SQLite's driver…) {(cpu - loop_cpu) / max(ok, 1) * 1000:.2f} ms"
    )
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ingress_cpu", description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--other", action="store_true", help="a channel that is no community")
    parser.add_argument("--profile", help="run the server under cProfile, stats to this file")
    parser.add_argument("--spy", help="sample the server with py-spy: collapsed stacks to FILE")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.other, args.profile, args.top, args.clients, args.spy))
