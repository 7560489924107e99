"""The Slack app manifest: exactly the scopes and events the adapter uses."""

from __future__ import annotations

from typing import Any

COMMAND = "/animateur"

#: Events the adapter handles — and so subscribes to (an unhandled one would be retried).
#: Not app_mention: message.* already brings every mention, which would count twice.
BOT_EVENTS = (
    "app_home_opened",
    "member_joined_channel",
    "member_left_channel",
    "message.channels",
    "message.groups",
    "message.im",
    "reaction_added",
    "reaction_removed",
    "team_join",
)

#: One reason per scope.
BOT_SCOPES = {
    "channels:history": "message.channels: posts, thread replies, edits, deletions (no text kept)",
    "channels:read": "member_joined_channel, member_left_channel, conversations.members, "
    "conversations.info in public channels",
    "chat:write": "chat.postMessage, chat.update, chat.postEphemeral",
    "commands": "/animateur",
    "groups:history": "message.groups: the same in private channels",
    "groups:read": "member_joined_channel, member_left_channel, conversations.members, "
    "conversations.info in private channels",
    "im:history": "message.im",
    "mpim:write": "conversations.open: the group DM of each intros group",
    "reactions:read": "reaction_added, reaction_removed",
    "users:read": "users.info, users.list (name, time zone, who is a bot), team_join",
}


def build_manifest(
    url: str | None, *, socket_mode: bool, name: str = "Animateur"
) -> dict[str, Any]:
    """The manifest for a bot served at ``url`` (None with Socket Mode: no public URL needed)."""
    base = (url or "").rstrip("/")
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Community rituals: help, community, rituals, opt-out…",
        "usage_hint": "help",
        # "@zoe" arrives as "<@U0123|zoe>": commands name people by their ids
        # (normalize.command_text reads it back)
        "should_escape": True,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        command["url"] = f"{base}/slack/events"
        events["request_url"] = f"{base}/slack/events"
        interactivity["request_url"] = f"{base}/slack/events"
    manifest: dict[str, Any] = {
        "display_information": {
            "name": name,
            "description": (
                "Welcomes newcomers, runs weekly check-ins, sharing challenges and intros "
                "between members in your communities."
            ),
            "background_color": "#3b3f99",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": sorted(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
    if not socket_mode:
        manifest["oauth_config"]["redirect_urls"] = [f"{base}/slack/oauth_redirect"]
    return manifest
