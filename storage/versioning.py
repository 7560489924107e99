"""Communities count their changes: every flush that changes a community's settings, or which of
its rituals are on, raises its ``version`` — whatever code made the change, counted in SQL so
that concurrent changes are each counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.tables import Community, PlaybookEnablement


class VersionedSession(Session):
    """The session every transaction uses (see Store)."""


def _changed(row: Any, *attributes: str) -> bool:
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in attributes)


@event.listens_for(VersionedSession, "before_flush")
def _count_changes(session: Session, _context: Any, _instances: Any) -> None:
    bumped: set[int] = set()
    settings = [c.key for c in inspect(Community).column_attrs if c.key != "version"]
    for row in session.dirty:
        if isinstance(row, Community) and row.id is not None and _changed(row, *settings):
            bumped.add(row.id)
    for row in [*session.new, *session.dirty]:
        if isinstance(row, PlaybookEnablement) and (row in session.new or _changed(row, "enabled")):
            bumped.add(row.community_id)
    table = Community.__table__  # type: ignore[attr-defined]
    for community_id in sorted(bumped):  # one order: concurrent transactions never deadlock
        # counted by the database (which also locks the row until the commit): two concurrent
        # changes make two versions, never one
        version = (
            session.connection()
            .execute(
                table.update()
                .where(table.c.id == community_id)
                .values(version=table.c.version + 1)
                .returning(table.c.version)
            )
            .scalar_one_or_none()
        )
        if version is None:  # not written yet: it begins at its first version
            continue
        community = session.identity_map.get(session.identity_key(Community, community_id))
        if isinstance(community, Community):
            set_committed_value(community, "version", version)
