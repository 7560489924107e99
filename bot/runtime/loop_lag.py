"""How late the event loop runs what is due: the serving process's own stalls, measured.

A task asks to sleep :data:`LAG_INTERVAL` again and again; how much later than asked it wakes up
is how long the loop was busy elsewhere meanwhile — a callback that did not yield, a garbage
collection, or the process not scheduled by a busy machine. Every event waiting meanwhile waited
that long too, so this is the floor of the events' latency when it shows (``/metrics``:
``animateur_event_loop_lag_seconds``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

#: Seconds between two looks (a stall shorter than this may be seen late but is seen).
LAG_INTERVAL = 0.1


async def watch_loop_lag(
    observe: Callable[[float], None],
    interval: float = LAG_INTERVAL,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Observe, until cancelled, how late each sleep of ``interval`` seconds ended (seconds,
    0 when on time) on the loop's clock."""
    now = clock or asyncio.get_running_loop().time
    while True:
        asked = now()
        await sleep(interval)
        observe(max(0.0, now() - asked - interval))
