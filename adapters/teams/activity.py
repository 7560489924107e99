"""Reading a Teams activity (wire JSON, as botbuilder serializes them): its tenant, team,
channel and conversation, when it happened, who sent it, and the fields every event made of it
shares. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.vocabulary import events as ev

Activity = Mapping[str, Any]
#: Bot accounts' ids (people's start with ``29:``).
BOT_PREFIX = "28:"
#: A channel message's conversation id names its thread: ``19:…@thread.tacv2;messageid=<id>``.
THREAD_MARK = ";messageid="
#: what storage keeps of a member's profile; longer values are cut (names) or dropped
NAME_CHARS, LOCALE_CHARS, TIMEZONE_CHARS = 200, 16, 64


def tenant_of(activity: Activity) -> str:
    channel_data = activity.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return str(tenant or (activity.get("conversation") or {}).get("tenantId") or "")


def team_of(activity: Activity) -> str | None:
    team = ((activity.get("channelData") or {}).get("team") or {}).get("id")
    return str(team) if team else None


def is_personal(activity: Activity) -> bool:
    return (activity.get("conversation") or {}).get("conversationType") == "personal"


def stamped_at(activity: Activity) -> datetime | None:
    """When Teams says the activity happened (None: it does not say, or not readably)."""
    raw = activity.get("timestamp")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return None


def _when(activity: Activity) -> datetime:
    return stamped_at(activity) or datetime.now(UTC)


def _client_info(activity: Activity) -> Mapping[str, Any]:
    for entity in activity.get("entities") or []:
        if entity.get("type") == "clientInfo":
            return dict(entity)
    return {}


def _bounded(value: Any, chars: int) -> str | None:
    """A profile detail, or None when there is none or it is too long to be real."""
    return value if isinstance(value, str) and 0 < len(value) <= chars else None


def profile(account: Mapping[str, Any], info: Mapping[str, Any] | None = None) -> ev.MemberProfile:
    name = account.get("name")
    return ev.MemberProfile(
        str(account.get("id")),
        name[:NAME_CHARS] if isinstance(name, str) and name else None,
        _bounded((info or {}).get("locale"), LOCALE_CHARS),
        _bounded((info or {}).get("timezone"), TIMEZONE_CHARS),
    )


def sender_profile(activity: Activity) -> ev.MemberProfile | None:
    sender = activity.get("from") or {}
    if not sender.get("id"):
        return None
    return profile(sender, _client_info(activity))


def event_fields(activity: Activity, suffix: str = "") -> ev.EventFields:
    return ev.EventFields(
        workspace=ev.WorkspaceRef("teams", tenant_of(activity)),
        key=f"activity:{activity.get('id')}{suffix}",
        occurred_at=_when(activity),
    )


def channel_of(activity: Activity) -> str:
    """Where a message (a command, a reaction, an edit…) is: its channel in a team (the General
    channel's id is the team's), else its conversation (a 1:1 or group chat); never a thread."""
    channel = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
    conversation = str((activity.get("conversation") or {}).get("id", ""))
    return str(channel or team_of(activity) or conversation.partition(THREAD_MARK)[0])
