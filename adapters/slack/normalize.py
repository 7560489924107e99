"""Slack payloads (as Bolt hands them over) → neutral events. Pure: no I/O.

Member profiles carry only what the payload says; the listeners enrich them (users.info).
Payloads reach here checked by the HTTP edge (adapters/slack/edge.py); the readers below still
take a field of an unexpected type as absent (Socket Mode payloads come without the edge).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.vocabulary import events as ev
from bot.vocabulary.questions import is_question
from bot.vocabulary.words import question_words

#: Message subtypes that are people talking (a thread_broadcast is a reply also shown in the
#: channel); edits and deletions are read apart, everything else (bots, joins…) is skipped.
PEOPLE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})

CHOICE_PREFIX = "animateur.choice."
ANSWER_ACTION = "animateur.answer"
HOME_PREFIX = "animateur.home."
#: the stop button of a ritual DM: a home button (its value is the callback) in a message
STOP_ACTION = f"{HOME_PREFIX}stop"
#: the button of a private message that opens a form's modal (the form rides in its value)
FORM_ACTION = "animateur.form"
ANSWER_MODAL = "animateur.answer_modal"
#: a modal's input for field ``name`` is block ``<name>_block``, element ``<name>_input``
BLOCK_SUFFIX, INPUT_SUFFIX = "_block", "_input"
ANSWER_BLOCK, ANSWER_INPUT = f"answer{BLOCK_SUFFIX}", f"answer{INPUT_SUFFIX}"

Body = Mapping[str, Any]


#: Longest event key kept as it is (longer ones are hashed: keys are stored, bounded).
MAX_KEY = 160
#: What the database keeps of a profile (longer is not a name, locale or time zone).
MAX_NAME, MAX_LOCALE, MAX_TIMEZONE = 200, 16, 64


def _workspace(team_id: str) -> ev.WorkspaceRef:
    return ev.WorkspaceRef("slack", team_id)


def _text(value: Any) -> str:
    """A string field; anything else (absent, null, another type) is ``""``."""
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _key(*parts: Any) -> str:
    """An event key from its parts, bounded: a long one is replaced by its digest."""
    key = ":".join(str(part) for part in parts)
    if len(key) <= MAX_KEY:
        return key
    return f"{parts[0]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def team_of(body: Body) -> str:
    """The workspace a payload is for: the one the app is installed in (as Bolt reads it —
    in a channel shared with another organisation, an event may have happened there)."""
    if body.get("type") == "event_callback":
        authorizations = body.get("authorizations")
        first = authorizations[0] if isinstance(authorizations, list) and authorizations else {}
        return (
            _text(_mapping(first).get("team_id"))
            or _text(body.get("team_id"))
            or _text(_mapping(body.get("event")).get("team"))
        )
    if "command" in body:
        return _text(body.get("team_id"))
    installed = _text(_mapping(body.get("view")).get("app_installed_team_id"))
    if installed:
        return installed
    team = body.get("team")
    if isinstance(team, str):
        return team
    return _text(_mapping(team).get("id")) or _text(_mapping(body.get("user")).get("team_id"))


def _bounded(value: Any, longest: int) -> str | None:
    """A profile field the platform gave, or None when it is none (or too long to be one)."""
    return value if isinstance(value, str) and value and len(value) <= longest else None


def profile_from_user(
    user: Mapping[str, Any], user_id: str, *, with_admin: bool = True
) -> ev.MemberProfile:
    """A member's profile from a Slack user object (users.info, team_join)."""
    profile = _mapping(user.get("profile"))
    name = (
        _text(profile.get("display_name"))
        or _text(profile.get("real_name"))
        or _text(user.get("real_name"))
    )
    admin = bool(user.get("is_admin") or user.get("is_owner")) if with_admin else None
    return ev.MemberProfile(
        user_id,
        name[:MAX_NAME] or None,
        _bounded(user.get("locale"), MAX_LOCALE),
        _bounded(user.get("tz"), MAX_TIMEZONE),
        admin,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def _when(seconds: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except (TypeError, ValueError, OverflowError, OSError):  # not a time (or not one of ours)
        return datetime.now(UTC)


def _member(user: Any) -> ev.MemberProfile | None:
    """A profile from a user id or a full user object (team_join); None for bots."""
    if isinstance(user, str) and user:
        return ev.MemberProfile(user)
    if isinstance(user, Mapping) and _text(user.get("id")) and not user.get("is_bot"):
        return profile_from_user(user, user["id"], with_admin=False)
    return None


def from_event(body: Body, bot_user_id: str | None = None) -> ev.Event | None:
    """An Events API envelope → event, or None when it is nothing to act on."""
    event = _mapping(body.get("event"))
    common = ev.EventFields(
        workspace=_workspace(team_of(body)),
        key=_key(body.get("event_id") or f"{event.get('type')}:{event.get('event_ts')}"),
        # when it happened on Slack (a retry or an outage does not move it)
        occurred_at=_when(event.get("event_ts") or body.get("event_time")),
    )
    kind = event.get("type")
    if kind == "message":
        return _message(event, common, body, bot_user_id)
    member = _member(event.get("user"))
    if member is None or (bot_user_id and member.user_id == bot_user_id):
        return None
    match kind:
        case "member_joined_channel":
            return ev.MemberJoined(**common, channel=event.get("channel", ""), member=member)
        case "member_left_channel":
            return ev.MemberLeft(**common, channel=event.get("channel", ""), member=member)
        case "team_join":
            # a new person in the workspace (no channel): remembered with their profile
            return ev.MemberJoined(**common, channel="", member=member)
        case "reaction_added" | "reaction_removed":
            item = _mapping(event.get("item"))
            if item.get("type") != "message" or not _text(item.get("ts")):
                return None
            cls = ev.ReactionAdded if kind == "reaction_added" else ev.ReactionRemoved
            return cls(
                **common,
                channel=_text(item.get("channel")),
                member=member,
                reaction=_text(event.get("reaction")),
                message_id=_text(item.get("ts")),
                target_author=_text(event.get("item_user")) or None,
            )
        case "app_home_opened":
            if event.get("tab") != "home":
                return None
            return ev.HomeOpened(**common, member=member)
    return None


def _is_persons(message: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """Whether ``message`` was written by a person: not a bot, an app or the bot itself."""
    user = _text(message.get("user"))
    if not user or (bot_user_id and user == bot_user_id):
        return False
    return not (message.get("bot_id") or message.get("bot_profile"))


def _reply_to(message: Mapping[str, Any]) -> str | None:
    """The thread's top-level ``ts`` when ``message`` is a reply in it (a thread's first
    message carries its own ``ts`` as ``thread_ts``: it is no reply)."""
    thread = _text(message.get("thread_ts"))
    return thread if thread and thread != _text(message.get("ts")) else None


def _parent_author(message: Mapping[str, Any]) -> str | None:
    """Who wrote the thread's first message, when Slack says (a thread_broadcast carries that
    message as ``root``)."""
    author = _text(message.get("parent_user_id")) or _text(
        _mapping(message.get("root")).get("user")
    )
    return author or None


def _message(
    event: Mapping[str, Any], common: ev.EventFields, body: Body, bot_user_id: str | None
) -> ev.Event | None:
    """A ``message`` event: posted, edited (``message_changed``) or deleted. The text serves
    the question flag, then is dropped."""
    channel = _text(event.get("channel"))
    subtype = event.get("subtype")
    direct = event.get("channel_type") == "im"
    if subtype in PEOPLE_SUBTYPES:
        if not _is_persons(event, bot_user_id) or not _text(event.get("ts")):
            return None
        thread = _reply_to(event)
        said = _text(event.get("text"))
        asks = thread is None and is_question(said)
        return ev.MessagePosted(
            workspace=common["workspace"],
            key=common["key"],
            # a message's ts is when it was posted
            occurred_at=_when(event.get("ts") or body.get("event_time")),
            channel=channel,
            member=ev.MemberProfile(_text(event.get("user"))),
            thread=thread,
            is_direct=direct,
            message_id=_text(event.get("ts")),
            parent_author=_parent_author(event) if thread else None,
            is_question=asks,
            words=question_words(said) if asks else frozenset(),
        )
    if direct:  # a direct message to the bot is never community activity, nor its edits
        return None
    if subtype == "message_changed":
        message = _mapping(event.get("message"))
        message_id = _text(message.get("ts"))
        if not message_id:
            return None
        if message.get("subtype") == "tombstone":  # a thread's first message, deleted
            return ev.MessageDeleted(**common, channel=channel, message_id=message_id)
        if not _is_persons(message, bot_user_id):
            return None
        said = _text(message.get("text"))
        asks = _reply_to(message) is None and is_question(said)
        return ev.MessageEdited(
            **common,
            channel=channel,
            member=ev.MemberProfile(_text(message.get("user"))),
            message_id=message_id,
            is_question=asks,
            words=question_words(said) if asks else frozenset(),
        )
    if subtype == "message_deleted":
        message_id = _text(event.get("deleted_ts")) or _text(
            _mapping(event.get("previous_message")).get("ts")
        )
        if not message_id:
            return None
        # Slack does not say who deleted it (its author, or an admin)
        return ev.MessageDeleted(**common, channel=channel, message_id=message_id)
    return None


#: A control sequence of Slack's message format (``<@U1|ada>``, ``<#C1|general>``,
#: ``<!here>``, ``<https://…|label>``) or one of the three entities Slack escapes.
_FORMATTED = re.compile(r"<([@#!][^<>]*|[a-zA-Z][a-zA-Z0-9+.-]*:[^<>]*)>|&(amp|lt|gt);")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def _entities(text: str) -> str:
    return _ENTITY.sub(lambda found: _ENTITIES[found.group(1)], text)


def _unformat(found: re.Match[str]) -> str:
    if found.group(2):
        return _ENTITIES[found.group(2)]
    target, _, label = found.group(1).partition("|")
    if target[:1] in ("@", "#"):  # a member or a channel: its id is what a command needs
        return f"<{target}>"
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        return _entities(label) or "@" + target[1:].partition("^")[0]
    return _entities(label or target)  # a link: what the member typed


def command_text(text: str) -> str:
    """A slash command's text as the member typed it, mentions kept as ids.

    The manifest asks Slack to escape the command (``should_escape``): ``@zoe`` arrives as
    ``<@U0123|zoe>`` and ``#general`` as ``<#C0123|general>`` — reduced to ``<@U0123>`` and
    ``<#C0123>`` (one word each, whatever the name); links become what was typed, and
    ``&amp;``, ``&lt;``, ``&gt;`` the characters they stand for.
    """
    return _FORMATTED.sub(_unformat, text)


def from_command(body: Body) -> ev.CommandInvoked:
    """``/animateur <name> <args…>``; ``/animateur`` alone is ``help``."""
    words = command_text(_text(body.get("text"))).split()
    return ev.CommandInvoked(
        workspace=_workspace(team_of(body)),
        key=_key("command", body.get("trigger_id")),
        occurred_at=datetime.now(UTC),
        channel=_text(body.get("channel_id")),
        member=ev.MemberProfile(_text(body.get("user_id"))),
        name=words[0].lower() if words else "help",
        args=tuple(words[1:]),
        reply_to=_text(body.get("response_url")) or None,
    )


def _interaction_common(body: Body, suffix: str) -> ev.EventFields:
    return ev.EventFields(
        workspace=_workspace(team_of(body)),
        key=_key("interaction", body.get("trigger_id"), suffix),
        occurred_at=datetime.now(UTC),
    )


def from_block_action(body: Body, action: Mapping[str, Any]) -> ev.ButtonClicked | None:
    """A click on one of our buttons: choices carry the callback in ``block_id``, home
    buttons in ``value``."""
    user = _text(_mapping(body.get("user")).get("id"))
    action_id = _text(action.get("action_id"))
    if not user:
        return None
    container = _mapping(body.get("container"))
    message = None
    if container.get("type") == "message":
        message = ev.MessageRef(
            _text(container.get("channel_id")), _text(container.get("message_ts"))
        )
    if action_id.startswith(CHOICE_PREFIX):
        callback, value = _text(action.get("block_id")), _text(action.get("value"))
    elif action_id.startswith(HOME_PREFIX):
        callback, value = _text(action.get("value")), ""
    else:
        return None
    return ev.ButtonClicked(
        **_interaction_common(body, action_id),
        member=ev.MemberProfile(user),
        callback=callback,
        value=value,
        message=message,
    )


def modal_metadata(callback: str, message: ev.MessageRef | None) -> str:
    """What the answer modal must remember (Slack keeps it as ``private_metadata``)."""
    data = {"callback": callback}
    if message is not None:
        data |= {"channel": message.channel, "ts": message.message_id}
    return json.dumps(data)


def _field_values(state: Mapping[str, Any]) -> dict[str, str]:
    """``{field name: text}`` from a modal's ``state.values`` (an emptied input is ``""``)."""
    values = {}
    for block_id, inputs in state.items():
        name = block_id.removesuffix(BLOCK_SUFFIX)
        if name != block_id:
            field = _mapping(_mapping(inputs).get(f"{name}{INPUT_SUFFIX}"))
            values[name] = _text(field.get("value"))
    return values


def from_view_submission(body: Body) -> ev.FormSubmitted | None:
    view = _mapping(body.get("view"))
    user = _text(_mapping(body.get("user")).get("id"))
    try:
        meta = json.loads(_text(view.get("private_metadata")) or "{}")
        values = _field_values(_mapping(_mapping(view.get("state")).get("values")))
    except (json.JSONDecodeError, RecursionError):
        return None
    if not user or not isinstance(meta, dict) or not _text(meta.get("callback")) or not values:
        return None
    message = None
    if _text(meta.get("ts")):
        message = ev.MessageRef(_text(meta.get("channel")), meta["ts"])
    return ev.FormSubmitted(
        **_interaction_common(body, _text(view.get("id"))),
        member=ev.MemberProfile(user),
        callback=meta["callback"],
        values=values,
        message=message,
    )
