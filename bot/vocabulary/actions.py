"""Outbound intents, neutral of any platform. Texts are already rendered in the recipient's locale.

Actions travel through the outbox as JSON: :func:`action_to_dict` / :func:`action_from_dict`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from bot.vocabulary.events import MessageRef

#: A person named in a text: ``<@id>`` or ``<@id|name>`` (Slack's own syntax). Each adapter
#: shows it as its platform names people (Slack: a mention; Teams: a mention entity; the
#: playground: the name) — never the raw id.
MENTION = re.compile(r"<@([^\s|<>]+)(?:\|([^<>]*))?>")


def mention(user_id: str, name: str = "") -> str:
    """``user_id`` named in a text, the adapter rendering it (``name``: when known)."""
    return f"<@{user_id}|{name}>" if name else f"<@{user_id}>"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class HomeButton:
    label: str
    callback: str
    value: str = ""
    style: str = ""
    """``""``, ``"primary"`` or ``"danger"``."""
    #: a link button: opens this address (its ``callback`` is then unused)
    url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendDirectMessage:
    user_id: str
    text: str
    #: a button that stops this ritual for the member (``optout:<playbook>``), on ritual DMs
    stop: HomeButton | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PostToCommunity:
    channel: str
    text: str
    #: once sent, the post's platform id is kept in this variable of the run that posted it
    remember: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyInThread:
    channel: str
    thread: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AskQuestion:
    """A DM asking a question: buttons when ``choices`` is not empty, otherwise free text.

    ``callback`` comes back untouched in the ButtonClicked / FormSubmitted event it causes.
    """

    user_id: str
    text: str
    callback: str
    choices: tuple[Choice, ...] = ()
    placeholder: str = ""
    submit_label: str = ""
    #: label of the control that opens a free-text form (Slack: a button opening a modal)
    answer_label: str = ""
    #: a button that stops this ritual for the member (``optout:<playbook>``)
    stop: HomeButton | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMessage:
    """Replace a message the bot sent (e.g. buttons replaced by the choice made)."""

    message: MessageRef
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RespondPrivately:
    """A reply only the member sees, where they invoked a command (Slack: ephemeral)."""

    user_id: str
    channel: str
    text: str
    #: the command's private answer address, when its platform gave one
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class FormField:
    """One text input of a form, prefilled with ``value``."""

    name: str
    label: str
    value: str = ""
    multiline: bool = False
    #: a short help shown with the input (Slack and Teams: its placeholder)
    hint: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenForm:
    """A form only the member sees, offered where they invoked a command (Slack: a private
    message whose ``open_label`` button opens a modal; Teams: a card; playground: a form).

    Submitting it comes back as a FormSubmitted carrying ``callback`` and one value per field.
    """

    user_id: str
    channel: str
    title: str
    text: str
    callback: str
    fields: tuple[FormField, ...]
    submit_label: str
    open_label: str
    #: the command's private answer address, when its platform gave one
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class HomeSection:
    title: str
    text: str
    buttons: tuple[HomeButton, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishHome:
    """The member's personal home (Slack App Home tab, Teams personal tab)."""

    user_id: str
    title: str
    sections: tuple[HomeSection, ...] = ()
    #: said last by an adapter that must still shorten the home to fit its platform
    shortened: str = ""
    #: the home card to update in place (Teams: the card whose toggle was clicked); None: a
    #: new one (Slack's home tab is always replaced)
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageGroup:
    """One message to a small group of members together (a round of intros). The runtime
    fans it out, one delivery per member (``to``); each platform then does what it can: Slack
    opens one group DM with them all (from the delivery of the group's first member), Teams
    and the playground send each their own 1:1 message."""

    user_ids: tuple[str, ...]
    text: str
    #: the member this delivery is for ("" before the fan-out)
    to: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyFacilitators:
    """Tell a community's facilitators; the dispatcher fans it out, one DM each."""

    channel: str
    text: str


Action = (
    SendDirectMessage
    | PostToCommunity
    | ReplyInThread
    | AskQuestion
    | UpdateMessage
    | RespondPrivately
    | PublishHome
    | NotifyFacilitators
    | OpenForm
    | MessageGroup
)

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        SendDirectMessage,
        PostToCommunity,
        ReplyInThread,
        AskQuestion,
        UpdateMessage,
        RespondPrivately,
        PublishHome,
        NotifyFacilitators,
        OpenForm,
        MessageGroup,
    )
}


def action_to_dict(action: Action) -> dict[str, Any]:
    return {"type": type(action).__name__, **asdict(action)}


def action_from_dict(data: dict[str, Any]) -> Action:
    """Rebuild an action stored in the outbox; raises ValueError on an unknown or broken one."""
    kind = data.get("type")
    cls = _TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown action type {kind!r}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "choices":
            value = tuple(Choice(**c) for c in value)
        elif f.name == "stop":
            value = HomeButton(**value) if value else None
        elif f.name == "message":
            value = MessageRef(**value) if value else None
        elif f.name == "user_ids":
            value = tuple(str(u) for u in value)
        elif f.name == "fields":
            value = tuple(FormField(**field) for field in value)
        elif f.name == "sections":
            value = tuple(
                HomeSection(
                    s["title"], s["text"], tuple(HomeButton(**b) for b in s.get("buttons", ()))
                )
                for s in value
            )
        kwargs[f.name] = value
    try:
        return cls(**kwargs)  # type: ignore[no-any-return]
    except TypeError as exc:
        raise ValueError(f"broken {kind} action: {exc}") from exc


def recipient_of(action: Action) -> str:
    """The user or channel an action lands on (used for limits and opt-outs)."""
    if isinstance(action, UpdateMessage):
        return action.message.channel
    if isinstance(action, PostToCommunity | ReplyInThread | NotifyFacilitators):
        return action.channel
    if isinstance(action, MessageGroup):
        return action.to
    return action.user_id
