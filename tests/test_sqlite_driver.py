"""SQLite's driver adapter (storage/sqlite_driver.py): a statement is one call on aiosqlite's
thread, and SQL behaves as through SQLAlchemy's own adapter — rows, row counts, errors,
savepoints, streamed results."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.database import make_engine


@contextmanager
def hand_offs() -> Iterator[list[str]]:
    """The calls made on aiosqlite's threads meanwhile (by the name of what each runs)."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def three_statements(engine: AsyncEngine) -> list[str]:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
        await connection.execute(text("UPDATE t SET name = 'b' WHERE name = 'a'"))
        rows = (await connection.execute(text("SELECT name FROM t"))).all()
    return [row.name for row in rows]


async def test_a_statement_is_one_hand_off_to_the_driver_thread(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    with hand_offs() as calls:
        assert await three_statements(engine) == ["b"]
    # BEGIN IMMEDIATE with the first statement, the two others, COMMIT (no rollback after it)
    assert calls == ["_run", "_run", "_run", "commit"], calls

    # SQLAlchemy's own adapter: a cursor opened, the statement run, its rows fetched, the cursor
    # closed — each a call of its own
    stock = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    try:
        async with stock.connect() as warm:
            await warm.execute(text("SELECT 1"))
        with hand_offs() as calls:
            async with stock.connect() as connection:
                await connection.execute(text("SELECT name FROM t"))
        assert len(calls) >= 3, calls
    finally:
        await stock.dispose()


async def test_the_transaction_begins_with_its_first_statement(engine: AsyncEngine) -> None:
    """BEGIN IMMEDIATE goes with the first statement: the write lock is held from then on, as
    when it was a call of its own; a transaction without statements begins nothing."""
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        sqlite = raw.driver_connection._conn  # type: ignore[union-attr]
        assert not sqlite.in_transaction, "nothing sent before a statement"
        await connection.execute(text("SELECT count(*) FROM t"))
        assert sqlite.in_transaction, "a read in a writer's transaction holds it"
        competing = sqlite3.connect(str(engine.url.database), timeout=0.05)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                competing.execute("BEGIN IMMEDIATE")
        finally:
            competing.close()
    with hand_offs() as calls:
        async with engine.begin():
            pass
    assert calls == [], "an empty transaction costs no call"


async def test_rows_counts_and_ids_are_the_statements(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO t (name) VALUES ('x'), ('y')"))
        assert inserted.rowcount == 2
        one = await connection.execute(text("INSERT INTO t (name) VALUES ('z')"))
        assert one.lastrowid == 3
        returned = await connection.execute(
            text("UPDATE t SET name = name || '!' WHERE name != 'z' RETURNING id, name")
        )
        assert sorted(returned.all()) == [(1, "x!"), (2, "y!")]
        nothing = await connection.execute(text("SELECT name FROM t WHERE id > 10"))
        assert nothing.all() == []
        many = await connection.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "m1"}, {"name": "m2"}]
        )
        assert many.rowcount == 2
        count = await connection.scalar(text("SELECT count(*) FROM t"))
    assert count == 5


async def test_errors_savepoints_and_rollbacks_behave_as_before(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        with pytest.raises(IntegrityError):
            async with connection.begin_nested():
                await connection.execute(text("INSERT INTO t (name) VALUES ('dup')"))
                await connection.execute(text("INSERT INTO t (name) VALUES ('dup')"))
        with pytest.raises(OperationalError):
            await connection.execute(text("SELECT nope FROM t"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (name) VALUES ('gone')"))
            await connection.execute(text("INSERT INTO t (name) VALUES ('kept')"))
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM t ORDER BY id"))).scalars()
        assert list(names) == ["kept"], "the savepoint and the failed transaction rolled back"


async def test_a_streamed_result_is_read_row_by_row(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": f"n{i}"} for i in range(5)]
        )
    async with engine.connect() as connection:
        streamed = await connection.stream(text("SELECT name FROM t ORDER BY id"))
        assert [row.name async for row in streamed] == [f"n{i}" for i in range(5)]
