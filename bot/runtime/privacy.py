"""A person's data on request: export it (GDPR art. 15) or erase it (art. 17), for one person
of one workspace. The erasure is one transaction: everything goes, or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.runtime.person_keys import PersonKeys
from bot.vocabulary.events import WorkspaceRef
from storage.privacy import Erasure
from storage.store import Store, Transaction
from storage.tables import Workspace


class UnknownWorkspace(LookupError):
    pass


class UnknownPerson(LookupError):
    pass


async def _subject(tx: Transaction, ref: WorkspaceRef, user_id: str) -> Workspace:
    workspace = await tx.directory.workspace(ref)
    if workspace is None:
        raise UnknownWorkspace(ref)
    if not await tx.privacy.known(workspace, user_id):
        raise UnknownPerson(user_id)
    return workspace


async def export_person(store: Store, ref: WorkspaceRef, user_id: str) -> dict[str, Any]:
    """Everything stored about ``user_id``; raises UnknownWorkspace, UnknownPerson."""
    async with store.read() as tx:
        workspace = await _subject(tx, ref, user_id)
        return await tx.privacy.export(workspace, user_id)


class UnknownSuccessor(LookupError):
    """The person named to take over as facilitator is not a member of the workspace."""


class LastFacilitator(Exception):
    """Erasing them would leave communities nobody may run (on Teams and in the playground
    nobody else may): name who takes over. ``communities``: (channel, name)."""

    def __init__(self, communities: list[tuple[str, str]]) -> None:
        super().__init__(communities)
        self.communities = communities


class StillOptedOut(Exception):
    """They opted out and are still in a community's channel: the operator confirms (their
    opt-out is kept, under a keyed hash, so rituals still leave them alone)."""


class OptOutNotKept(Exception):
    """They opted out, and there is no key to keep their opt-out under: erased, the bot would
    write to them again should they be seen again. Nothing is erased."""


async def erase_person(
    store: Store,
    ref: WorkspaceRef,
    user_id: str,
    now: datetime,
    successor: str | None = None,
    force: bool = False,
    keys: PersonKeys | None = None,
) -> Erasure:
    """Remove ``user_id`` from the workspace; raises UnknownWorkspace, UnknownPerson.

    Where they were the last facilitator, ``successor`` (a member) becomes its facilitator;
    without one, LastFacilitator is raised and nothing is erased (one transaction). Someone
    who opted out and is still in a community is erased only with ``force`` (StillOptedOut).
    What they opted out of outlives them under their keyed hash (``keys``; OptOutNotKept
    without one): should they be seen again, no ritual writes to them until they opt back in."""
    async with store.transaction() as tx:
        workspace = await _subject(tx, ref, user_id)
        assert workspace.id is not None
        member = await tx.directory.member(workspace.id, user_id)
        opted = member is not None and (member.opted_out_all or bool(member.opted_out))
        if opted and not force and await tx.privacy.in_a_community(workspace.id, user_id):
            raise StillOptedOut(user_id)
        if successor is not None and (
            successor == user_id or await tx.directory.member(workspace.id, successor) is None
        ):
            raise UnknownSuccessor(successor)
        hashed = keys.of(workspace.id, user_id) if keys is not None else []
        if opted and not hashed:
            raise OptOutNotKept(user_id)
        opted_out_all = member is not None and member.opted_out_all
        opted_out = list(member.opted_out) if member is not None else []
        await tx.privacy.keep_opt_out(workspace.id, hashed, opted_out_all, opted_out, now)
        erasure = await tx.privacy.erase(workspace, user_id, now)
        if erasure.orphaned and successor is None:
            raise LastFacilitator(erasure.orphaned)
        for channel, _ in erasure.orphaned:
            community = await tx.directory.community_by_channel(workspace.id, channel)
            assert community is not None
            community.facilitators = [str(successor)]
        erasure.handed, erasure.orphaned = erasure.orphaned, []
        return erasure
