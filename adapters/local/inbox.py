"""What the local platform shows: DMs, channel posts and home tabs, kept in memory."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.vocabulary.actions import FormField


@dataclass(slots=True)
class LocalChoice:
    value: str
    label: str


@dataclass(slots=True)
class LocalForm:
    title: str
    fields: list[FormField]


@dataclass(slots=True)
class LocalMessage:
    id: str
    workspace: str
    author: str
    """``bot`` or the user id of the member who posted."""
    text: str
    created_at: datetime
    user: str | None = None
    """Recipient of a DM (None for channel posts)."""
    channel: str | None = None
    thread: str | None = None
    choices: list[LocalChoice] = field(default_factory=list)
    callback: str | None = None
    free_text: bool = False
    placeholder: str = ""
    submit_label: str = ""
    updated_at: datetime | None = None
    ephemeral_in: str | None = None
    """For a private reply to a command: the channel it was invoked in."""
    stop: LocalChoice | None = None
    """A ritual DM's stop button: its label, and the callback a click brings back (as value)."""
    form: LocalForm | None = None
    """A form to fill in and submit (``submit_label``; ``callback`` comes back with it)."""
    reactions: dict[str, list[str]] = field(default_factory=dict)
    """A channel message's reactions: each emoji's name and who reacted with it, in order."""
    edited_at: datetime | None = None
    deleted: bool = False
    """Deleted by its author: its text is gone, its thread's replies stay."""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        data["edited_at"] = self.edited_at.isoformat() if self.edited_at else None
        data.pop("callback")
        data["answerable"] = self.callback is not None
        data["stop"] = {"label": self.stop.label} if self.stop else None
        return data


class LocalInbox:
    """Messages by id; the local platform's whole state."""

    def __init__(self) -> None:
        self._messages: dict[str, LocalMessage] = {}
        self._ids = itertools.count(1)
        self.homes: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, message: LocalMessage) -> LocalMessage:
        self._messages[message.id] = message
        return message

    def new_id(self) -> str:
        return f"m{next(self._ids)}"

    def get(self, message_id: str) -> LocalMessage | None:
        return self._messages.get(message_id)

    def react(self, message_id: str, user: str, reaction: str, *, added: bool) -> None:
        """``user`` adds (or removes) ``reaction`` on a message: once per person and emoji."""
        message = self._messages.get(message_id)
        if message is None:
            return
        users = message.reactions.setdefault(reaction, [])
        if added and user not in users:
            users.append(user)
        elif not added and user in users:
            users.remove(user)
        if not users:
            del message.reactions[reaction]

    def edit(self, message_id: str, text: str, now: datetime) -> None:
        message = self._messages.get(message_id)
        if message is not None:
            message.text, message.edited_at = text, now

    def delete(self, message_id: str, now: datetime) -> None:
        message = self._messages.get(message_id)
        if message is not None:
            message.text, message.deleted, message.edited_at = "", True, now
            message.reactions.clear()

    def for_user(self, workspace: str, user: str) -> list[LocalMessage]:
        return [m for m in self._messages.values() if m.workspace == workspace and m.user == user]

    def for_channel(self, workspace: str, channel: str) -> list[LocalMessage]:
        return [
            m for m in self._messages.values() if m.workspace == workspace and m.channel == channel
        ]
