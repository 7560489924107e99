"""What every benchmark shares: the machine it ran on, fresh databases, percentiles, verdicts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from aiohttp import ClientSession
from sqlalchemy import text

from storage.database import make_engine, upgrade

#: The PostgreSQL database a benchmark may wipe (its ``public`` schema is dropped).
PG_ENV = "ANIMATEUR_BENCH_DATABASE_URL"


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def quiet() -> None:
    """Only errors from the bot's loggers: a benchmark prints its figures, not the bot's log."""
    logging.basicConfig(level=logging.ERROR)


def machine() -> str:
    """Cores, Python, system, and the load when the benchmark started (a shared machine)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.machine()}, load average {load}"
    )


async def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = make_engine(url)
    async with engine.connect() as connection:
        version = str((await connection.execute(text("SHOW server_version"))).scalar_one())
    await engine.dispose()
    return f"PostgreSQL {version.split()[0]}"


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory / f'{name}.db'}"


async def wipe(url: str) -> None:
    """An empty database: PostgreSQL's ``public`` schema dropped and made again, a SQLite file
    removed."""
    if not url.startswith("postgresql"):
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def fresh(url: str) -> None:
    """An empty database, migrated to the head revision."""
    await wipe(url)
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, interpolated; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[max(0, int(q * 1000) - 1)]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def spawned(command: list[str], env: dict[str, str] | None = None) -> Iterator[Spawned]:
    """A process of its own (its output kept in a file, shown if it dies), stopped with
    SIGTERM on leaving (SIGKILL after 30 s)."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=log, stderr=log
        )
        try:
            yield Spawned(process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Spawned:
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    async def healthy(self, url: str) -> None:
        """Wait until ``url`` answers 200 (raise, with the process's output, if it died)."""
        async with ClientSession() as http:
            for _ in range(600):
                if self.process.poll() is not None:
                    self.log.seek(0)
                    output = self.log.read().decode(errors="replace")[-3000:]
                    raise RuntimeError(f"{self.process.args} exited:\n{output}")
                with contextlib.suppress(OSError):
                    async with http.get(url) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.process.args} did not answer {url}")


async def on_each_database(name: str, run: Callable[[str, str], Awaitable[None]]) -> None:
    """Print the machine, then ``run(label, url)`` on a fresh SQLite file, and on PostgreSQL
    when ``ANIMATEUR_BENCH_DATABASE_URL`` is set."""
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        await run("sqlite", sqlite_url(Path(tmp), name))
    pg = pg_url()
    if pg:
        await run("postgresql", pg)
