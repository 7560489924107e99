"""A ritual's recorded launch (``rituals run``, a per-member scheduled fire), started in chunks
of members: each chunk in one transaction with the launch's progress, so a crash between chunks
resumes after the last one committed and asks nobody twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.runtime import notices
from bot.runtime.audience import Chosen, choose
from bot.runtime.clock import Clock
from bot.runtime.context import known_profile
from bot.runtime.foreground import Foreground
from bot.runtime.person_keys import PersonKeys
from bot.runtime.rituals import Rituals
from bot.runtime.turn import Turn, enqueue, write_batch
from bot.vocabulary.events import MemberProfile
from playbooks.calendar import zone_name
from playbooks.engine import NOT_STARTED, Engine
from storage.store import Store, Transaction
from storage.tables import Community, Member, RitualLaunch, Run

log = logging.getLogger(__name__)


class _MemberFailed(Exception):
    """A member's start raised in a chunk started without savepoints: do it again, isolated."""


def news(stored: Member, profile: MemberProfile) -> bool:
    """Whether ``profile`` says something of the member that is not stored yet."""
    return any(
        value and value != getattr(stored, name)
        for name, value in (
            ("display_name", profile.display_name),
            ("locale", profile.locale),
            ("timezone", profile.timezone),
        )
    )


async def remember_member(
    tx: Transaction,
    workspace_id: int,
    profile: MemberProfile,
    now: datetime,
    person_keys: PersonKeys | None = None,
) -> Member:
    """Store what the platform says of a member, but no timezone or locale we don't know;
    someone made a member again after their erasure gets back the opt-outs kept for them."""
    keys = person_keys.of(workspace_id, profile.user_id) if person_keys else []
    return await tx.directory.upsert_member(workspace_id, known_profile(profile), now, keys)


class Launches:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        rituals: Rituals,
        clock: Clock,
        on_enqueued: Callable[[], None],
        foreground: Foreground | None = None,
    ) -> None:
        self._store = store
        #: inbound events go first: a chunk waits for its turn before its transaction (never
        #: in it: an event may be waiting for a row it wrote)
        self._foreground = foreground or Foreground()
        self._engine = engine
        self._rituals = rituals
        self._clock = clock
        self._on_enqueued = on_enqueued
        #: names people by a keyed hash: a member seen again after their erasure gets back
        #: the opt-outs kept under it (None: nothing is looked up; set by the composition root)
        self.person_keys: PersonKeys | None = None

    async def launch_chunk(
        self,
        launch_id: int,
        token: str,
        members: Sequence[MemberProfile] | None,
        *,
        final: bool,
        lease: timedelta,
    ) -> bool:
        """Start a recorded launch's ritual for the next ``members`` (in user-id order; None:
        a ritual for the community as a whole), in one transaction with the launch's progress,
        so a crash between chunks resumes after the last one committed and asks nobody twice.
        The ``final`` chunk finishes the launch and tells who asked for it how many members
        were asked now and how many later (outside their working hours).

        False when the launch is no longer this caller's (another process took it over).

        The chunk's members are started without a savepoint each (two statements fewer per
        member); if one of them raises, the chunk is rolled back and done again with each
        member's start in its own savepoint, so that only that member is left out."""
        try:
            return await self._launch_chunk(
                launch_id, token, members, final=final, lease=lease, isolated=False
            )
        except _MemberFailed:
            return await self._launch_chunk(
                launch_id, token, members, final=final, lease=lease, isolated=True
            )

    async def _launch_chunk(
        self,
        launch_id: int,
        token: str,
        members: Sequence[MemberProfile] | None,
        *,
        final: bool,
        lease: timedelta,
        isolated: bool,
    ) -> bool:
        if not self._store.one_writer:  # SQLite's events wait in line for its write lock
            await self._foreground.turn()
        now = self._clock()
        async with self._store.transaction() as tx:
            launch = await tx.runs.held_launch(launch_id, token)
            if launch is None:
                return False
            community = await tx.directory.community(launch.community_id)
            workspace = (
                await tx.directory.workspace_by_id(community.workspace_id) if community else None
            )
            if (
                community is None
                or workspace is None
                or launch.playbook not in self._engine.playbooks
            ):
                launch.status, launch.finished_at = "failed", now
                launch.error = "the community or the ritual no longer exists"
                return False
            assert community.id is not None
            turn = Turn(tx, workspace, now)
            if not isolated:  # the chunk's runs and deliveries written together, at its end
                turn.batch = []
            if launch.playbook not in await tx.directory.enabled_playbooks(community.id):
                launch.status, launch.finished_at = "failed", now
                launch.error = "the ritual was switched off"
                log.info("launch of a ritual switched off dropped", extra={"launch": launch_id})
                # who asked for it was told it starts: now they learn it did not
                told = await notices.launch_failed(
                    tx, workspace, community, launch, self._engine.playbooks
                )
                await enqueue(turn, told, None)
                final, members, dropped = False, (), True  # nothing more of it
            else:
                dropped = False
            if members is None and final:
                run = await self._rituals.start(
                    turn, launch.playbook, community, None, scheduled=True
                )
                launch.asked_now += int(run is not None)
            # a chunk committed before a crash is done already
            profiles = [p for p in members or () if p.user_id > launch.cursor]
            stored: dict[str, Member] = {}
            overrides: dict[str, Any] = {}
            chosen: Chosen | None = None
            only = self._engine.playbooks[launch.playbook].member_filter
            if profiles and only is not None:
                users = [p.user_id for p in profiles]
                chosen = await choose(tx, community, launch.playbook, only, users, now)
                profiles = [p for p in profiles if p.user_id in chosen.members]
            if profiles:
                assert workspace.id is not None
                # what every member's start reads, read once for the chunk
                users = [p.user_id for p in profiles]
                stored = await tx.directory.members_by_user_id(workspace.id, users)
                overrides = await tx.directory.playbook_settings(community.id, launch.playbook)
                turn.running = await tx.runs.active_of(community.id, launch.playbook, users)
            for profile in profiles:
                if chosen is not None and chosen.room is not None and chosen.room <= 0:
                    break  # the cap: the others' turn comes at the next fires
                run = await self._start_for(
                    turn,
                    launch,
                    community,
                    profile,
                    stored.get(profile.user_id),
                    overrides,
                    isolated=isolated,
                )
                if run is not None and NOT_STARTED in run.variables:
                    launch.asked_later += 1
                elif run is not None:
                    launch.asked_now += 1
                if run is not None and chosen is not None and chosen.room is not None:
                    chosen.room -= 1
                launch.cursor = profile.user_id
                # a batched member's start awaits nothing: let inbound events in between
                # (not wait for them: they may wait for a row this chunk has written)
                await asyncio.sleep(0)
            if members:  # the chunk's members left out by ``only`` are done with too
                launch.cursor = max(launch.cursor, max(p.user_id for p in members))
            if not dropped:
                launch.lease_until = now + lease
            if final:
                launch.status, launch.finished_at = "done", now
            try:
                if final:  # its read of who asked inserts a batched chunk's runs (autoflush)
                    told = await notices.launch_counted(
                        tx, workspace, community, launch, self._engine.playbooks
                    )
                    await enqueue(turn, told, None)
                if turn.batch is not None:
                    await write_batch(turn)
            except Exception as exc:  # a batched member's row refused: each in a savepoint
                if turn.batch is None:
                    raise
                raise _MemberFailed() from exc
        if final:  # once, committed (not by a batched attempt that was done again)
            log.info(
                "ritual launched",
                extra={
                    "playbook": launch.playbook,
                    "now": launch.asked_now,
                    "later": launch.asked_later,
                },
            )
        if turn.enqueued:
            self._on_enqueued()
        return not dropped

    async def fail_launch(self, launch_id: int, token: str, reason: str) -> None:
        """Give up a launch that cannot go on (its roster cannot be read, again and again):
        recorded, and who asked for it is told."""
        now = self._clock()
        async with self._store.transaction() as tx:
            launch = await tx.runs.held_launch(launch_id, token)
            if launch is None:
                return
            launch.status, launch.finished_at, launch.error = "failed", now, reason[:500]
            community = await tx.directory.community(launch.community_id)
            workspace = (
                await tx.directory.workspace_by_id(community.workspace_id) if community else None
            )
            if community is None or workspace is None:
                return
            turn = Turn(tx, workspace, now)
            told = await notices.launch_failed(
                tx, workspace, community, launch, self._engine.playbooks
            )
            await enqueue(turn, told, None)
        if turn.enqueued:
            self._on_enqueued()

    async def _start_for(
        self,
        turn: Turn,
        launch: RitualLaunch,
        community: Community,
        profile: MemberProfile,
        stored: Member | None,
        overrides: dict[str, Any],
        *,
        isolated: bool,
    ) -> Run | None:
        """Start a launch's ritual for one member, if their timezone is one it is for. A
        member whose start raises is left out (logged) when ``isolated`` (each start in its own
        savepoint); otherwise _MemberFailed says to do the chunk again isolated. ``stored``: the
        member as stored (written again only when the roster says something new of them)."""
        if not isolated:
            try:
                return await self._start_member(turn, launch, community, profile, stored, overrides)
            except Exception as exc:
                raise _MemberFailed() from exc
        try:
            async with turn.tx.session.begin_nested():
                return await self._start_member(turn, launch, community, profile, stored, overrides)
        except Exception:
            log.exception(
                "starting a ritual for one member failed", extra={"playbook": launch.playbook}
            )
            return None

    async def _start_member(
        self,
        turn: Turn,
        launch: RitualLaunch,
        community: Community,
        profile: MemberProfile,
        stored: Member | None,
        overrides: dict[str, Any],
    ) -> Run | None:
        assert turn.workspace.id is not None
        member = stored
        if member is None or news(member, known_profile(profile)):
            member = await remember_member(
                turn.tx, turn.workspace.id, profile, turn.now, self.person_keys
            )
        zone = zone_name(member.timezone, community.timezone)
        if launch.zones is not None and zone not in launch.zones:
            return None
        return await self._rituals.start(
            turn, launch.playbook, community, member, scheduled=True, overrides=overrides
        )
