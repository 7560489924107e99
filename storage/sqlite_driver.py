"""SQLAlchemy's aiosqlite adapter with one hand-off to the driver's thread per statement.

aiosqlite runs each call on a thread of its own per connection; SQLAlchemy's adapter makes four
such calls for one statement (open a cursor, execute, fetch the rows, close the cursor), and
each is a wake-up of that thread, a wake-up of the event loop through its self-pipe and two
switches of the GIL — more CPU than SQLite spends running the statement. Here a statement is one
call run on that thread: execute, fetch every row, note the description, row count and last row
id, close. What SQLite does, in which order, inside which transaction, is unchanged; only the
cursor SQLAlchemy uses for a statement differs (a server-side cursor — ``stream()`` — is still
aiosqlite's own, row by row). Commit and rollback were one call each already.

The adapter is given to the engine as its DBAPI module (``create_engine(module=…)``, documented
by SQLAlchemy), so the URL stays ``sqlite+aiosqlite://`` and nothing global is registered.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import await_only

#: What one statement leaves: its description, its rows, its row count and last row id.
_Outcome = tuple[Any, list[Any], int, int | None]


def _run(
    connection: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """On aiosqlite's thread: the transaction begun if it is to be (``begin``), then the
    statement run and read to its end, its cursor closed."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A statement's cursor: one call on the driver's thread, the rows then read from memory."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # no cursor opened on the driver's thread: the statement opens and closes its own
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows: collections.deque[Any] = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._call(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: str, parameters: Any, many: bool) -> None:
        adapted = self._adapt_connection
        begin = adapted.take_begin() if isinstance(adapted, OneHopConnection) else None
        try:
            outcome: _Outcome = await_only(self._on_thread(begin, operation, parameters, many))
        except Exception as error:
            adapted._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _on_thread(
        self, begin: str | None, operation: str, parameters: Any, many: bool
    ) -> _Outcome:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            # aiosqlite's own way to run a call on its thread (it refuses a closed connection)
            call = driver._execute(_run, driver._conn, begin, operation, parameters, many)  # type: ignore[no-untyped-call]
            outcome: _Outcome = await call
            return outcome

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor was closed on the driver's thread."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        """SQLite takes no sizes."""

    def nextset(self) -> None:
        raise NotImplementedError("SQLite returns one result set per statement")

    def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection whose statements each take one hand-off, the
    transaction's ``BEGIN`` going with its first statement."""

    __slots__ = ("_begin",)

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None

    def begin_with_next_statement(self, begin: str) -> None:
        """Run ``begin`` (``BEGIN IMMEDIATE``…) just before the next statement, in its call on
        the thread: SQLite runs the same SQL in the same order, one hand-off fewer. A
        transaction that runs no statement begins nothing, so has nothing to commit."""
        self._begin = begin

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def commit(self) -> None:
        if self.take_begin() is None:
            super().commit()

    def rollback(self) -> None:
        self._begin = None
        # The pool rolls back every connection it takes back, even after a commit: outside a
        # transaction sqlite3's rollback() does nothing, so it is not sent to the thread then
        # (``in_transaction`` reads SQLite's autocommit flag; no statement of this connection
        # is running while SQLAlchemy rolls it back).
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if driver._connection is not None and not driver._connection.in_transaction:
            return
        super().rollback()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # aiosqlite's cursor, row by row: the transaction begins first
            begin = self.take_begin()
            if begin is not None:
                OneHopCursor(self).execute(begin)
            return self._ss_cursor_cls(self)
        return OneHopCursor(self)


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect uses, connecting OneHopConnections."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDbapi:
    """A module to give ``create_engine(module=…)`` for an ``sqlite+aiosqlite`` URL."""
    return OneHopDbapi(aiosqlite, sqlite3)
