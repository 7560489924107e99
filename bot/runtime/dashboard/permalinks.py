"""Where a facilitator opens a message of the community's channel, per platform (links only:
the page fetches nothing)."""

from __future__ import annotations

from urllib.parse import quote


def permalink(platform: str, channel: str, message_id: str) -> str:
    if platform == "slack":
        # Slack resolves /archives/<channel>/p<ts without the dot> in the viewer's workspace
        return f"https://slack.com/archives/{quote(channel)}/p{message_id.replace('.', '')}"
    if platform == "teams":
        return f"https://teams.microsoft.com/l/message/{quote(channel)}/{quote(message_id)}"
    return "/playground"
