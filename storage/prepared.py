"""Statements of the hot path built once per dialect and shape, their values bound when run.

Building a SQLAlchemy statement (its clauses, its ``ON CONFLICT`` set, its subqueries) and then
computing its cache key costs more CPU than running it on SQLite: an inbound event ran six such
statements, each built afresh. A statement built once keeps its cache key (SQLAlchemy memoizes
it on the instance), so running it again only binds the values. Keys are finite (a table and a
set of column names, a kind of event): the cache never grows with the data.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from types import ModuleType
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

_built: dict[tuple[Hashable, ...], Any] = {}


def dialect_module(session: AsyncSession) -> ModuleType:
    """The module whose ``insert`` has ``on_conflict_*`` for the session's database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def prepared(session: AsyncSession, key: tuple[Hashable, ...], build: Callable[[Any], Any]) -> Any:
    """The statement ``build(dialect module)`` made for this session's database and ``key``,
    built the first time only (``key`` names everything the statement's shape depends on)."""
    dialect = dialect_module(session)
    full = (dialect.__name__, *key)
    statement = _built.get(full)
    if statement is None:
        statement = _built[full] = build(dialect)
    return statement
