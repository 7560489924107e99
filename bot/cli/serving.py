"""Serve the bot and migrate its database; start-up problems said in one line."""

from __future__ import annotations

import argparse
import asyncio
import errno
import sys

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from adapters.slack.secrets import (
    TokenCipher,
    unreadable_tokens,
)
from bot.app import Animateur, ConfigurationError, build, web_app
from bot.runtime.heap import frozen_after_start
from bot.settings import Settings
from playbooks.loader import PlaybookError
from storage.database import (
    DatabaseUrlError,
    current_revision,
    describe_failure,
    head_revision,
    make_engine,
    safe_url,
    upgrade,
)

#: How long a database may take to answer before the command gives up.
CONNECT_TIMEOUT = 20.0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    try:
        problem = asyncio.run(_schema_problem(settings.database_url))
    except DatabaseUrlError as exc:
        print(f"cannot start: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    try:
        bot = build(settings)
    except PlaybookError as exc:
        print(f"cannot start: a bundled playbook is invalid\n{exc}", file=sys.stderr)
        return 1
    except ConfigurationError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    if bot.slack is not None and bot.slack.installations is not None:
        problem = asyncio.run(
            _sealed_problem(settings.database_url, bot.slack.installations.cipher)
        )
        if problem:
            print(f"cannot start: {problem}", file=sys.stderr)
            return 2
    if bot.inbox is not None:
        print(f"Animateur playground: http://{settings.host}:{settings.port}/playground")
    try:
        web.run_app(serving_app(bot), host=settings.host, port=settings.port, print=None)
    except OSError as exc:  # raised while binding, before anything was served
        problem = _listen_problem(exc, settings.host, settings.port)
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    return 0


def serving_app(bot: Animateur) -> web.Application:
    """The HTTP application ``serve`` runs: once the bot has started (its platforms, delivery
    worker and scheduler), the start-up heap is kept out of garbage collection."""
    app = web_app(bot)
    app.on_startup.append(frozen_after_start)  # after the bot's own start-up (cleanup_ctx)
    return app


async def _sealed_problem(url: str, cipher: TokenCipher) -> str | None:
    """Why stored Slack tokens cannot be read with ANIMATEUR_SECRET_KEY, or None."""
    engine = make_engine(url)
    try:
        unreadable = await unreadable_tokens(engine, cipher)
    finally:
        await engine.dispose()
    if not unreadable:
        return None
    if not cipher.enabled:
        return (
            f"{unreadable} stored Slack installation(s) are encrypted and ANIMATEUR_SECRET_KEY "
            "is not set: set it to the key they were encrypted with"
        )
    return (
        f"{unreadable} stored Slack installation(s) were encrypted with a key that is not in "
        'ANIMATEUR_SECRET_KEY: put it after the new one ("new,old")'
    )


def _listen_problem(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use (another animateur?): stop it, or choose another "
            "port with --port or ANIMATEUR_PORT"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where}: choose a port above 1024 with --port"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {where} ({reason}): check --host/--port (ANIMATEUR_HOST, _PORT)"


def _database_problem(url: str, exc: BaseException) -> str:
    return (
        f"cannot connect to the database at {safe_url(url)} ({describe_failure(exc)}): check "
        "ANIMATEUR_DATABASE_URL and that the database is running"
    )


async def _schema_problem(url: str) -> str | None:
    """Why the database cannot serve (unreachable, not migrated), or None.

    Raises DatabaseUrlError for a URL that is neither SQLite nor PostgreSQL.
    """
    engine = make_engine(url)
    try:
        revision = await asyncio.wait_for(current_revision(engine), CONNECT_TIMEOUT)
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        return _database_problem(url, exc)
    finally:
        await engine.dispose()
    head = head_revision()
    if revision != head:
        return f"database at revision {revision}, code expects {head}: run `animateur db upgrade`"
    return None


class _Unreachable(Exception):
    """The database did not answer; the message says what to check."""


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    try:
        engine = make_engine(url)
    except DatabaseUrlError as exc:
        print(f"cannot upgrade: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2

    async def run() -> str | None:
        try:
            try:
                await asyncio.wait_for(current_revision(engine), CONNECT_TIMEOUT)
            except (OSError, TimeoutError, SQLAlchemyError) as exc:
                raise _Unreachable(_database_problem(url, exc)) from exc
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    try:
        revision = asyncio.run(run())
    except _Unreachable as exc:
        print(f"cannot upgrade: {exc}", file=sys.stderr)
        return 1
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(
            f"cannot upgrade the database at {safe_url(url)}: {describe_failure(exc)}",
            file=sys.stderr,
        )
        return 1
    print(f"database at revision {revision}")
    return 0
