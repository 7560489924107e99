"""Where a person is named in others' rows, looked up once for both their export and their
erasure (so that the two cannot look in different places): others' messages, runs, rituals'
season tallies and ritual launches that name them, and the Slack installations they made."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, Table, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from storage.privacy_messages import names_person
from storage.privacy_sections import naming_in_variables
from storage.slack_tables import INSTALLATIONS
from storage.tables import (
    Community,
    Delivery,
    PulseQuestion,
    QuestionMatch,
    RitualLaunch,
    RitualSeason,
    Run,
    Workspace,
)


def table_of(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def mentions(column: Any, needles: Sequence[str]) -> Any:
    """A text or JSON column whose stored text holds one of ``needles`` (as JSON encodes it)."""
    text = cast(column, String)
    return or_(*(text.contains(json.dumps(n)[1:-1], autoescape=True) for n in needles))


def names_part(key: Any, uid: str) -> Any:
    """An event key one of whose ``:``-separated parts is ``uid`` (never its first: the
    platform)."""
    return or_(key.contains(f":{uid}:", autoescape=True), key.endswith(f":{uid}", autoescape=True))


def matches_of_their_questions(communities: Any, uid: str) -> list[Any]:
    """The experts their questions matched (the conditions on ``QuestionMatch``)."""
    theirs = (
        select(col(PulseQuestion.id))
        .where(
            col(PulseQuestion.community_id) == col(QuestionMatch.community_id),
            col(PulseQuestion.message_id) == col(QuestionMatch.message_id),
            col(PulseQuestion.asker) == uid,
        )
        .exists()
    )
    return [col(QuestionMatch.community_id).in_(communities), theirs]


class PersonFinders:
    """The finders :class:`storage.privacy_export.PersonExport` and
    :class:`storage.privacy_erasure.PersonErasure` share."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def _communities(self, workspace_id: int) -> Any:
        return select(col(Community.id)).where(col(Community.workspace_id) == workspace_id)

    async def _naming(self, workspace_id: int, user_id: str, name: str, *columns: Any) -> list[Any]:
        """Others' deliveries that name ``user_id`` (see :func:`names_person`): the text
        search only narrows them down, the action decides."""
        deliveries = table_of(Delivery)
        needles = [user_id, *([name] if name else [])]
        found = await self._s.execute(
            select(deliveries.c.action, *columns).where(
                col(Delivery.workspace_id) == workspace_id,
                col(Delivery.recipient) != user_id,
                mentions(deliveries.c.action, needles),
            )
        )
        return [row for row in found.all() if names_person(row[0], user_id, name)]

    async def _seasons_naming(self, communities: Any, uid: str) -> list[RitualSeason]:
        found = await self._s.execute(
            select(RitualSeason).where(
                col(RitualSeason.community_id).in_(communities),
                mentions(table_of(RitualSeason).c.data, [uid]),
            )
        )
        return list(found.scalars().all())

    async def _runs_naming(self, w: int, uid: str) -> list[tuple[Run, dict[str, object]]]:
        """Others' runs that remember them (who replied, their row of a thread's tally), with
        what of them each remembers: in their export, and forgotten by their erasure."""
        found = await self._s.execute(
            select(Run).where(
                col(Run.workspace_id) == w,
                col(Run.subject) != uid,
                mentions(table_of(Run).c.variables, [uid]),
            )
        )
        naming = [(run, naming_in_variables(run.variables, uid)) for run in found.scalars()]
        return [(run, said) for run, said in naming if said]

    async def _launches_at(self, communities: Any, uid: str) -> list[RitualLaunch]:
        """Ritual launches whose progress stopped at them (their user id is the cursor)."""
        found = await self._s.execute(
            select(RitualLaunch).where(
                col(RitualLaunch.community_id).in_(communities), col(RitualLaunch.cursor) == uid
            )
        )
        return list(found.scalars().all())

    def _installed_by(self, workspace: Workspace, uid: str) -> list[Any]:
        team = INSTALLATIONS.c.team_id if workspace.platform == "slack" else None
        if team is None:
            return [INSTALLATIONS.c.id.is_(None)]  # no Slack installation elsewhere
        return [
            or_(
                team == workspace.external_id,
                INSTALLATIONS.c.enterprise_id == workspace.external_id,
            ),
            INSTALLATIONS.c.user_id == uid,
        ]
