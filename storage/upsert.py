"""INSERT … ON CONFLICT for both dialects: rows that two processes may create at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.prepared import prepared


def _insert(session: AsyncSession, model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def entity_insert(session: AsyncSession, model: type[SQLModel]) -> Any:
    """The dialect's INSERT into ``model`` as an ORM entity: its ``returning(model)`` gives the
    rows as ``model`` instances, in the session (execute it with ``populate_existing``)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


async def insert_missing(
    session: AsyncSession, model: type[SQLModel], values: Mapping[str, Any], unique: Sequence[str]
) -> None:
    """Insert the row unless one with the same ``unique`` columns exists (never raises for it)."""
    statement = _insert(session, model).values(**values)
    await session.execute(statement.on_conflict_do_nothing(index_elements=list(unique)))


async def insert_all_missing(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Sequence[Mapping[str, Any]],
    unique: Sequence[str],
) -> int:
    """Insert the rows in one statement, but those whose ``unique`` columns exist already;
    returns how many went in."""
    if not rows:
        return 0
    statement = _insert(session, model).values(list(rows))
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=list(unique)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def insert_or_update(
    session: AsyncSession,
    model: type[SQLModel],
    values: Mapping[str, Any],
    unique: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert the row, or update its ``update`` columns when it exists."""
    statement = _insert(session, model).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(unique), set_={c: statement.excluded[c] for c in update}
        )
    )


async def upsert_adding(
    session: AsyncSession,
    model: type[SQLModel],
    values: Mapping[str, Any],
    unique: Sequence[str],
    counters: Sequence[str],
) -> None:
    """Insert the row, or add its ``counters`` to the existing row's (a negative value takes
    away): counts that several processes keep at once, each change counted once. The statement
    is built once per table and columns (storage.prepared): ``values`` are only bound."""
    table = model.__table__  # type: ignore[attr-defined]

    def build(dialect: Any) -> Any:
        statement = dialect.insert(table)
        return statement.on_conflict_do_update(
            index_elements=list(unique),
            set_={c: table.c[c] + statement.excluded[c] for c in counters},
        )

    key = ("upsert_adding", table.name, tuple(sorted(values)), tuple(unique), tuple(counters))
    await session.execute(prepared(session, key, build), dict(values))


async def insert_missing_many(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Sequence[Mapping[str, Any]],
    unique: Sequence[str],
    chunk: int = 500,
) -> None:
    """``insert_missing`` for many rows, a chunk per statement."""
    for start in range(0, len(rows), chunk):
        statement = _insert(session, model).values(list(rows[start : start + chunk]))
        await session.execute(statement.on_conflict_do_nothing(index_elements=list(unique)))
