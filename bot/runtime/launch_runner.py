"""The scheduler's part of a launch (a ritual started for many members): claim each recorded
launch nobody holds (a lease), read its community's roster, and hand it to the launcher (the
dispatcher's ``launches``) chunk by chunk, after the last chunk committed — so a crash loses
nothing and the next process continues where it stopped. Stopping gives a launch back after the
chunk under way, so the next process continues it at once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Protocol

from bot.runtime.clock import Clock
from bot.runtime.schedules import schedules_of
from bot.vocabulary.events import MemberProfile, WorkspaceRef
from playbooks.schema import Playbook
from storage.store import Store, Transaction

log = logging.getLogger(__name__)

#: Members started per transaction of a launch, and how long a claim on it holds. Where the
#: database has one writer at a time (SQLite), every inbound event waits for the chunk under way:
#: smaller chunks there (about 25 ms each instead of 120 ms), a few more statements per member.
LAUNCH_CHUNK = 50
LAUNCH_CHUNK_ONE_WRITER = 10
LAUNCH_LEASE = timedelta(minutes=2)
#: Claims of one launch (each after a crash, an error or an unreadable roster) before it is
#: given up (recorded, and who asked for it told).
LAUNCH_ATTEMPTS = 5

#: The members of a community (its platform roster): ``await roster(workspace, channel)``.
RosterLookup = Callable[[WorkspaceRef, str], Awaitable[list[MemberProfile]]]
#: Where a launch's members are (workspace, channel), and whether the ritual is for each member.
Target = tuple[WorkspaceRef, str, bool]


class Launcher(Protocol):
    """Executes ritual launches chunk by chunk (the dispatcher's ``launches``)."""

    async def launch_chunk(
        self,
        launch_id: int,
        token: str,
        members: Sequence[MemberProfile] | None,
        *,
        final: bool,
        lease: timedelta,
    ) -> bool: ...

    async def fail_launch(self, launch_id: int, token: str, reason: str) -> None: ...


class LaunchRunner:
    def __init__(
        self,
        store: Store,
        launcher: Launcher,
        playbooks: Mapping[str, Playbook],
        clock: Clock,
        roster: RosterLookup | None,
        chunk_size: int,
        lease: timedelta,
    ) -> None:
        self._store = store
        self._launcher = launcher
        self._playbooks = playbooks
        self._clock = clock
        self._roster = roster
        self.chunk_size = chunk_size
        self._lease = lease
        #: set when stopping: the launch under way is given back after its chunk
        self.stopping = False

    async def run(self) -> int:
        """Execute every launch nobody else holds; returns how many were finished here."""
        finished = 0
        token = uuid.uuid4().hex
        while not self.stopping:
            async with self._store.transaction() as tx:
                launch = await tx.runs.claim_launch(self._clock(), token, self._lease)
                if launch is None:
                    return finished
                assert launch.id is not None
                launch_id, cursor, attempts = launch.id, launch.cursor, launch.attempts
                target = await self._target(tx, launch.community_id, launch.playbook)
            try:
                if attempts > LAUNCH_ATTEMPTS:
                    reason = f"not completed after {LAUNCH_ATTEMPTS} attempts"
                    await self._launcher.fail_launch(launch_id, token, reason)
                    continue
                finished += await self._execute(launch_id, token, cursor, target)
            except Exception:  # one broken launch must not hold up the others
                log.exception("a ritual launch failed; it is retried when its claim ends")
        return finished

    async def _target(self, tx: Transaction, community_id: int, playbook: str) -> Target | None:
        """Where a launch's members are and whether the ritual is for each member; None when
        the community is gone."""
        community = await tx.directory.community(community_id)
        if community is None:
            return None
        workspace = await tx.directory.workspace_by_id(community.workspace_id)
        assert workspace is not None
        found = self._playbooks.get(playbook)
        schedules = [s for s in schedules_of(found, {}) if not s.is_digest] if found else []
        per_member = schedules[0].per_member if schedules else True
        ref = WorkspaceRef(workspace.platform, workspace.external_id)  # type: ignore[arg-type]
        return ref, community.channel_id, per_member

    async def _execute(self, launch_id: int, token: str, cursor: str, target: Target | None) -> int:
        launcher = self._launcher
        if target is None:  # the launch chunk records why
            await launcher.launch_chunk(launch_id, token, [], final=True, lease=self._lease)
            return 0
        workspace, channel, per_member = target
        if not per_member:
            done = await launcher.launch_chunk(
                launch_id, token, None, final=True, lease=self._lease
            )
            return int(done)
        roster = await self._members(workspace, channel)
        if roster is None:
            return 0  # tried again when the claim ends
        members = sorted(
            {m.user_id: m for m in roster if m.user_id > cursor}.values(), key=lambda m: m.user_id
        )
        size = max(1, self.chunk_size)
        chunks = [members[i : i + size] for i in range(0, len(members), size)] or [[]]
        for index, chunk in enumerate(chunks):
            if self.stopping:
                await self._give_back(launch_id, token)
                return 0
            final = index == len(chunks) - 1
            if not await launcher.launch_chunk(
                launch_id, token, chunk, final=final, lease=self._lease
            ):
                return 0  # taken over by another process: it finishes the launch
        return 1

    async def _give_back(self, launch_id: int, token: str) -> None:
        """Hand a launch stopped mid-way back (stopping): the next process continues it at once
        instead of waiting for its lease to run out."""
        try:
            async with self._store.transaction() as tx:
                released = await tx.runs.release_launch(launch_id, token)
        except Exception as exc:
            log.warning(
                "launch not given back; its lease expires", extra={"error": type(exc).__name__}
            )
            return
        if released:
            log.info("launch stopped mid-way and given back", extra={"launch": launch_id})

    async def _members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile] | None:
        if self._roster is None:
            return []
        try:
            return await self._roster(workspace, channel)
        except Exception:
            log.exception("could not read the community roster; will retry")
            return None
