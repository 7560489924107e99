"""The ingress benchmark's peers: a bare slack-bolt ``AsyncApp`` served by aiohttp, as the bot is.

- ``bolt``: its listener does nothing — what Bolt and aiohttp cost alone;
- ``floor``: its listener inserts the event id in one commit on the same database the bot uses,
  through the same engine set-up (SQLite WAL, PostgreSQL via asyncpg) — the least any handling
  that acknowledges an event only once it is durable can cost: the *durable floor*.

Both acknowledge after their listener ran (``process_before_response``), as the bot does.
Usage: ``python -m bench.peers bolt|floor --port P --api-url URL [--database URL]``.
"""

from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text

from bench.load import SECRET, TOKEN
from storage.database import make_engine

FLOOR_TABLE = "bench_floor_event"


def bolt_app(api_url: str, database: str | None) -> web.Application:
    app = AsyncApp(
        token=TOKEN,
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        process_before_response=True,
    )
    engine = make_engine(database) if database else None

    if engine is None:

        @app.event("message")
        async def nothing() -> None:
            return None

    else:

        @app.event("message")
        async def durable(body: dict[str, Any]) -> None:
            async with engine.begin() as connection:
                await connection.execute(
                    text(f"INSERT INTO {FLOOR_TABLE} (event_id) VALUES (:id)"),
                    {"id": body["event_id"]},
                )

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def lifecycle(_app: web.Application) -> Any:
        if engine is not None:
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE}"
                        " (event_id VARCHAR(64) PRIMARY KEY)"
                    )
                )
        yield
        if engine is not None:
            await engine.dispose()

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    web_app.router.add_get("/healthz", healthz)
    web_app.cleanup_ctx.append(lifecycle)
    return web_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers")
    parser.add_argument("kind", choices=("bolt", "floor"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True, help="the (fake) Slack Web API base URL")
    parser.add_argument("--database", help="the database the floor writes to")
    args = parser.parse_args()
    if args.kind == "floor" and not args.database:
        parser.error("floor needs --database")
    database = args.database if args.kind == "floor" else None
    web.run_app(bolt_app(args.api_url, database), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
