"""Who belongs to a community: the platform's roster when it has one (Teams), otherwise the
members who joined it (a join event: on the local platform, its "join" button) and have not
left — posting, reacting or typing a command there makes nobody a member."""

from __future__ import annotations

from collections.abc import Mapping

from bot.vocabulary.events import MemberProfile, WorkspaceRef
from bot.vocabulary.ports import Roster
from storage.store import Store


class Rosters:
    def __init__(self, store: Store, platforms: Mapping[str, Roster]) -> None:
        self._store = store
        self._platforms = platforms  # not copied: platforms register after this exists

    def platform(self, name: str) -> Roster | None:
        """The platform's own roster, when it has one."""
        return self._platforms.get(name)

    async def __call__(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        roster = self._platforms.get(workspace.platform)
        if roster is not None:
            return await roster.members(workspace, channel)
        return await self.known_members(workspace, channel)

    async def known_members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        async with self._store.read() as tx:
            found = await tx.directory.workspace(workspace)
            if found is None or found.id is None:
                return []
            community = await tx.directory.community_by_channel(found.id, channel)
            if community is None or community.id is None:
                return []
            members = await tx.activity.present_members(community.id)
        return [
            MemberProfile(m.user_id, m.display_name or None, m.locale, m.timezone) for m in members
        ]
