"""The runtime's own HTTP routes: health."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import text

from storage.store import Store

log = logging.getLogger(__name__)


def health_routes(store: Store) -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with store.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    return [web.get("/healthz", healthz)]
