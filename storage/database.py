"""Engines and migrations. SQLite (embedded default) and PostgreSQL share all of it.

Engines never put statement parameters in errors or logs (``hide_parameters``): parameters are
what members wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sqlite_driver import OneHopConnection, one_hop_dbapi

MIGRATIONS = Path(__file__).parent / "migrations"
#: The execution option of a connection whose transactions only read (``Store.read``).
READ_ONLY = "animateur_read_only"

#: The database URLs the bot runs on, and an example of each.
SUPPORTED = {
    "sqlite+aiosqlite": "sqlite+aiosqlite:///./animateur.db",
    "postgresql+asyncpg": "postgresql+asyncpg://user:password@host:5432/animateur",
}


#: PostgreSQL connections a process keeps open (and as many more at busy moments).
POOL_SIZE = 20


class DatabaseUrlError(ValueError):
    """A database URL the bot cannot use; the message says which ones it can."""


def check_url(url: str) -> str:
    """``url`` when the bot can use it; raise DatabaseUrlError saying what to give instead."""
    examples = " or ".join(SUPPORTED.values())
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"this is not a database URL: give {examples}") from None
    if parsed.drivername in SUPPORTED:
        return url
    family = {"postgres": "postgresql"}.get(parsed.get_backend_name(), parsed.get_backend_name())
    for driver, example in SUPPORTED.items():
        if driver.split("+")[0] == family:
            raise DatabaseUrlError(
                f"{parsed.drivername!r} needs the asyncio driver Animateur uses: "
                f"write {driver}://…, e.g. {example}"
            )
    raise DatabaseUrlError(
        f"unsupported database {family!r}: Animateur runs on SQLite or PostgreSQL, give {examples}"
    )


def safe_url(url: str) -> str:
    """``url`` with its password masked, to show in messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and write-ahead BEGIN.

    Raises DatabaseUrlError for a URL that is neither SQLite nor PostgreSQL.
    """
    check_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # a statement is one hand-off to aiosqlite's thread, not four (storage/sqlite_driver.py)
        kwargs.setdefault("module", one_hop_dbapi())
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    # Connections kept open for the concurrency a busy process reaches (events, 16 sends, the
    # scheduler): beyond ``pool_size`` each connection is opened for one transaction and closed
    # after it, and opening one costs PostgreSQL a process and asyncpg its type introspection.
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_SIZE)
    # No ping before each transaction (a round trip as dear as a statement, on every event):
    # a connection found dead fails its transaction — retried by the platform or the next
    # pass — and has SQLAlchemy drop every pooled connection, so one failure per process
    # after the database restarts; connections are renewed hourly (idle ones a firewall
    # may have dropped).
    kwargs.setdefault("pool_recycle", 3600)
    return create_async_engine(url, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and lets two writers deadlock on the
    # read→write lock upgrade; take the transaction ourselves and take the write lock up front.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        # a reader's transaction stays deferred: it takes no lock until it reads, and never the
        # write lock (with WAL, writers go on while it reads its snapshot)
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        begin = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
        driver = connection.connection.dbapi_connection
        if isinstance(driver, OneHopConnection):  # sent with the first statement
            driver.begin_with_next_statement(begin)
        else:
            connection.exec_driver_sql(begin)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on the engine's database."""

    def _run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)


def describe_failure(exc: BaseException) -> str:
    """One line saying why the database refused or could not be reached (no SQL, no values)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        detail = str(exc.orig)
    elif isinstance(exc, OSError) and exc.strerror:
        detail = exc.strerror
    elif isinstance(exc, TimeoutError):
        detail = "no answer in time"
    else:
        detail = str(exc) or type(exc).__name__
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    # asyncpg's errors arrive wrapped: "<class '…'>: role "x" does not exist"
    return first.split(">: ", 1)[-1]
