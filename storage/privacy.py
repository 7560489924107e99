"""A person's data: everything stored about them (GDPR art. 15, export) and its removal
(art. 17, erasure), for one person of one workspace.

:class:`Privacy` is the way in; the work is done next to it, one concern a module:

- ``storage/privacy_columns.py`` declares every table, once: the columns naming a person, and
  why every other text or JSON column names nobody (``tests/test_privacy.py`` fails on a table
  or a text column declared in neither);
- ``storage/privacy_export.py`` gathers a person's export, ``storage/privacy_erasure.py``
  erases them, each table with person columns in both;
- ``storage/privacy_finders.py`` finds the rows of others that name them, for both;
- ``storage/privacy_messages.py`` says whether an outbox message names them, and what an erased
  one keeps.

Erasure, table by table: the person's own rows go (member, stays in communities, answers, runs
about them, outbox rows addressed to them, their activity, their daily counts and interaction
pairs, their questions (and the experts these matched), kudos they gave or received, their
expert topics, the questions that matched them, the times they were asked as an expert,
references to their 1:1 conversation, their event keys, the record that they added the bot to
a Teams team, their entries in rituals' season tallies, invitations to facilitate they got or
made, their rows of intros rounds); where others' rows name them, the name goes and the row
stays (a reply to them, a question they answered, a facilitator list, a message sent to someone
else that named them, a ritual launch they requested, others' runs that remember who answered
or hold their row of a thread's tally, the partners of their intros groups). What remains are
counts that name nobody. The export holds every row the erasure removes or changes: where,
table by table, is listed once in :data:`storage.privacy_sections.EXPORTED`, and the finders
serve both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.privacy_erasure import Erasure, PersonErasure
from storage.privacy_export import PersonExport
from storage.privacy_messages import NAMES, names_person, redacted
from storage.tables import CommunityMember, Workspace

#: ``Erasure`` is what :meth:`Privacy.erase` returns; ``NAMES``, ``names_person`` and
#: ``redacted`` are what the outbox (``storage/outbox.py``) reads of a person's data.
__all__ = ["NAMES", "Erasure", "Privacy", "names_person", "redacted"]


class Privacy:
    """A person's data in one workspace: whether any is stored, its export, its erasure."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._export = PersonExport(session)
        self._erasure = PersonErasure(session)

    async def known(self, workspace: Workspace, user_id: str) -> bool:
        """Whether anything at all is stored about ``user_id`` in the workspace."""
        found = await self.export(workspace, user_id)
        return any(v for k, v in found.items() if k not in ("workspace", "user_id"))

    async def in_a_community(self, workspace_id: int, user_id: str) -> bool:
        """Whether ``user_id`` is still recorded in one of the workspace's communities."""
        query = select(col(CommunityMember.user_id)).where(
            col(CommunityMember.workspace_id) == workspace_id,
            col(CommunityMember.user_id) == user_id,
        )
        return (await self._s.execute(query.limit(1))).first() is not None

    async def export(self, workspace: Workspace, user_id: str) -> dict[str, Any]:
        """Every stored datum about ``user_id`` in ``workspace``, as JSON-ready values."""
        return await self._export.export(workspace, user_id)

    async def keep_opt_out(
        self,
        workspace_id: int,
        person_keys: Sequence[str],
        opted_out_all: bool,
        opted_out: Sequence[str],
        now: datetime,
    ) -> None:
        """What an erased person had opted out of (see :meth:`PersonErasure.keep_opt_out`)."""
        await self._erasure.keep_opt_out(workspace_id, person_keys, opted_out_all, opted_out, now)

    async def erase(self, workspace: Workspace, user_id: str, now: datetime) -> Erasure:
        """Remove ``user_id`` from ``workspace``: their rows go, others' rows lose their name.
        Run it in one transaction."""
        return await self._erasure.erase(workspace, user_id, now)
