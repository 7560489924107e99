"""The scheduler's hourly housekeeping: event keys kept for deduplication forgotten after their
retention, raw activity purged after its own (the pulse's rollups stay), the texts of old
deliveries erased — each a batch per transaction, so no pass holds the database for long."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.runtime.clock import Clock
from storage.pulse import PURGE_BATCH
from storage.store import Store

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)
#: Batches of old activity purged per community and pass at most (the next pass goes on).
PURGE_BATCHES = 20
#: Deliveries whose text is erased per transaction.
TEXT_BATCH = 2000


class Housekeeping:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        dedupe_retention: timedelta,
        activity_retention: timedelta | None = None,
        delivery_retention: timedelta | None = None,
    ) -> None:
        """``activity_retention``: raw activity older than this is purged (None: kept);
        ``delivery_retention``: the text of deliveries sent longer ago is erased (None:
        kept)."""
        self._store = store
        self._clock = clock
        self._dedupe_retention = dedupe_retention
        self._activity_retention = activity_retention
        self._delivery_retention = delivery_retention
        self._last_pass: datetime | None = None

    async def run(self) -> None:
        """Once an hour at most: what is past its retention goes."""
        now = self._clock()
        if self._last_pass is not None and now - self._last_pass < PURGE_EVERY:
            return
        self._last_pass = now
        # platforms retry within minutes; keys older than the retention are dead weight
        async with self._store.transaction() as tx:
            purged = await tx.activity.forget_processed_before(now - self._dedupe_retention)
        if purged:
            log.info("old event keys forgotten", extra={"count": purged})
        if self._activity_retention is not None:
            await self._purge_activity(now - self._activity_retention)
        if self._delivery_retention is not None:
            await self._forget_delivery_texts(now, now - self._delivery_retention)

    async def _forget_delivery_texts(self, now: datetime, cutoff: datetime) -> None:
        """The texts of deliveries sent before ``cutoff`` go, a batch per transaction."""
        erased = 0
        for _ in range(PURGE_BATCHES):
            async with self._store.transaction() as tx:
                gone = await tx.outbox.forget_texts_before(cutoff, now, TEXT_BATCH)
            erased += gone
            if gone < TEXT_BATCH:
                break
        if erased:
            log.info("texts of old deliveries erased", extra={"count": erased})

    async def _purge_activity(self, cutoff: datetime) -> None:
        """Raw activity older than the retention goes, a batch per transaction, community by
        community (and what happened outside any); the rollups stay."""
        async with self._store.read() as tx:
            places: list[int | None] = [c.id for c in await tx.directory.communities()]
        purged = 0
        for place in [*places, None]:
            for _ in range(PURGE_BATCHES):
                async with self._store.transaction() as tx:
                    gone = await tx.pulse.purge_before(place, cutoff)
                purged += gone
                if gone < PURGE_BATCH:
                    break
        if purged:
            log.info("activity older than the retention purged", extra={"count": purged})
