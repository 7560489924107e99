"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a live bot server."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientSession, web
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.local.channels import LocalChannels
from adapters.local.inbox import LocalInbox
from adapters.local.sender import LocalSender
from bot.app import BOT, Animateur, build, web_app
from bot.runtime.clock import Clock, ManualClock, utc_now
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.runtime.demo import seed_demo
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.governance import Governance
from bot.runtime.roster import Rosters
from bot.runtime.scheduler import Scheduler
from bot.settings import Settings
from bot.vocabulary.ports import Sender
from playbooks.engine import Engine
from playbooks.loader import load_library
from playbooks.schema import Playbook
from storage.database import make_engine, upgrade
from storage.store import Store
from storage.tables import Delivery, Run
from tests.builders import T0


def _own_database(url: str | None) -> str | None:
    """Under pytest-xdist each worker has a PostgreSQL database of its own (``test_gw0``…),
    since every test wipes the schema it runs on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url is None or worker is None:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(False)


#: The database named by ANIMATEUR_TEST_DATABASE_URL: where this worker's own is created.
SERVER_URL = os.environ.get("ANIMATEUR_TEST_DATABASE_URL")
PG_URL = _own_database(SERVER_URL)
DATABASES = ["sqlite", *(["postgresql"] if PG_URL else [])]


async def _create_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _worker_database() -> None:
    """This worker's PostgreSQL database exists (created once, kept for the next run)."""
    if SERVER_URL is not None and PG_URL is not None and PG_URL != SERVER_URL:
        asyncio.run(_create_database(SERVER_URL, PG_URL))


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A test that runs the CLI in-process installs the CLI's log handler on its captured
    stderr: the next tests get pytest's handlers back, not a handler on a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest_asyncio.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file, and PostgreSQL when the env var is set."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'animateur.db'}"
    else:
        assert PG_URL is not None
        url = PG_URL
        await reset_postgres(url)
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    yield url


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(make_engine(database_url))
    yield store
    await store.close()


async def wait_for(
    probe: Callable[[], Awaitable[Any]], within: float = 15.0, interval: float = 0.05
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail the test after ``within`` s (ample:
    the tests run in several processes on few cores, and the bound is spent only on a failure)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last value: {value!r})")
        await asyncio.sleep(interval)


DASHBOARD_LINK = re.compile(r"http://127\.0\.0\.1:3000(/dashboard/open\?token=\S+)")


@dataclass
class LiveServer:
    url: str
    bot: Animateur
    http: ClientSession

    async def post_event(self, **event: Any) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}/local/events", json=event) as response:
            return response.status, await response.json()

    async def messages(self, **query: str) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.url}/local/messages", params=query) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
            return list(body["messages"])

    async def dashboard_link(self, user: str, channel: str) -> str:
        """The path of the dashboard link ``user`` is sent after typing the command in
        ``channel`` (links name the playground's public address, port 3000)."""
        status, _ = await self.post_event(
            type="command", channel=channel, user=user, command="dashboard", args=""
        )
        assert status == 202

        async def the_link() -> str | None:
            for message in await self.messages(user=user):
                found = DASHBOARD_LINK.search(message["text"])
                if found:
                    return found.group(1)
            return None

        path: str = await wait_for(the_link)
        return path


@asynccontextmanager
async def serving(bot: Animateur) -> AsyncIterator[tuple[str, web.Application]]:
    """The bot's real HTTP server (aiohttp) on a free loopback port, worker and scheduler on."""
    app = web_app(bot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


@asynccontextmanager
async def local_server(
    database_url: str,
    *,
    clock: Clock = utc_now,
    playbooks: dict[str, Playbook] | None = None,
    **more: Any,
) -> AsyncIterator[LiveServer]:
    """The bot with the local platform and the seeded demo workspace."""
    settings = Settings(
        database_url=database_url,
        playground=True,
        demo=True,
        tick_seconds=0.2,
        pulse_notices=False,  # DMs at the real clock's working hours: tested on a virtual one
        _env_file=None,
        **more,
    )
    built = build(settings, clock=clock, playbooks=playbooks)
    async with serving(built) as (url, app), ClientSession() as http:
        yield LiveServer(url, app[BOT], http)


@pytest_asyncio.fixture
async def live_server(database_url: str) -> AsyncIterator[LiveServer]:
    async with local_server(database_url) as server:
        yield server


@dataclass
class Harness:
    """The runtime wired by hand on a test database, with a manual clock and the local platform."""

    url: str
    clock: ManualClock
    store: Store
    engine: Engine
    dispatcher: Dispatcher
    worker: DeliveryWorker
    scheduler: Scheduler
    inbox: LocalInbox

    @classmethod
    def create(
        cls,
        url: str,
        clock: ManualClock,
        playbooks: dict[str, Playbook] | None = None,
        senders: dict[str, Sender] | None = None,
    ) -> Harness:
        store = Store(make_engine(url))
        library = playbooks if playbooks is not None else load_library()
        engine = Engine(library)
        inbox = LocalInbox()
        all_senders: dict[str, Sender] = {"local": LocalSender(inbox, clock), **(senders or {})}
        worker = DeliveryWorker(store, all_senders, clock, RetryPolicy(max_attempts=3))
        governance = Governance({"local": LocalChannels()})
        dispatcher = Dispatcher(
            store,
            engine,
            clock,
            on_enqueued=worker.wake,
            governance=governance,
            on_changed=worker.changed,
        )
        worker.foreground = dispatcher.foreground  # as the composition root shares it
        scheduler = Scheduler(
            store,
            dispatcher.handle,
            dispatcher.fire_schedule,
            library,
            clock,
            roster=Rosters(store, {}),
            launcher=dispatcher.launches,
        )
        dispatcher.run_now = scheduler.run_now
        return cls(url, clock, store, engine, dispatcher, worker, scheduler, inbox)

    async def seed(self, playbooks: list[str] | None = None) -> None:
        await seed_demo(self.store, self.clock(), playbooks or ["welcome"])

    async def deliveries(self) -> list[Delivery]:
        async with self.store.transaction() as tx:
            return list(reversed(await tx.outbox.list()))

    async def runs(self) -> list[Run]:
        async with self.store.transaction() as tx:
            rows = await tx.session.execute(select(Run).order_by(Run.created_at))
            return list(rows.scalars().all())


@pytest_asyncio.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    built = Harness.create(database_url, ManualClock(T0))
    await built.seed()
    yield built
    await built.store.close()
