"""The serving process's heap and Python's cyclic garbage collector.

A full collection (generation 2) walks every object the collector tracks, with the event loop
stopped meanwhile. Once started, the serving process holds about 180,000 such objects that live
as long as it does — the libraries' modules, classes and functions, SQLAlchemy's mappings, the
playbooks — and a full collection came every 10–30 s at 50 events/s (once enough of the
requests' objects had outlived two young collections): each walked them all again, 150–400 ms
of CPU on a busy 2-core machine (more as the heap grew) during which no event was answered —
most of the events' p99 with nothing else going on.

Once start-up is done, one collection frees what start-up left behind and :func:`gc.freeze`
moves every object still alive out of the collector's generations: later collections walk only
what was allocated since. The youngest generation is collected every :data:`YOUNG_THRESHOLD`
allocations instead of Python's 700 (Python 3.13's own default): fewer of an event's objects,
alive only while it is handled, are promoted, so full collections come less often; a larger
threshold made each young collection itself free so much at once (tens of milliseconds during
a fire). Nothing a user sees changes: what is frozen was alive (a cycle among those objects that
became garbage later would never be freed — start-up's objects live as long as the process).
"""

from __future__ import annotations

import gc
import logging

from aiohttp import web

log = logging.getLogger(__name__)

#: Allocations (net of deallocations) between two collections of the youngest generation.
YOUNG_THRESHOLD = 2_000


def freeze_start_up_heap() -> int:
    """Collect once, keep what is alive out of every later collection, and collect the
    youngest generation less often; returns how many objects were kept out."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
    return gc.get_freeze_count()


async def frozen_after_start(_app: web.Application) -> None:
    """An ``on_startup`` hook of ``animateur serve``, appended after the bot's own start-up
    (the platforms, the delivery worker, the scheduler)."""
    frozen = freeze_start_up_heap()
    log.info("start-up heap kept out of garbage collection", extra={"objects": frozen})
