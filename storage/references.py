"""Conversation references kept for platforms (the ReferenceStore port), one short transaction
per call since adapters call it outside the dispatcher's transactions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from bot.vocabulary.events import WorkspaceRef
from storage.store import Store
from storage.tables import ConversationReference
from storage.upsert import insert_or_update


class StoredReferences:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def save(self, workspace: WorkspaceRef, entries: Mapping[str, dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        async with self._store.transaction() as tx:
            found = await tx.directory.ensure_workspace(workspace, now)
            assert found.id is not None
            for key, data in entries.items():
                await insert_or_update(
                    tx.session,
                    ConversationReference,
                    {"workspace_id": found.id, "key": key, "data": data, "updated_at": now},
                    unique=("workspace_id", "key"),
                    update=("data", "updated_at"),
                )

    async def get(self, workspace: WorkspaceRef, key: str) -> dict[str, Any] | None:
        async with self._store.read() as tx:
            found = await tx.directory.workspace(workspace)
            if found is None:
                return None
            query = select(ConversationReference.data).where(
                ConversationReference.workspace_id == found.id, ConversationReference.key == key
            )
            data: dict[str, Any] | None = (await tx.session.execute(query)).scalar_one_or_none()
            return data

    async def any(self, workspace: WorkspaceRef) -> dict[str, Any] | None:
        async with self._store.read() as tx:
            found = await tx.directory.workspace(workspace)
            if found is None:
                return None
            query = (
                select(ConversationReference.data)
                .where(ConversationReference.workspace_id == found.id)
                .order_by(col(ConversationReference.updated_at).desc())
                .limit(1)
            )
            data: dict[str, Any] | None = (await tx.session.execute(query)).scalar_one_or_none()
            return data

    async def with_prefix(self, workspace: WorkspaceRef, prefix: str) -> dict[str, dict[str, Any]]:
        async with self._store.read() as tx:
            found = await tx.directory.workspace(workspace)
            if found is None:
                return {}
            query = select(ConversationReference.key, ConversationReference.data).where(
                ConversationReference.workspace_id == found.id,
                col(ConversationReference.key).startswith(prefix, autoescape=True),
            )
            return {key: data for key, data in (await tx.session.execute(query)).all()}
