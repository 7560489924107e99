"""Rows read by a Core statement, made the session's instances without the ORM's statement
machinery.

An ORM statement (``insert(Model)…returning(Model)``, ``select(Model)``) costs more CPU than the
Core statement under it: its compile state, its cache key built again on every run for a DML
statement, its result processing. On the inbound path a row is needed as an instance only
because code after it may change it (the change then written at commit): the row is read by a
Core statement and put in the session as ORM loading would put it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


def loaded(
    session: AsyncSession, model: type[M], row: Mapping[str, Any], *, refresh: bool = False
) -> M:
    """``row`` (every column of ``model``, by name) as the session's persistent instance, as
    ORM loading would give it: the instance already in the session, as it is (``refresh``: its
    values replaced by the row's, a change not written yet lost, as ``populate_existing``
    does), else a new one, unchanged (only what is changed afterwards is written at commit)."""
    sync = session.sync_session
    key = sync.identity_key(model, (row["id"],))
    found = sync.identity_map.get(key)
    if isinstance(found, model):
        # refresh: every value replaced; else, as ORM loading does, only those it has not
        # (expired, e.g. by a savepoint's rollback): reading one would load it lazily
        unloaded = instance_state(found).unloaded
        for name, value in row.items():
            if refresh or name in unloaded:
                set_committed_value(found, name, value)
        return found
    # made as ORM loading makes it: no __init__ (each value set through the instrumentation,
    # recorded as a change, then forgotten), the values put in its state directly
    instance: M = class_mapper(model).class_manager.new_instance()
    instance_state(instance).dict.update(row)
    make_transient_to_detached(instance)  # its values as loaded: no change to write
    sync.add(instance)
    return instance
