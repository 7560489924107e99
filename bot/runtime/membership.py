"""Who is in each community, read from its platform's roster (Slack ``conversations.members``,
the Teams team roster) when the community is declared and then once a day — by one process at
a time, bounded in time, and tried again later (backing off) when the platform cannot answer.
A platform without a roster (the local playground) knows its members from what they do there."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from bot.runtime.clock import Clock
from bot.runtime.roster import Rosters
from bot.vocabulary.events import MemberProfile, WorkspaceRef
from bot.vocabulary.ports import PlatformUnavailable
from storage.store import Store

log = logging.getLogger(__name__)

#: A community's roster is read again this long after a read that worked.
EVERY = timedelta(days=1)
#: Communities read per scheduler pass at most (the next pass takes the others).
PER_PASS = 5
#: How long one roster read may take (a Slack channel of thousands is a few pages).
READ_TIMEOUT = 60.0
#: How long a claim on a community's read holds (longer than a read).
LEASE = timedelta(minutes=5)
#: After a failed read: this, doubled with each failure in a row, up to MAX_BACKOFF.
BACKOFF = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)


def backoff(failures: int) -> timedelta:
    return min(BACKOFF * (1 << min(max(0, failures - 1), 16)), MAX_BACKOFF)


class RosterSync:
    def __init__(
        self,
        store: Store,
        rosters: Rosters,
        clock: Clock,
        *,
        every: timedelta = EVERY,
        per_pass: int = PER_PASS,
        timeout: float = READ_TIMEOUT,
    ) -> None:
        self._store = store
        self._rosters = rosters
        self._clock = clock
        self._every = every
        self._per_pass = per_pass
        self._timeout = timeout

    async def run_due(self) -> int:
        """Read the rosters that are due (a few per pass); returns how many were applied."""
        async with self._store.read() as tx:
            due = await tx.membership.due(self._clock(), self._per_pass)
        applied = 0
        for community_id in due:
            try:
                applied += await self._sync(community_id)
            except Exception:  # one community must not hold up the others
                log.exception(
                    "reading a community's roster failed", extra={"community": community_id}
                )
        return applied

    async def _sync(self, community_id: int) -> int:
        token = uuid.uuid4().hex
        now = self._clock()
        async with self._store.transaction() as tx:
            if not await tx.membership.claim(community_id, now, token, LEASE):
                return 0  # another process has it, or it is no longer due
            community = await tx.directory.community(community_id)
            workspace = (
                await tx.directory.workspace_by_id(community.workspace_id) if community else None
            )
            if community is None or workspace is None:
                return 0
            ref = WorkspaceRef(workspace.platform, workspace.external_id)  # type: ignore[arg-type]
            channel = community.channel_id
        roster = self._rosters.platform(ref.platform)
        members: list[MemberProfile] | None = None
        error = None
        started = self._clock()  # facts newer than the read are never undone by it
        if roster is not None:
            try:
                async with asyncio.timeout(self._timeout):
                    members = await roster.members(ref, channel)
            except PlatformUnavailable as exc:
                error = f"the platform could not answer: {exc}"
            except TimeoutError:
                error = f"no answer within {self._timeout:g} s"
            except Exception as exc:  # the team is gone, the bot removed…: backed off too
                error = f"reading it failed: {type(exc).__name__}"
        return await self._record(community_id, token, members, error, started)

    async def _record(
        self,
        community_id: int,
        token: str,
        members: list[MemberProfile] | None,
        error: str | None,
        started: datetime,
    ) -> int:
        now = self._clock()
        async with self._store.transaction() as tx:
            sync = await tx.membership.held(community_id, token)
            community = await tx.directory.community(community_id)
            if sync is None or community is None:
                return 0
            if error is not None:
                await tx.membership.read_failed(sync, error, now + backoff(sync.failures + 1))
                log.warning(
                    "community roster not read; tried again later",
                    extra={"community": community_id, "failures": sync.failures, "error": error},
                )
                return 0
            await tx.membership.read_done(sync, now, now + self._every)
            if members is None:
                return 0  # no roster on this platform: its members are those seen there
            if not members:
                # a channel without a single person is more likely a platform's hiccup than
                # everyone gone at once: nobody is taken off on its word
                log.warning("an empty roster changes nobody", extra={"community": community_id})
                return 0
            change = await tx.membership.apply_roster(community, members, started)
        log.info(
            "community roster read",
            extra={
                "community": community_id,
                "added": change.added,
                "returned": change.returned,
                "removed": change.removed,
            },
        )
        return 1
