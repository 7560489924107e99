"""The local JSON API's inbound payloads, validated, and turned into neutral events.

The playground is a platform like the others: a member's message gets an id (``m12``), a reply
names the message it answers (the thread is that message's, as on Slack and Teams), a reaction
names its message and so its author, and a message's author may edit or delete it. The text
gives the question flag and stays in the playground's memory only (it is what it shows)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from adapters.local.inbox import LocalInbox, LocalMessage
from bot.vocabulary import events as ev
from bot.vocabulary.questions import is_question
from bot.vocabulary.words import question_words

T = TypeVar("T")
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@:-]+$")]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: Id = "demo"
    user: Id
    id: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="dedupe key: the same id posted twice is processed once"
    )
    name: Annotated[str, Field(max_length=200)] | None = None
    locale: Annotated[str, Field(max_length=16)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None


class MemberJoinedIn(_Payload):
    type: Literal["member_joined"]
    channel: Id


class MemberLeftIn(_Payload):
    type: Literal["member_left"]
    channel: Id


Text = Annotated[str, Field(max_length=4000)]
Reaction = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_+'-]+$")]


class MessagePostedIn(_Payload):
    type: Literal["message_posted"]
    channel: Id
    text: Text = ""
    thread: Id | None = Field(
        default=None, description="the id of a message of the channel this replies to"
    )


class ReactionAddedIn(_Payload):
    type: Literal["reaction_added"]
    channel: Id
    reaction: Reaction = Field(description="an emoji's name, as Slack names them: tada, +1…")
    message_id: Id


class ReactionRemovedIn(_Payload):
    type: Literal["reaction_removed"]
    channel: Id
    reaction: Reaction
    message_id: Id


class MessageEditedIn(_Payload):
    """The author changes the text of their message."""

    type: Literal["message_edited"]
    message_id: Id
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class MessageDeletedIn(_Payload):
    """The author deletes their message."""

    type: Literal["message_deleted"]
    message_id: Id


class CommandIn(_Payload):
    type: Literal["command"]
    channel: Id
    command: Annotated[str, Field(min_length=1, max_length=64)]
    args: Annotated[str, Field(max_length=1000)] = ""


class ButtonClickedIn(_Payload):
    type: Literal["button_clicked"]
    message_id: Id
    value: Annotated[str, Field(min_length=1, max_length=64)]


class AnswerSubmittedIn(_Payload):
    type: Literal["answer_submitted"]
    message_id: Id
    answer: Annotated[str, Field(min_length=1, max_length=3000)]


class StopClickedIn(_Payload):
    """A click on the stop button of a ritual DM."""

    type: Literal["stop_clicked"]
    message_id: Id


FieldName = Annotated[str, Field(min_length=1, max_length=64)]


class FormSubmittedIn(_Payload):
    type: Literal["form_submitted"]
    message_id: Id
    values: Annotated[dict[FieldName, Annotated[str, Field(max_length=4000)]], Field(max_length=50)]


class HomeOpenedIn(_Payload):
    type: Literal["home_opened"]


class LocalEventIn(BaseModel):
    event: Annotated[
        MemberJoinedIn
        | MemberLeftIn
        | MessagePostedIn
        | ReactionAddedIn
        | ReactionRemovedIn
        | MessageEditedIn
        | MessageDeletedIn
        | CommandIn
        | ButtonClickedIn
        | AnswerSubmittedIn
        | StopClickedIn
        | FormSubmittedIn
        | HomeOpenedIn,
        Field(discriminator="type"),
    ]


class UnknownMessage(ValueError):
    """A click, answer, reply, reaction or edit on a message the local platform never showed
    (or that is not the member's to change)."""


_OnMessage = ButtonClickedIn | AnswerSubmittedIn | StopClickedIn | FormSubmittedIn


def _offered(
    inbox: LocalInbox, p: _OnMessage, what: str, part: Callable[[LocalMessage], T | None]
) -> tuple[LocalMessage, T]:
    """The message ``p`` acts on and the ``part`` of it acted on (its question, stop button,
    form); UnknownMessage when there is no such message, or it offers nothing of the kind."""
    shown = inbox.get(p.message_id)
    found = part(shown) if shown is not None and shown.workspace == p.workspace else None
    if shown is None or found is None:
        raise UnknownMessage(f"message {p.message_id!r} has no open {what}")
    return shown, found


def to_event(payload: LocalEventIn, inbox: LocalInbox, now: datetime) -> ev.Event:
    p = payload.event
    base = ev.EventFields(
        workspace=ev.WorkspaceRef("local", p.workspace),
        key=p.id or uuid.uuid4().hex,
        occurred_at=now,
    )
    member = ev.MemberProfile(p.user, p.name, p.locale, p.timezone)
    match p:
        case MemberJoinedIn():
            return ev.MemberJoined(**base, channel=p.channel, member=member)
        case MemberLeftIn():
            return ev.MemberLeft(**base, channel=p.channel, member=member)
        case MessagePostedIn():
            root = _thread_root(inbox, p) if p.thread else None
            asks = root is None and is_question(p.text)
            return ev.MessagePosted(
                **base,
                channel=p.channel,
                member=member,
                thread=root.id if root else None,
                message_id=inbox.new_id(),
                parent_author=root.author if root else None,
                is_question=asks,
                words=question_words(p.text) if asks else frozenset(),
            )
        case ReactionAddedIn() | ReactionRemovedIn():
            target = _in_channel(inbox, p.workspace, p.channel, p.message_id)
            cls = ev.ReactionAdded if isinstance(p, ReactionAddedIn) else ev.ReactionRemoved
            return cls(
                **base,
                channel=p.channel,
                member=member,
                reaction=p.reaction,
                message_id=target.id,
                target_author=target.author,
            )
        case MessageEditedIn() | MessageDeletedIn():
            mine = _own(inbox, p)
            if isinstance(p, MessageDeletedIn):
                return ev.MessageDeleted(
                    **base, channel=mine.channel or "", message_id=mine.id, member=member
                )
            asks = mine.thread is None and is_question(p.text)
            return ev.MessageEdited(
                **base,
                channel=mine.channel or "",
                member=member,
                message_id=mine.id,
                is_question=asks,
                words=question_words(p.text) if asks else frozenset(),
            )
        case CommandIn():
            return ev.CommandInvoked(
                **base,
                channel=p.channel,
                member=member,
                name=p.command.lower(),
                args=tuple(p.args.split()),
            )
        case ButtonClickedIn() | AnswerSubmittedIn():
            shown, callback = _offered(inbox, p, "question", lambda m: m.callback)
            if isinstance(p, ButtonClickedIn):
                return ev.ButtonClicked(
                    **base, member=member, callback=callback, value=p.value, message=_ref(shown)
                )
            return ev.FormSubmitted(
                **base,
                member=member,
                callback=callback,
                values={"answer": p.answer},
                message=_ref(shown),
            )
        case StopClickedIn():
            shown, stop = _offered(inbox, p, "stop button", lambda m: m.stop)
            return ev.ButtonClicked(
                **base, member=member, callback=stop.value, value="", message=_ref(shown)
            )
        case FormSubmittedIn():
            shown, form = _offered(inbox, p, "form", lambda m: m.form)
            names = {f.name for f in form.fields}
            values = {k: v for k, v in p.values.items() if k in names}
            return ev.FormSubmitted(
                **base,
                member=member,
                callback=shown.callback or "",
                values=values,
                message=_ref(shown),
            )
        case HomeOpenedIn():
            return ev.HomeOpened(**base, member=member)
    raise AssertionError(f"unhandled local payload {type(p).__name__}")


def _in_channel(inbox: LocalInbox, workspace: str, channel: str, message_id: str) -> LocalMessage:
    """A message posted in ``channel`` (not deleted); UnknownMessage otherwise."""
    found = inbox.get(message_id)
    if (
        found is None
        or found.workspace != workspace
        or found.channel != channel
        or found.ephemeral_in is not None
        or found.deleted
    ):
        raise UnknownMessage(f"message {message_id!r} is not in channel {channel!r}")
    return found


def _thread_root(inbox: LocalInbox, p: MessagePostedIn) -> LocalMessage:
    """The first message of the thread ``p`` replies in (a reply to a reply is in its
    thread), as Slack and Teams thread replies."""
    parent = _in_channel(inbox, p.workspace, p.channel, p.thread or "")
    if parent.thread is None:
        return parent
    root = inbox.get(parent.thread)
    if root is None:
        raise UnknownMessage(f"message {p.thread!r} is in no thread the channel still shows")
    return root


def _own(inbox: LocalInbox, p: MessageEditedIn | MessageDeletedIn) -> LocalMessage:
    """The member's own message in a channel, to edit or delete."""
    found = inbox.get(p.message_id)
    if (
        found is None
        or found.workspace != p.workspace
        or found.channel is None
        or found.ephemeral_in is not None
        or found.deleted
        or found.author != p.user
    ):
        raise UnknownMessage(f"message {p.message_id!r} is no message of yours in a channel")
    return found


def _ref(shown: LocalMessage) -> ev.MessageRef:
    return ev.MessageRef(shown.channel or shown.user or "", shown.id)
