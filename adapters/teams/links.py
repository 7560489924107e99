"""Where a facilitator opens a Teams channel message: Teams' deep link to it,

    https://teams.microsoft.com/l/message/<channel id>/<message id>?tenantId=<tenant>
        &groupId=<the team's Microsoft 365 group>&parentMessageId=<its thread's first message>
        &teamName=<team>&createdTime=<ms since the epoch>

The tenant is the workspace; the team of each channel is kept with the conversation references
(``team:<channel>``), and the team's group id — which Teams gives only in
``channelData.team.aadGroupId`` of some activities (the bot added to the team, a member
joining…) — under ``group:<team>`` (see platform.py). A channel message's id is its creation
time in milliseconds, so it is the ``createdTime`` too. ``channelName`` is left out: the bot
does not know channels' names, and Teams finds the channel by its id (the names are for show).

Without the group id (the bot heard nothing carrying it yet) the message cannot be addressed:
the link opens the channel instead (``/l/channel/<channel id>/<name>?tenantId=…``), from which
the facilitator scrolls to the thread."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from adapters.teams.channels import TEAM
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessagePlace, ReferenceStore

TEAMS = "https://teams.microsoft.com"
#: ``group:<team>`` → ``{"id": <aadGroupId>, "name": <the team's name>}``
GROUP = "group:"


def deep_link(tenant: str, place: MessagePlace, group: str | None, team_name: str = "") -> str:
    channel = quote(place.channel, safe=":@")  # 19:…@thread.tacv2, as Teams writes it
    if not group:
        # no group id known: a link that still opens the channel (not the message)
        # (the channel's display name in the path is for show: Teams finds it by its id)
        return f"{TEAMS}/l/channel/{channel}/channel?tenantId={quote(tenant, safe='')}"
    query = {
        "tenantId": tenant,
        "groupId": group,
        "parentMessageId": place.thread or place.message_id,
    }
    if team_name:
        query["teamName"] = team_name
    if place.message_id.isdigit():
        query["createdTime"] = place.message_id
    message = quote(place.message_id, safe="")
    return f"{TEAMS}/l/message/{channel}/{message}?{urlencode(query, quote_via=quote)}"


def group_entries(activity: dict[str, object]) -> dict[str, dict[str, object]]:
    """``{"group:<team>": {"id": <aadGroupId>, "name": …}}`` when the activity names the team's
    group (kept apart from ``team:<channel>``, which activities without it rewrite)."""
    channel_data = activity.get("channelData")
    team = channel_data.get("team") if isinstance(channel_data, dict) else None
    if not isinstance(team, dict) or not team.get("id") or not team.get("aadGroupId"):
        return {}
    return {
        f"{GROUP}{team['id']}": {"id": str(team["aadGroupId"]), "name": str(team.get("name") or "")}
    }


class TeamsMessageLinks:
    def __init__(self, references: ReferenceStore) -> None:
        self._references = references

    async def url(self, workspace: WorkspaceRef, place: MessagePlace) -> str:
        team = (await self._references.get(workspace, f"{TEAM}{place.channel}") or {}).get("id")
        group = await self._references.get(workspace, f"{GROUP}{team}") if team else None
        group = group or {}
        return deep_link(
            workspace.external_id, place, group.get("id"), str(group.get("name") or "")
        )
