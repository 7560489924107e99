"""Looks at each community's pulse every hour of its working time (a few communities per pass,
each by one process: a claim moved forward) and sends what is due to its facilitators: the
early warnings (``bot.runtime.pulse_alerts``) and, on Monday, the weekly digest
(``bot.runtime.pulse_digest``). Outside working hours nothing is computed nor sent: the next
look is at the start of the next working period. Messages go through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import cast

from bot.runtime.champions import champion_callback, champion_messages, spot_for_digest
from bot.runtime.clock import Clock
from bot.runtime.context import calendar_for
from bot.runtime.indicators import compute
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.pulse_alerts import warning_messages
from bot.runtime.pulse_digest import digest_messages, digest_week
from bot.runtime.pulse_report import read_pulse
from bot.runtime.pulse_warnings import warnings
from bot.vocabulary import actions as act
from bot.vocabulary.events import Platform, WorkspaceRef
from playbooks.schema import Playbook
from storage.store import Store

log = logging.getLogger(__name__)

#: A community's pulse is looked at this often during its working hours.
EVERY = timedelta(hours=1)
#: Communities looked at per scheduler pass at most (the next pass takes the others).
PER_PASS = 5
#: Weeks of trend a digest shows (the three-week fall needs four).
WEEKS = 4


class PulseWatch:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        playbooks: Mapping[str, Playbook],
        *,
        on_enqueued: Callable[[], None] = lambda: None,
        every: timedelta = EVERY,
        per_pass: int = PER_PASS,
        links: MessageLinkBook | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._asking = {n for n, p in playbooks.items() if any(s.kind == "ask" for s in p.steps)}
        self._on_enqueued = on_enqueued
        self._every = every
        self._per_pass = per_pass
        #: each platform's links to the unanswered questions (facilitators' eyes only)
        self._links = links or MessageLinkBook()

    async def run_due(self) -> int:
        """Look at the communities that are due; returns how many messages were queued."""
        async with self._store.read() as tx:
            due = await tx.pulse_notices.due(self._clock(), self._per_pass)
        queued = 0
        for community_id in due:
            try:
                queued += await self._look(community_id)
            except Exception:  # one community must not hold up the others
                log.exception(
                    "looking at a community's pulse failed", extra={"community": community_id}
                )
        if queued:
            self._on_enqueued()
        return queued

    async def _look(self, community_id: int) -> int:
        now = self._clock()
        async with self._store.transaction() as tx:
            community = await tx.directory.community(community_id)
            if community is None:
                return 0
            calendar = calendar_for(community)
            try:
                opens = calendar.next_open(now)
            except ValueError:  # working hours validated on input: an old bad row waits
                log.warning(
                    "a community's working hours are unreadable", extra={"community": community_id}
                )
                opens = now + self._every
            working = opens == now
            next_at = now + self._every if working or opens <= now else opens
            if not await tx.pulse_notices.take_check(community_id, now, next_at):
                return 0  # another process has it
        if not working or not community.facilitators:
            return 0
        week = digest_week(calendar, now)
        async with self._store.read() as tx:  # the figures: no write lock while computing
            data = await read_pulse(tx, community, now, WEEKS, self._asking)
            where = await tx.directory.workspace_by_id(community.workspace_id)
            champions = await spot_for_digest(tx, community, week, now)
        report = compute(data, WEEKS, links=True)
        if where is not None:  # the links too (a platform may read what it keeps)
            ref = WorkspaceRef(cast(Platform, where.platform), where.external_id)
            await self._links.add_urls(ref, report.figures)
        found = warnings(report, data)
        async with self._store.transaction() as tx:
            workspace = await tx.directory.workspace_by_id(community.workspace_id)
            assert workspace is not None and workspace.id is not None
            told: list[act.Action] = await warning_messages(tx, workspace, community, found, now)
            if week is not None:
                digest = await digest_messages(tx, workspace, community, report, found, week, now)
                # champions spotted: after the digest, with it only (once a week)
                told += digest + (
                    await champion_messages(tx, workspace, community, champions) if digest else []
                )
            assert community.id is not None
            spotted = {champion_callback(community.id, c.user_id): c.user_id for c in champions}
            for action in told:
                # a champion's message names them (its callback and mention carry their id):
                # recorded, so their export and erasure find it; the rest names nobody
                callback = getattr(action, "callback", None)
                named = [spotted[callback]] if callback in spotted else []
                await tx.outbox.enqueue(
                    workspace_id=workspace.id,
                    action=act.action_to_dict(action),
                    recipient=act.recipient_of(action),
                    now=now,
                    names=named,
                )
        if told:
            log.info("pulse notices queued", extra={"community": community_id, "count": len(told)})
        return len(told)
