"""The runtime's own HTTP routes: liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from bot.runtime.metrics import Metrics
from storage.database import current_revision, describe_failure, head_revision
from storage.store import Store

log = logging.getLogger(__name__)

#: How long readiness waits for the database before saying it is not ready.
READY_TIMEOUT = 5.0


def health_routes(store: Store) -> list[web.RouteDef]:
    """``/healthz``: the database answers. ``/readyz``: it answers and its schema is the one
    this code expects (a load balancer sends traffic only then)."""
    head = head_revision()

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with store.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        try:
            revision = await asyncio.wait_for(current_revision(store.engine), READY_TIMEOUT)
        except Exception as exc:
            reason = f"database unreachable ({describe_failure(exc)})"
            log.warning("readiness: database unreachable", extra={"error": type(exc).__name__})
            return _not_ready(reason, database="unreachable")
        if revision != head:
            reason = (
                f"database at revision {revision or 'none'}, code expects {head}: "
                "run `animateur db upgrade`"
            )
            return _not_ready(reason, database="not migrated", revision=revision)
        return web.json_response({"status": "ready", "database": "ok", "revision": revision})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]


def _not_ready(reason: str, **facts: str | None) -> web.Response:
    body = {"status": "not ready", "reason": reason, **facts}
    return web.json_response(body, status=503)


def metrics_routes(metrics: Metrics) -> list[web.RouteDef]:
    """``/metrics``: the Prometheus exposition (OpenMetrics when the scraper asks for it)."""

    async def scrape(request: web.Request) -> web.Response:
        body, content_type = await metrics.scrape(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    return [web.get("/metrics", scrape)]
