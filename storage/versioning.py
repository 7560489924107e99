"""Communities count their changes: every flush that changes a community's settings, or which of
its rituals are on, raises its ``version`` — whatever code made the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

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
    for community_id in bumped:
        community = session.identity_map.get(session.identity_key(Community, community_id))
        if isinstance(community, Community):
            community.version += 1
        else:  # not loaded in this transaction: counted in the database
            session.connection().execute(
                Community.__table__.update()  # type: ignore[attr-defined]
                .where(Community.__table__.c.id == community_id)  # type: ignore[attr-defined]
                .values(version=Community.__table__.c.version + 1)  # type: ignore[attr-defined]
            )
