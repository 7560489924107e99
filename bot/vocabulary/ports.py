"""The seams between the runtime and the platforms: what an adapter must provide."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.vocabulary.actions import Action
from bot.vocabulary.events import Event, WorkspaceRef

#: The source of "now" (aware UTC): real in production, manual in tests and simulations.
Clock = Callable[[], datetime]

#: How the runtime receives a normalized event from an adapter.
EventSink = Callable[[Event], Awaitable["DispatchResult"]]

DispatchResult = Literal["processed", "duplicate"]

SendStatus = Literal["sent", "retry", "permanent", "blocked", "unauthorized"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What happened to one send.

    ``retry``: try again later (after ``retry_after`` seconds when the platform said so).
    ``permanent``: will never work (channel gone…) — no retry storm.
    ``blocked``: the recipient blocked or removed the bot — stop sending to them.
    ``unauthorized``: the platform refused the workspace's credentials (token revoked) — the
    workspace is marked revoked and nothing more is sent to it until it is installed again.
    """

    status: SendStatus
    platform_ref: str | None = None
    retry_after: float | None = None
    error: str | None = None


class Sender(Protocol):
    """Sends one neutral action on one platform."""

    platform: str

    async def send(self, workspace: WorkspaceRef, action: Action) -> SendOutcome: ...
