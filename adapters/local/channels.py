"""The local platform's answer to who may run a community: the playground has no channel
owners and no invitations, so anyone may declare a channel a community there (its members are
demo people, on one machine). It knows no people beyond those the bot has seen (stored)."""

from __future__ import annotations

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import ChannelFacts


class LocalChannels:
    knows_everyone = False

    async def facts(self, workspace: WorkspaceRef, channel: str) -> ChannelFacts:
        return ChannelFacts(bot_is_member=True, open_to_all=True)

    async def is_member(self, workspace: WorkspaceRef, channel: str, user_id: str) -> bool:
        return False  # the members it knows are stored: the runtime looks there first
