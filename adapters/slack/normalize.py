"""Slack payloads (as Bolt hands them over) → neutral events. Pure: no I/O.

Member profiles carry only what the payload says; the listeners enrich them (users.info).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.vocabulary import events as ev

#: Message subtypes that are people talking; everything else (bots, edits, joins…) is skipped.
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


def _workspace(team_id: str) -> ev.WorkspaceRef:
    return ev.WorkspaceRef("slack", team_id)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _when(seconds: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _member(user: Any) -> ev.MemberProfile | None:
    """A profile from a user id or a full user object (team_join); None for bots."""
    if isinstance(user, str) and user:
        return ev.MemberProfile(user)
    if isinstance(user, Mapping) and user.get("id") and not user.get("is_bot"):
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
        return ev.MemberProfile(user["id"], name or None, user.get("locale"), user.get("tz"))
    return None


def from_event(body: Body, bot_user_id: str | None = None) -> ev.Event | None:
    """An Events API envelope → event, or None when it is nothing to act on."""
    event = body.get("event") or {}
    team = body.get("team_id") or event.get("team") or ""
    common = ev.EventFields(
        workspace=_workspace(team),
        key=body.get("event_id") or f"{event.get('type')}:{event.get('event_ts')}",
        occurred_at=_when(body.get("event_time") or event.get("event_ts")),
    )
    kind = event.get("type")
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
        case "message":
            if event.get("subtype") not in PEOPLE_SUBTYPES or event.get("bot_id"):
                return None
            return ev.MessagePosted(
                **common,
                channel=event.get("channel", ""),
                member=member,
                thread=event.get("thread_ts"),
                is_direct=event.get("channel_type") == "im",
            )
        case "reaction_added" | "reaction_removed":
            item = event.get("item") or {}
            if item.get("type") != "message":
                return None
            cls = ev.ReactionAdded if kind == "reaction_added" else ev.ReactionRemoved
            return cls(
                **common,
                channel=item.get("channel", ""),
                member=member,
                reaction=event.get("reaction", ""),
                message_id=item.get("ts", ""),
            )
        case "app_home_opened":
            if event.get("tab") != "home":
                return None
            return ev.HomeOpened(**common, member=member)
    return None


def from_command(body: Body) -> ev.CommandInvoked:
    """``/animateur <name> <args…>``; ``/animateur`` alone is ``help``."""
    words = str(body.get("text") or "").split()
    return ev.CommandInvoked(
        workspace=_workspace(str(body.get("team_id", ""))),
        key=f"command:{body.get('trigger_id')}",
        occurred_at=datetime.now(UTC),
        channel=str(body.get("channel_id", "")),
        member=ev.MemberProfile(str(body.get("user_id", ""))),
        name=words[0].lower() if words else "help",
        args=tuple(words[1:]),
        reply_to=str(body.get("response_url") or "") or None,
    )


def _interaction_common(body: Body, suffix: str) -> ev.EventFields:
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
    return ev.EventFields(
        workspace=_workspace(team),
        key=f"interaction:{body.get('trigger_id')}:{suffix}",
        occurred_at=datetime.now(UTC),
    )


def from_block_action(body: Body, action: Mapping[str, Any]) -> ev.ButtonClicked | None:
    """A click on one of our buttons: choices carry the callback in ``block_id``, home
    buttons in ``value``."""
    user = (body.get("user") or {}).get("id")
    action_id = str(action.get("action_id", ""))
    if not user:
        return None
    container = body.get("container") or {}
    message = None
    if container.get("type") == "message":
        message = ev.MessageRef(container.get("channel_id", ""), container.get("message_ts", ""))
    if action_id.startswith(CHOICE_PREFIX):
        callback, value = str(action.get("block_id", "")), str(action.get("value", ""))
    elif action_id.startswith(HOME_PREFIX):
        callback, value = str(action.get("value", "")), ""
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
            values[name] = str((inputs.get(f"{name}{INPUT_SUFFIX}") or {}).get("value") or "")
    return values


def from_view_submission(body: Body) -> ev.FormSubmitted | None:
    view = body.get("view") or {}
    user = (body.get("user") or {}).get("id")
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        values = _field_values(view["state"]["values"])
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
    if not user or not isinstance(meta, dict) or not meta.get("callback") or not values:
        return None
    message = ev.MessageRef(meta["channel"], meta["ts"]) if meta.get("ts") else None
    return ev.FormSubmitted(
        **_interaction_common(body, str(view.get("id"))),
        member=ev.MemberProfile(user),
        callback=str(meta["callback"]),
        values=values,
        message=message,
    )
