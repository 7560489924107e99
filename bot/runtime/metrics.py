"""What the process counts for ``/metrics`` (Prometheus): events in, sends, the outbox, lag.

One :class:`Metrics` per bot, on a registry the composition root creates (never the global
default registry): two bots in one process (tests) count apart. Counters are bumped by thin
wrappers around the seams the runtime already has — the event sink the adapters call and the
senders the delivery worker calls — so neither the dispatcher nor the worker knows about them.
The outbox figures are read from the database when scraped (every process sees the same outbox).
Labels are bounded sets (platforms, event types, outcome names): never ids, never text.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from bot.runtime.clock import Clock
from bot.vocabulary.actions import Action
from bot.vocabulary.events import Event, WorkspaceRef
from bot.vocabulary.ports import DispatchResult, EventSink, Sender, SendOutcome
from storage.store import Store

log = logging.getLogger(__name__)

#: Seconds; a send is one platform call (or a few), a slow one takes seconds.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Seconds; the scheduler ticks every few seconds, a bot that was down catches up hours later.
LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)
#: Seconds; the loop wakes a sleeper a fraction of a millisecond late when nothing holds it.
LOOP_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: The outbox statuses counted at each scrape: the queue, and what needs a look.
DEPTH_STATUSES = ("pending", "in_flight", "dead")
#: A count stops there (the query stays bounded whatever the outbox holds).
DEPTH_CAP = 1_000_000
#: How long a scrape waits for the database before answering without the outbox figures.
SCRAPE_TIMEOUT = 5.0


def event_type(event: Event) -> str:
    """``MemberJoined`` → ``member_joined``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


class Metrics:
    """The bot's counters and histograms, on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events = Counter(
            "animateur_events_received",
            "Events received from the platforms, by platform, type and result "
            "(processed, duplicate: a platform retry already handled, error)",
            ["platform", "type", "result"],
            registry=registry,
        )
        self.sends = Counter(
            "animateur_deliveries",
            "Sends attempted, by platform and outcome (sent, retry, deferred, permanent, "
            "blocked, unauthorized, error: the sender raised, cancelled: cut short)",
            ["platform", "outcome"],
            registry=registry,
        )
        self.send_seconds = Histogram(
            "animateur_send_seconds",
            "How long one send took, by platform",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=registry,
        )
        self.scheduler_lag = Histogram(
            "animateur_scheduler_lag_seconds",
            "How late the scheduler processed what was due: a run's timer (kind=run) or a "
            "schedule's fire time (kind=fire)",
            ["kind"],
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.loop_lag = Histogram(
            "animateur_event_loop_lag_seconds",
            "How late the event loop woke a task sleeping a tenth of a second: how long it was "
            "busy elsewhere meanwhile (every event waiting then waited that long too)",
            buckets=LOOP_LAG_BUCKETS,
            registry=registry,
        )
        self.outbox: OutboxCollector | None = None

    def counted(self, sink: EventSink) -> EventSink:
        """``sink``, counting each event it is given by platform, type and result."""
        events = self.events

        async def handle(event: Event) -> DispatchResult:
            labels = (event.workspace.platform, event_type(event))
            try:
                result = await sink(event)
            except Exception:
                events.labels(*labels, "error").inc()
                raise
            events.labels(*labels, result).inc()
            return result

        return handle

    def watch_outbox(self, store: Store, clock: Clock) -> None:
        """Report the outbox of ``store`` at each scrape."""
        self.outbox = OutboxCollector(store, clock)
        self.registry.register(self.outbox)

    async def scrape(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition (body, content type) in the format ``accept`` asks for (the
        Prometheus text format by default), with the outbox read now."""
        if self.outbox is not None:
            await self.outbox.refresh()
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    def timed(self, sender: Sender) -> Sender:
        """``sender``, timing each send and counting its outcome."""
        return TimedSender(sender, self)

    def lag(self, kind: str, due: datetime, now: datetime) -> None:
        """The scheduler processed something due at ``due`` at ``now``."""
        self.scheduler_lag.labels(kind).observe(max(0.0, (now - due).total_seconds()))


class TimedSender:
    """A :class:`Sender` that times and counts the sends of the one it wraps."""

    def __init__(self, inner: Sender, metrics: Metrics) -> None:
        self.inner = inner
        self.platform = inner.platform
        #: the platform's own limit of sends at once, read by the delivery worker
        self.max_in_flight: int | None = getattr(inner, "max_in_flight", None)
        self._metrics = metrics

    async def send(self, workspace: WorkspaceRef, action: Action) -> SendOutcome:
        started = time.perf_counter()
        outcome = "cancelled"
        try:
            result = await self.inner.send(workspace, action)
            outcome = result.status
            return result
        except Exception:
            outcome = "error"
            raise
        finally:
            self._metrics.sends.labels(self.platform, outcome).inc()
            elapsed = time.perf_counter() - started
            self._metrics.send_seconds.labels(self.platform).observe(elapsed)


class OutboxCollector:
    """The outbox as the database holds it: depth by status and the oldest pending delivery's
    age. :meth:`refresh` reads it (bounded, index-backed queries); :meth:`collect` reports
    the last reading, so call one before the other at each scrape."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._depth: dict[str, int] | None = None
        self._oldest_age = 0.0

    async def refresh(self) -> bool:
        """Read the outbox; False (and nothing reported) when the database did not answer."""
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT), self._store.read() as tx:
                depth = await tx.outbox.count_by_status(DEPTH_STATUSES, DEPTH_CAP)
                oldest = await tx.outbox.oldest_created("pending")
        except Exception as exc:
            log.warning("metrics: outbox not readable", extra={"error": type(exc).__name__})
            self._depth = None
            return False
        self._depth = depth
        age = (self._clock() - oldest).total_seconds() if oldest is not None else 0.0
        self._oldest_age = max(0.0, age)
        return True

    def collect(self) -> Iterator[Metric]:
        if self._depth is None:
            return
        depth = GaugeMetricFamily(
            "animateur_outbox_deliveries",
            f"Deliveries in the outbox by status (pending, in_flight, dead), counted at the "
            f"scrape up to {DEPTH_CAP}",
            labels=["status"],
        )
        for status, count in self._depth.items():
            depth.add_metric([status], count)
        yield depth
        yield GaugeMetricFamily(
            "animateur_outbox_oldest_pending_seconds",
            "Age of the oldest pending delivery (0: none pending)",
            value=self._oldest_age,
        )

    def describe(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("animateur_outbox_deliveries", "", labels=["status"])
        yield GaugeMetricFamily("animateur_outbox_oldest_pending_seconds", "")
