"""Real ``animateur serve`` processes on the test PostgreSQL, sending to a fake Slack Web API
served in the test process: start them, wait until ready, read their metrics, stop or kill them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout
from prometheus_client.parser import text_string_to_metric_families

from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from storage.database import make_engine
from storage.outbox import FINAL, UNFINISHED
from storage.store import Store
from storage.tables import Delivery
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).parents[1]
TEAM, TOKEN, SECRET = "T0001", "xoxb-1", "8f742231b10e8888abcd99yyyzzz85a5"
SLACK = WorkspaceRef("slack", TEAM)
#: Environment variables of the machine that must not reach the processes under test.
FOREIGN = ("ANIMATEUR_", "SLACK_", "MICROSOFT_")
#: How long a process may take to start (imports on a loaded 2-core machine, migrations read).
START_WITHIN = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServeProcess:
    """One ``animateur serve`` (``python -m bot.cli serve``) and where its output goes."""

    name: str
    port: int
    output: Path
    process: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, http: ClientSession, within: float = START_WITHIN) -> None:
        """Wait until ``/readyz`` answers 200 (the worker and the scheduler run by then)."""
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(ClientError, TimeoutError):
                async with http.get(self.url + "/readyz", timeout=ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {within}s:\n{self.log()}")

    async def sent(self, http: ClientSession) -> float:
        """Sends this process counted as delivered (its ``/metrics``)."""
        async with http.get(self.url + "/metrics") as response:
            assert response.status == 200
            body = await response.text()
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == "animateur_deliveries_total" and sample.labels == {
                    "platform": "slack",
                    "outcome": "sent",
                }:
                    return sample.value
        return 0.0

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, like a machine losing power."""
        self.process.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM: what an orchestrator sends before it stops a container."""
        self.process.send_signal(signal.SIGTERM)

    async def exited(self, within: float) -> int:
        """The exit status, once the process has ended (fails the test after ``within`` s)."""
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"{self.name} still running after {within}s") from None

    def log(self) -> str:
        return self.output.read_text("utf-8", errors="replace")[-6000:]


@dataclass
class Cluster:
    """Serving processes sharing one PostgreSQL and one fake Slack."""

    url: str
    slack: FakeSlackApi
    http: ClientSession
    workdir: Path
    settings: dict[str, str] = field(default_factory=dict)
    processes: list[ServeProcess] = field(default_factory=list)

    async def start(self, count: int = 1, **settings: str) -> list[ServeProcess]:
        """Start ``count`` processes (``settings``: more ANIMATEUR_* variables, by suffix) and
        wait until each is ready."""
        started = [await self._spawn(settings) for _ in range(count)]
        await asyncio.gather(*(p.ready(self.http) for p in started))
        return started

    async def _spawn(self, settings: dict[str, str]) -> ServeProcess:
        name = f"serve-{len(self.processes) + 1}"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
        env |= {
            "PYTHONPATH": str(ROOT),
            "ANIMATEUR_DATABASE_URL": self.url,
            "ANIMATEUR_PORT": str(port),
            "ANIMATEUR_PLAYGROUND": "false",
            "ANIMATEUR_DEMO": "false",
            "ANIMATEUR_TICK_SECONDS": "0.2",
            # warnings and digests follow the real clock's working hours: tested virtually
            "ANIMATEUR_PULSE_NOTICES": "false",
            "ANIMATEUR_SLACK_API_URL": self.slack.api_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
        }
        env |= {f"ANIMATEUR_{k.upper()}": v for k, v in {**self.settings, **settings}.items()}
        output = self.workdir / f"{name}.log"
        with output.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                env=env,
                cwd=self.workdir,  # no .env of the developer's read
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
            )
        served = ServeProcess(name, port, output, process)
        self.processes.append(served)
        return served

    async def stop_all(self) -> None:
        for served in self.processes:
            if served.process.returncode is None:
                served.kill()
                await served.process.wait()


@asynccontextmanager
async def cluster(url: str, workdir: Path, **settings: str) -> AsyncIterator[Cluster]:
    """A fake Slack with the app installed in one workspace, and a place to start processes
    (all killed on the way out)."""
    async with FakeSlackApi() as slack, ClientSession() as http:
        slack.add_team(TEAM, TOKEN)
        running = Cluster(url, slack, http, workdir, dict(settings))
        try:
            yield running
        finally:
            await running.stop_all()


# -- the outbox, and what reached the fake -----------------------------------------------------


def text_of(recipient: str, number: int) -> str:
    """What message ``number`` to ``recipient`` says: each message is told apart at the fake."""
    return f"{recipient}/{number}"


async def enqueue(url: str, recipients: Iterable[str], per_recipient: int = 1) -> list[str]:
    """Queue ``per_recipient`` DMs to each recipient in the Slack workspace (one commit, as a
    fan-out is); returns their texts in the order queued."""
    store = Store(make_engine(url))
    texts = []
    now = datetime.now(UTC)
    try:
        async with store.transaction() as tx:
            workspace = await tx.directory.ensure_workspace(SLACK, now, "Acme")
            assert workspace.id is not None
            for number in range(per_recipient):
                for recipient in recipients:
                    text = text_of(recipient, number)
                    action = act.SendDirectMessage(user_id=recipient, text=text)
                    tx.session.add(
                        Delivery(
                            workspace_id=workspace.id,
                            playbook="welcome",
                            recipient=recipient,
                            action=act.action_to_dict(action),
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                    texts.append(text)
    finally:
        await store.close()
    return texts


async def statuses(url: str) -> Counter[str]:
    """How many deliveries are in each status (none counted: none in it)."""
    store = Store(make_engine(url))
    try:
        async with store.transaction() as tx:
            counts = await tx.outbox.count_by_status(FINAL + UNFINISHED, cap=1_000_000)
    finally:
        await store.close()
    return Counter({status: count for status, count in counts.items() if count})


async def deliveries(url: str) -> list[Delivery]:
    store = Store(make_engine(url))
    try:
        async with store.transaction() as tx:
            return list(reversed(await tx.outbox.list(limit=100_000)))
    finally:
        await store.close()


def received(slack: FakeSlackApi) -> Counter[str]:
    """How many times Slack accepted each text (chat.postMessage answered ok)."""
    return Counter(
        str(call.args.get("text")) for call in slack.calls_to("chat.postMessage") if call.ok
    )


def in_order(slack: FakeSlackApi, texts: Iterable[str]) -> dict[str, list[str]]:
    """Per recipient, the texts Slack accepted, in the order it accepted them (first time each)."""
    wanted = set(texts)
    seen: set[str] = set()
    order: dict[str, list[str]] = {}
    for call in slack.calls_to("chat.postMessage"):
        text = str(call.args.get("text"))
        if call.ok and text in wanted and text not in seen:
            seen.add(text)
            order.setdefault(text.split("/")[0], []).append(text)
    return order
