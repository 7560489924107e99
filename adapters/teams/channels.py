"""Who may run a community, as Teams tells it. A community is one channel of a team. Teams
does not tell a bot who owns a team (that takes Microsoft Graph), so the person who added the
app to the team owns each of its channels here: captured from the activity that announced the
bot in the team, stored with the conversation references, as is the team of each channel the
bot heard from (``team:<channel>``; the General channel's id is the team's). The bot is in a
channel it holds a reference for; people are checked on the channel's roster."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bot.vocabulary.events import MemberProfile, WorkspaceRef
from bot.vocabulary.ports import ChannelFacts, PlatformUnavailable, ReferenceStore, Roster

INSTALLER = "installer:"
#: ``team:<channel>`` → ``{"id": <the channel's team>}``
TEAM = "team:"


def installer_entries(activity: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"installer:<team>": {"id": <user>}}`` when ``activity`` says someone added the bot to
    a team (conversationUpdate with the bot among membersAdded, or installationUpdate add)."""
    channel_data = activity.get("channelData") or {}
    team = (channel_data.get("team") or {}).get("id")
    who = (activity.get("from") or {}).get("id")
    bot = (activity.get("recipient") or {}).get("id")
    kind = activity.get("type")
    added = kind == "conversationUpdate" and any(
        (m or {}).get("id") == bot for m in activity.get("membersAdded") or []
    )
    installed = kind == "installationUpdate" and str(activity.get("action", "")).startswith("add")
    if not (team and who and who != bot and (added or installed)):
        return {}
    return {f"{INSTALLER}{team}": {"id": str(who)}}


class TeamsChannels:
    knows_everyone = True

    def __init__(self, references: ReferenceStore, roster: Roster) -> None:
        self._references = references
        self._roster = roster
        self._reading: dict[tuple[str, str], asyncio.Future[list[MemberProfile]]] = {}

    async def facts(self, workspace: WorkspaceRef, channel: str) -> ChannelFacts:
        in_channel = await self._references.get(workspace, f"channel:{channel}") is not None
        team = (await self._references.get(workspace, f"{TEAM}{channel}") or {}).get("id")
        installer = await self._references.get(workspace, f"{INSTALLER}{team or channel}") or {}
        who = installer.get("id")
        return ChannelFacts(bot_is_member=in_channel, owners=frozenset({who} if who else ()))

    async def is_member(self, workspace: WorkspaceRef, channel: str, user_id: str) -> bool:
        try:
            members = await self._members(workspace, channel)
        except Exception as exc:  # the Bot Connector failed: say so, never guess
            raise PlatformUnavailable(f"teams roster: {type(exc).__name__}") from exc
        return any(m.user_id == user_id for m in members)

    async def _members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        """The channel's roster, read once for all the people asked about at the same time; a
        question given up (out of time) leaves the reading to the others and the cache."""
        key = (workspace.external_id, channel)
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._roster.members(workspace, channel))
            self._reading[key] = reading
            reading.add_done_callback(lambda done: self._read(key, done))
        return await asyncio.shield(reading)

    def _read(self, key: tuple[str, str], done: asyncio.Future[list[MemberProfile]]) -> None:
        self._reading.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: those who waited for it were told
