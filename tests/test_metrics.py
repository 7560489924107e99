"""Visibility: /metrics (Prometheus) and /readyz through the real HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientSession, web
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app import build, web_app
from bot.runtime.clock import ManualClock
from bot.runtime.metrics import Metrics
from bot.runtime.scheduler import Scheduler
from bot.settings import Settings
from playbooks.loader import parse_playbook
from storage.tables import Delivery
from tests.builders import NUDGE, joined
from tests.conftest import DATABASES, PG_URL, Harness, LiveServer, reset_postgres, wait_for


def sample(exposition: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels}`` in a Prometheus text exposition, or None."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None


async def scrape(server: LiveServer) -> str:
    async with server.http.get(f"{server.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return await response.text()


async def _all_sent(server: LiveServer) -> int:
    """How many deliveries were sent, once none is left to send (else 0)."""
    async with server.bot.store.transaction() as tx:
        rows = (await tx.session.execute(select(Delivery))).scalars().all()
    statuses = [row.status for row in rows]
    return 0 if "pending" in statuses or "in_flight" in statuses else statuses.count("sent")


async def test_metrics_count_events_in_and_sends_by_outcome(live_server: LiveServer) -> None:
    before = await scrape(live_server)
    assert sample(before, "animateur_deliveries_total", platform="local", outcome="sent") is None

    join = {"type": "member_joined", "channel": "C-data", "user": "U-bob", "id": "join-1"}
    assert (await live_server.post_event(**join))[1]["status"] == "processed"
    assert (await live_server.post_event(**join))[1]["status"] == "duplicate"
    await wait_for(lambda: live_server.messages(user="U-bob"))
    sent = await wait_for(lambda: _all_sent(live_server))

    exposition = await scrape(live_server)
    events = "animateur_events_received_total"
    labels = {"platform": "local", "type": "member_joined"}
    assert sample(exposition, events, **labels, result="processed") == 1
    assert sample(exposition, events, **labels, result="duplicate") == 1
    assert sample(exposition, "animateur_deliveries_total", platform="local", outcome="sent") == (
        sent
    )
    assert sample(exposition, "animateur_send_seconds_count", platform="local") == sent
    assert sample(exposition, "animateur_outbox_deliveries", status="pending") == 0
    assert sample(exposition, "animateur_outbox_oldest_pending_seconds") == 0


async def test_metrics_read_the_outbox_depth_and_oldest_pending_from_the_database(
    live_server: LiveServer,
) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(days=1)  # not due: the worker leaves them where they are
    rows = [
        ("pending", now - timedelta(hours=1), None),
        ("pending", now - timedelta(minutes=5), None),
        ("in_flight", now - timedelta(minutes=2), later),
        ("dead", now - timedelta(hours=3), None),
        ("sent", now - timedelta(hours=4), None),
    ]
    async with live_server.bot.store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(joined("U-x").workspace, now)
        assert workspace.id is not None
        for status, created, lease in rows:
            tx.session.add(
                Delivery(
                    workspace_id=workspace.id,
                    recipient="U-bob",
                    action={"kind": "send_dm", "user": "U-bob", "text": {"en": "hi"}},
                    status=status,
                    next_attempt_at=later,
                    lease_until=lease,
                    created_at=created,
                )
            )

    exposition = await scrape(live_server)
    depth = "animateur_outbox_deliveries"
    assert sample(exposition, depth, status="pending") == 2
    assert sample(exposition, depth, status="in_flight") == 1
    assert sample(exposition, depth, status="dead") == 1
    oldest = sample(exposition, "animateur_outbox_oldest_pending_seconds")
    assert oldest is not None and 3600 <= oldest < 3600 + 120, oldest


WEEKLY = """
name: weekly
title: {en: Weekly, fr: Hebdo}
description: {en: test, fr: test}
trigger: {on: schedule, cron: "30 9 * * mon"}
steps:
  - id: post
    kind: post_to_community
    text: {en: "New week!", fr: "Nouvelle semaine !"}
"""

MONDAY_0930_PARIS = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)


async def test_scheduler_lag_is_how_late_a_fire_and_a_timer_were_processed(
    database_url: str,
) -> None:
    library = {"weekly": parse_playbook(WEEKLY), "nudge": parse_playbook(NUDGE)}
    clock = ManualClock(MONDAY_0930_PARIS - timedelta(hours=2))
    harness = Harness.create(database_url, clock, library)
    metrics = Metrics(CollectorRegistry())
    scheduler = Scheduler(
        harness.store,
        harness.dispatcher.handle,
        harness.dispatcher.fire_schedule,
        library,
        clock,
        launcher=harness.dispatcher.launches,
        on_lag=metrics.lag,
    )
    try:
        await harness.seed(["weekly", "nudge"])
        await harness.dispatcher.handle(joined("U-alice"))  # a timer due at 09:30 in Paris
        await scheduler.tick()
        clock.advance(timedelta(hours=2, seconds=90))  # 90 s after the fire and the timer
        await scheduler.tick()
        exposition = (await metrics.scrape())[0].decode()
        lag = "animateur_scheduler_lag_seconds"
        assert sample(exposition, f"{lag}_count", kind="fire") == 1
        assert sample(exposition, f"{lag}_sum", kind="fire") == 90
        assert sample(exposition, f"{lag}_count", kind="run") == 1
        assert sample(exposition, f"{lag}_sum", kind="run") == 90
    finally:
        await harness.store.close()


@asynccontextmanager
async def bot_at(url: str) -> AsyncIterator[tuple[str, ClientSession]]:
    """The bot's HTTP server on ``url`` (no worker, no scheduler: the database may be unusable)."""
    settings = Settings(database_url=url, playground=True, demo=False, _env_file=None)
    runner = web.AppRunner(web_app(build(settings), background=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as http:
            yield f"http://127.0.0.1:{port}", http
    finally:
        await runner.cleanup()


async def get(http: ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url) as response:
        return response.status, await response.json()


async def test_readyz_is_ready_on_a_migrated_database(database_url: str) -> None:
    async with bot_at(database_url) as (url, http):
        status, body = await get(http, f"{url}/readyz")
    assert (status, body["status"], body["database"]) == (200, "ready", "ok")


@pytest_asyncio.fixture(params=DATABASES)
async def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database that answers but was never migrated."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    else:
        assert PG_URL is not None
        await reset_postgres(PG_URL)
        yield PG_URL


async def test_readyz_refuses_a_database_that_is_not_migrated(unmigrated_url: str) -> None:
    async with bot_at(unmigrated_url) as (url, http):
        alive, _ = await get(http, f"{url}/healthz")
        status, body = await get(http, f"{url}/readyz")
    assert alive == 200, "the database answers"
    assert (status, body["status"], body["database"]) == (503, "not ready", "not migrated")
    assert body["reason"].startswith("database at revision none, code expects ")
    assert "run `animateur db upgrade`" in body["reason"]


@pytest.fixture(params=DATABASES)
def gone_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that cannot be reached."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'removed' / 'animateur.db'}"
    assert PG_URL is not None
    return make_url(PG_URL).set(database="animateur_absent_db").render_as_string(False)


async def test_readyz_refuses_when_the_database_is_gone(gone_url: str) -> None:
    async with bot_at(gone_url) as (url, http):
        status, body = await get(http, f"{url}/readyz")
    assert (status, body["status"], body["database"]) == (503, "not ready", "unreachable")
    assert body["reason"].startswith("database unreachable (")


async def test_metrics_still_answer_when_the_database_is_gone(gone_url: str) -> None:
    async with bot_at(gone_url) as (url, http), http.get(f"{url}/metrics") as response:
        assert response.status == 200
        exposition = await response.text()
    assert "animateur_events_received" in exposition, "the process's own counters"
    assert "animateur_outbox_deliveries" not in exposition, "no figures made up"


async def test_each_bot_counts_on_its_own_registry(database_url: str) -> None:
    first = build(Settings(database_url=database_url, playground=True, _env_file=None))
    second = build(Settings(database_url=database_url, playground=True, _env_file=None))
    try:
        assert first.metrics.registry is not second.metrics.registry
        assert first.events is not None
        await first.events(joined("U-bob"))
        one = (await first.metrics.scrape())[0].decode()
        other = (await second.metrics.scrape())[0].decode()
        labels = {"platform": "local", "type": "member_joined", "result": "processed"}
        assert sample(one, "animateur_events_received_total", **labels) == 1
        assert sample(other, "animateur_events_received_total", **labels) is None
    finally:
        await first.store.close()
        await second.store.close()


async def test_a_send_that_raises_is_counted_as_an_error() -> None:
    metrics = Metrics(CollectorRegistry())

    class Broken:
        platform = "slack"

        async def send(self, workspace: Any, action: Any) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await metrics.timed(Broken()).send(joined("U-a").workspace, None)  # type: ignore[arg-type]
    exposition = (await metrics.scrape())[0].decode()
    assert sample(exposition, "animateur_deliveries_total", platform="slack", outcome="error") == 1
    assert sample(exposition, "animateur_send_seconds_count", platform="slack") == 1
