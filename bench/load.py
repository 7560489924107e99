"""Signed Slack Events API requests, offered to an HTTP server at saturation or at a set rate.

``saturate``: a closed loop — ``concurrency`` clients each send the next request as soon as the
previous one is answered — for ``seconds``: the events per second the server sustains.
``offered``: an open loop — request *i* leaves at ``start + i / rate`` whatever the server does —
whose latencies count from when each request was due, not when it left (a server that falls
behind is not excused by the client waiting for it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.common import percentile

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM, BOT_USER, TOKEN = "T0001", "U0BOT", "xoxb-1"
#: Slack gives up on an event (and retries it) when it is not acknowledged within this.
SLACK_DEADLINE = 3.0
#: A request unanswered after this is counted as failed.
REQUEST_TIMEOUT = 15.0
_runs = itertools.count(1)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """Slack's v0 signature headers for ``body``, signed now."""
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def messages(channel: str, members: int = 1000) -> Callable[[], bytes]:
    """A maker of Events API envelopes: a message posted in ``channel`` by one of ``members``
    people, each envelope with an event id of its own."""
    run = next(_runs)
    counter = itertools.count()

    def make() -> bytes:
        i = next(counter)
        ts = f"{1700000000 + i}.{run:06d}"
        envelope = {
            "token": "bench",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "event": {
                "type": "message",
                "text": "Hello everyone",
                "user": f"U{i % members:07d}",
                "ts": ts,
                "team": TEAM,
                "channel": channel,
                "event_ts": ts,
                "channel_type": "channel",
            },
            "type": "event_callback",
            "event_id": f"Ev{run:03d}{i:09d}",
            "event_time": 1700000000 + i,
            "authorizations": [
                {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
            ],
        }
        return json.dumps(envelope).encode()

    return make


@dataclass
class Result:
    elapsed: float = 0.0
    #: seconds from when each answered request was due (offered) or left (saturate) to its answer
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.answered / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        """The ``q`` quantile of latencies, in milliseconds (failures count as the timeout)."""
        values = self.latencies + [REQUEST_TIMEOUT] * self.failed
        return percentile(sorted(values), q) * 1000

    def late(self, limit: float = SLACK_DEADLINE) -> float:
        """The share of requests not acknowledged within ``limit`` seconds."""
        total = self.answered + self.failed
        slow = sum(1 for x in self.latencies if x > limit) + self.failed
        return slow / total if total else 0.0


async def _post(http: ClientSession, url: str, body: bytes, due: float, result: Result) -> None:
    try:
        async with http.post(url, data=body, headers=signed(body)) as response:
            await response.read()
            status = response.status
    except (TimeoutError, OSError, Exception):
        result.failed += 1
        return
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if status == 200:
        result.latencies.append(time.perf_counter() - due)
    else:
        result.failed += 1


async def saturate(
    url: str, make: Callable[[], bytes], *, seconds: float, concurrency: int = 32
) -> Result:
    """Closed loop for ``seconds`` (after a warm-up of a few requests per client)."""
    result = Result()
    timeout = ClientTimeout(total=REQUEST_TIMEOUT)
    async with ClientSession(connector=TCPConnector(limit=concurrency), timeout=timeout) as http:
        warm = Result()
        await asyncio.gather(
            *(_post(http, url, make(), time.perf_counter(), warm) for _ in range(concurrency * 2))
        )
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                await _post(http, url, make(), time.perf_counter(), result)

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - start
    return result


async def offered(
    url: str,
    make: Callable[[], bytes],
    *,
    rate: float,
    seconds: float,
    stop: asyncio.Event | None = None,
) -> Result:
    """Open loop: ``rate`` requests a second for ``seconds`` (or until ``stop`` is set);
    waits for the last answers."""
    result = Result()
    timeout = ClientTimeout(total=REQUEST_TIMEOUT)
    count = int(rate * seconds)
    async with ClientSession(connector=TCPConnector(limit=0), timeout=timeout) as http:
        tasks = []
        start = time.perf_counter()
        for i in range(count):
            if stop is not None and stop.is_set():
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_post(http, url, make(), due, result)))
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - start
    return result
