"""Inbound facts, neutral of any platform.

Every event names its workspace and carries a ``key`` unique per platform fact: the dispatcher
processes a key once, whatever the retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal, TypedDict

Platform = Literal["local", "slack", "teams"]


@dataclass(frozen=True, slots=True)
class WorkspaceRef:
    """One Slack workspace or one Teams tenant."""

    platform: Platform
    external_id: str


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """What a platform told us about a person (all optional but the id)."""

    user_id: str
    display_name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    #: an administrator or owner of the whole workspace (None: the platform did not say)
    is_admin: bool | None = None


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a message the bot sent lives on its platform (channel + platform message id)."""

    channel: str
    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EventBase:
    workspace: WorkspaceRef
    key: str
    occurred_at: datetime


class EventFields(TypedDict):
    """The fields every event has, for adapters to build once and spread: ``Cls(**fields)``."""

    workspace: WorkspaceRef
    key: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(EventBase):
    channel: str
    member: MemberProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagePosted(EventBase):
    """A person's message (never its text). ``thread`` is the platform id of the thread's
    top-level message when this is a reply, ``parent_author`` that message's author when the
    platform says. ``is_question`` is computed at ingest from the text, which is then dropped.

    ``words``: a question's folded words (``bot.vocabulary.words.question_words``), set only
    when ``is_question``, for matching experts' topics at ingest. Transient: never stored,
    logged nor shown (left out of the event's repr and comparisons)."""

    channel: str
    member: MemberProfile
    thread: str | None = None
    is_direct: bool = False
    #: the message's own platform id (Slack ``ts``, Teams activity id), when there is one
    message_id: str | None = None
    parent_author: str | None = None
    is_question: bool = False
    words: frozenset[str] = field(default=frozenset(), repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEdited(EventBase):
    """A person edited a message: its record stays, its question flag follows the new text
    (and, for a question, the experts its new words match: ``words`` as in MessagePosted,
    transient)."""

    channel: str
    member: MemberProfile
    message_id: str
    is_question: bool = False
    words: frozenset[str] = field(default=frozenset(), repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDeleted(EventBase):
    """A message was deleted: it stops counting (``member``: who deleted it, when said)."""

    channel: str
    message_id: str
    member: MemberProfile | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionAdded(EventBase):
    channel: str
    member: MemberProfile
    reaction: str
    #: the message reacted to, and its author when the platform says
    message_id: str
    target_author: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionRemoved(EventBase):
    channel: str
    member: MemberProfile
    reaction: str
    #: the message reacted to, and its author when the platform says
    message_id: str
    target_author: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(EventBase):
    channel: str
    member: MemberProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class AppInstalled(EventBase):
    """The bot was installed (again): in a workspace, or by one member for themselves."""

    name: str = ""
    member: MemberProfile | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AppRemoved(EventBase):
    """A member uninstalled or blocked the bot (personal scope): nothing more goes to them."""

    member: MemberProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandInvoked(EventBase):
    channel: str
    member: MemberProfile
    name: str
    args: tuple[str, ...] = ()
    #: where to answer privately, if the platform gives a way (Slack: the response_url)
    reply_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonClicked(EventBase):
    """A click on a choice the bot offered; ``callback`` is the opaque token the bot put there."""

    member: MemberProfile
    callback: str
    value: str
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSubmitted(EventBase):
    """A free-text (or form) answer to a question the bot asked."""

    member: MemberProfile
    callback: str
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeOpened(EventBase):
    member: MemberProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberUpdated(EventBase):
    """The platform told more about a member (e.g. a profile look-up that succeeded late):
    their profile is stored, nothing else happens."""

    member: MemberProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick(EventBase):
    """The scheduler waking one run whose timer is due."""

    run_id: str
    #: the wake-up time it answers (None: whenever); a run that moved on since ignores it
    wake_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadReplied(EventBase):
    """Someone replied in a thread a run waits on (``wait_reply``): made by the dispatcher
    when it records the reply, handed to that run only."""

    run_id: str
    thread: str
    user_id: str
    name: str
    message_id: str | None = None


Event = (
    MemberJoined
    | MessagePosted
    | MessageEdited
    | MessageDeleted
    | ReactionAdded
    | ReactionRemoved
    | MemberLeft
    | AppInstalled
    | AppRemoved
    | CommandInvoked
    | ButtonClicked
    | FormSubmitted
    | HomeOpened
    | MemberUpdated
    | Tick
    | ThreadReplied
)

#: The activity kind recorded for each event type (metadata only, never message text).
ACTIVITY_KIND: Mapping[type, str] = MappingProxyType(
    {
        MemberJoined: "member_joined",
        MessagePosted: "message_posted",
        MessageEdited: "message_edited",
        MessageDeleted: "message_deleted",
        ReactionAdded: "reaction_added",
        ReactionRemoved: "reaction_removed",
        MemberLeft: "member_left",
        CommandInvoked: "command_invoked",
        ButtonClicked: "button_clicked",
        FormSubmitted: "form_submitted",
        HomeOpened: "home_opened",
    }
)
