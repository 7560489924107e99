"""The seams between the runtime and the platforms: what an adapter must provide."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from bot.vocabulary.actions import Action
from bot.vocabulary.events import Event, MemberProfile, WorkspaceRef

#: The source of "now" (aware UTC): real in production, manual in tests and simulations.
Clock = Callable[[], datetime]

#: How the runtime receives a normalized event from an adapter.
EventSink = Callable[[Event], Awaitable["DispatchResult"]]

DispatchResult = Literal["processed", "duplicate"]

SendStatus = Literal["sent", "retry", "deferred", "permanent", "blocked", "unauthorized"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What happened to one send.

    ``retry``: it failed; try again later (after ``retry_after`` seconds if the platform said).
    ``deferred``: not attempted (pacing, a pause): try again after ``retry_after`` seconds
    without counting an attempt.
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


class ReferenceStore(Protocol):
    """Where a platform keeps what it needs to write to a conversation later (Teams
    conversation references), per workspace and key (``user:<id>``, ``channel:<id>``)."""

    async def save(self, workspace: WorkspaceRef, entries: Mapping[str, dict[str, Any]]) -> None:
        """Store each ``key: reference`` of ``entries`` (one transaction)."""
        ...

    async def get(self, workspace: WorkspaceRef, key: str) -> dict[str, Any] | None: ...

    async def any(self, workspace: WorkspaceRef) -> dict[str, Any] | None:
        """Some reference in the workspace (its service URL and tenant serve to open a 1:1)."""
        ...

    async def with_prefix(self, workspace: WorkspaceRef, prefix: str) -> dict[str, dict[str, Any]]:
        """Every ``key: reference`` of the workspace whose key starts with ``prefix``."""
        ...


class Roster(Protocol):
    """Who is in a community, as the platform knows it."""

    async def members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        """The people in ``channel`` now: never a bot (the bot itself included). Raises
        (PlatformUnavailable, or the platform's error) when the platform cannot tell — an
        empty roster is never a guess."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """What a platform says about a channel, to decide who may declare it a community."""

    #: the bot is in the channel (Slack: invited; Teams: the app is added to the team)
    bot_is_member: bool
    #: who may declare it besides the workspace's admins and the allow-list (Slack: the
    #: channel's creator; Teams: who added the app to the team)
    owners: frozenset[str] = frozenset()
    #: a platform with no owners to ask (the local playground): anyone may declare it
    open_to_all: bool = False


class PlatformUnavailable(Exception):
    """The platform could not answer now (timeout, error, unreadable answer): try again later.
    The message says what it answered, for the logs."""


class Channels(Protocol):
    """What a platform knows about its channels and people, asked when a community is declared
    or its people change. Implementations bound their calls in time and raise
    PlatformUnavailable rather than guess."""

    #: Whether it tells of any person, stored or not (Slack, Teams): then even the people the
    #: bot stored are confirmed with it (they may have been deactivated or left). False: it
    #: knows no one beyond the people the bot stored (the local playground).
    knows_everyone: bool

    async def facts(self, workspace: WorkspaceRef, channel: str) -> ChannelFacts: ...

    async def is_member(self, workspace: WorkspaceRef, channel: str, user_id: str) -> bool:
        """Whether ``user_id`` is a person of the workspace (for Teams: of the team
        ``channel``) — not a bot, not a deactivated account."""
        ...


@dataclass(frozen=True, slots=True)
class MessagePlace:
    """A message of a community's channel, to be opened by a facilitator: its id, and the id
    of its thread's first message when it is a reply (None: it starts its thread)."""

    channel: str
    message_id: str
    thread: str | None = None


class MessageLinks(Protocol):
    """Where a facilitator opens a message, as the platform spells it (its URL format, what it
    needs to know of the workspace): the runtime only shows the address."""

    async def url(self, workspace: WorkspaceRef, place: MessagePlace) -> str: ...
