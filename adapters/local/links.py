"""Where a facilitator opens a message of the local playground: the playground itself (it has
no address for one message or thread: it opens on its channels and their newest messages)."""

from __future__ import annotations

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessagePlace


class LocalMessageLinks:
    def __init__(self, public_url: str) -> None:
        self._playground = f"{public_url.rstrip('/')}/playground"

    async def url(self, workspace: WorkspaceRef, place: MessagePlace) -> str:
        return self._playground
