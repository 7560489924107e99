"""Who may run a community: who may declare a channel one, and who may be named its
facilitators and sponsors. The platform is asked through its Channels port, never directly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import ChannelFacts, Channels, PlatformUnavailable
from storage.store import Transaction

EVERYONE = "everyone"


@dataclass(frozen=True, slots=True)
class Creators:
    """The allow-list ``ANIMATEUR_COMMUNITY_CREATORS``: user ids, or everyone."""

    users: frozenset[str] = frozenset()
    everyone: bool = False

    @classmethod
    def parse(cls, setting: str) -> Creators:
        words = {w.strip() for w in setting.split(",") if w.strip()}
        if EVERYONE in {w.lower() for w in words}:
            return cls(everyone=True)
        return cls(frozenset(words))

    def allows(self, user_id: str) -> bool:
        return self.everyone or user_id in self.users


#: ``ok``; ``refused``: not the channel's creator, an admin or allowed by the setting;
#: ``invite_first``: allowed, but the bot is not in the channel.
Verdict = Literal["ok", "refused", "invite_first"]


class Governance:
    def __init__(self, platforms: Mapping[str, Channels], creators: Creators = Creators()) -> None:
        self._platforms = platforms  # not copied: platforms register after this exists
        self.creators = creators

    def _channels(self, workspace: WorkspaceRef) -> Channels:
        channels = self._platforms.get(workspace.platform)
        if channels is None:
            raise PlatformUnavailable(f"no channels port for {workspace.platform}")
        return channels

    async def may_declare(
        self, workspace: WorkspaceRef, channel: str, user_id: str, is_admin: bool
    ) -> Verdict:
        """Whether ``user_id`` may declare ``channel`` a community. Raises
        PlatformUnavailable when the platform cannot tell."""
        facts: ChannelFacts = await self._channels(workspace).facts(workspace, channel)
        allowed = (
            facts.open_to_all
            or is_admin
            or user_id in facts.owners
            or self.creators.allows(user_id)
        )
        if not allowed:
            return "refused"
        return "ok" if facts.bot_is_member else "invite_first"

    async def strangers(
        self, tx: Transaction, workspace: WorkspaceRef, channel: str, people: Iterable[str]
    ) -> list[str]:
        """Those of ``people`` who are not members of the workspace: neither known to the bot
        (stored) nor confirmed by the platform. Raises PlatformUnavailable when it cannot tell."""
        found = await tx.directory.workspace(workspace)
        unknown: list[str] = []
        for person in dict.fromkeys(people):
            stored = await tx.directory.member(found.id, person) if found and found.id else None
            if stored is not None:
                continue
            if not await self._channels(workspace).is_member(workspace, channel, person):
                unknown.append(person)
        return unknown
