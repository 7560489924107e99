"""``animateur deliveries status``: the outbox at a glance."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.serving import CONNECT_TIMEOUT, _database_problem, _schema_problem
from bot.runtime.outbox_status import read_status, render
from bot.settings import Settings
from storage.database import (
    DatabaseUrlError,
    make_engine,
)
from storage.store import Store


def _deliveries_status(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    try:
        problem = asyncio.run(_schema_problem(url))
    except DatabaseUrlError as exc:
        print(f"cannot read deliveries: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(f"cannot read deliveries: {problem}", file=sys.stderr)
        return 1
    window = timedelta(hours=args.hours)
    clear = sys.stdout.isatty()

    async def show() -> None:
        store = Store(make_engine(url))
        try:
            while True:
                status = await asyncio.wait_for(
                    read_status(store, datetime.now(UTC), window, args.dead), CONNECT_TIMEOUT
                )
                if clear and args.watch:
                    print("\033[H\033[2J", end="")
                print("\n".join(render(status)), flush=True)
                if not args.watch:
                    return
                print(f"\n(every {args.watch:g} s; Ctrl-C to stop)", flush=True)
                await asyncio.sleep(args.watch)
        finally:
            await store.close()

    try:
        asyncio.run(show())
    except KeyboardInterrupt:
        return 0
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(f"cannot read deliveries: {_database_problem(url, exc)}", file=sys.stderr)
        return 1
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r}: give seconds, more than 0 and up to 3600")
    return seconds


def _hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 31:
        raise argparse.ArgumentTypeError(f"{value!r}: give hours, more than 0 and up to 744")
    return hours
