"""The local JSON API's inbound payloads, validated, and turned into neutral events."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from adapters.local.inbox import LocalInbox, LocalMessage
from bot.vocabulary import events as ev

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


class MessagePostedIn(_Payload):
    type: Literal["message_posted"]
    channel: Id
    text: Annotated[str, Field(max_length=4000)] = ""
    thread: Id | None = None


class ReactionAddedIn(_Payload):
    type: Literal["reaction_added"]
    channel: Id
    reaction: Annotated[str, Field(min_length=1, max_length=64)]
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
        | CommandIn
        | ButtonClickedIn
        | AnswerSubmittedIn
        | StopClickedIn
        | FormSubmittedIn
        | HomeOpenedIn,
        Field(discriminator="type"),
    ]


class UnknownMessage(ValueError):
    """A click or answer on a message the local platform never showed."""


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
            return ev.MessagePosted(**base, channel=p.channel, member=member, thread=p.thread)
        case ReactionAddedIn():
            return ev.ReactionAdded(
                **base,
                channel=p.channel,
                member=member,
                reaction=p.reaction,
                message_id=p.message_id,
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


def _ref(shown: LocalMessage) -> ev.MessageRef:
    return ev.MessageRef(shown.channel or shown.user or "", shown.id)
