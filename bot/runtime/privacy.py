"""A person's data on request: export it (GDPR art. 15) or erase it (art. 17), for one person
of one workspace. The erasure is one transaction: everything goes, or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.vocabulary.events import WorkspaceRef
from storage.privacy import Erasure
from storage.store import Store, Transaction
from storage.tables import Workspace


class UnknownWorkspace(LookupError):
    pass


class UnknownPerson(LookupError):
    pass


async def _subject(tx: Transaction, ref: WorkspaceRef, user_id: str) -> Workspace:
    workspace = await tx.directory.workspace(ref)
    if workspace is None:
        raise UnknownWorkspace(ref)
    if not await tx.privacy.known(workspace, user_id):
        raise UnknownPerson(user_id)
    return workspace


async def export_person(store: Store, ref: WorkspaceRef, user_id: str) -> dict[str, Any]:
    """Everything stored about ``user_id``; raises UnknownWorkspace, UnknownPerson."""
    async with store.read() as tx:
        workspace = await _subject(tx, ref, user_id)
        return await tx.privacy.export(workspace, user_id)


async def erase_person(store: Store, ref: WorkspaceRef, user_id: str, now: datetime) -> Erasure:
    """Remove ``user_id`` from the workspace; raises UnknownWorkspace, UnknownPerson."""
    async with store.transaction() as tx:
        workspace = await _subject(tx, ref, user_id)
        return await tx.privacy.erase(workspace, user_id, now)
