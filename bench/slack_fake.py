"""A minimal Slack Web API for the fan-out benchmark, in a process of its own.

It answers ``auth.test`` and ``chat.postMessage`` as Slack does (HTTP 200 ``{"ok": true, …}``),
and with ``--rate R`` allows at most R ``chat.postMessage`` calls in any one second: beyond, it
answers HTTP 429 ``ratelimited`` with ``Retry-After`` (whole seconds, as Slack sends it) and
posts nothing. ``GET /stats`` says what it took: posts per channel (a channel posted to twice is
a duplicate), refusals, and when the first and the last post arrived.

With ``--people N`` every channel has N members, ``U0000000`` to ``U{N-1:07d}`` (people in
Europe/Paris, French), and ``conversations.members`` and ``users.list`` list them page by page
(``limit``, ``cursor``), as the bot reads a channel's roster. With ``--channels C`` as well,
the people are spread over C channels as ``bench.memory`` seeds them: channel ``C{c:07d}`` has
the people whose number is ``c`` modulo C.

Usage: ``python -m bench.slack_fake --port P [--rate R] [--people N [--channels C]]``
(tests/fakes has the full fake; this one stays light so that measuring the bot does not measure
the fake).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter, deque
from typing import Any

from aiohttp import web


def person(user_id: str) -> dict[str, Any]:
    """A Slack user object, as ``users.list`` shows a person."""
    name = f"Member {user_id}"
    return {
        "id": user_id,
        "name": name,
        "deleted": False,
        "is_bot": False,
        "tz": "Europe/Paris",
        "locale": "fr-FR",
        "profile": {"display_name": name, "real_name": name},
    }


class Fake:
    def __init__(self, rate: float | None, people: int = 0, channels: int = 0) -> None:
        self.rate = rate
        self.people = [f"U{i:07d}" for i in range(people)]
        self.channels = channels
        self.posts: Counter[str] = Counter()
        self.refused = 0
        self.first: float | None = None
        self.last: float | None = None
        self._recent: deque[float] = deque()
        self._ts = 0

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": "T0001", "user_id": "U0BOT", "bot_id": "B0001"}
            )
        if method in ("conversations.members", "users.list"):
            return await self.page(method, request)
        if method != "chat.postMessage":
            return web.json_response({"ok": False, "error": "unknown_method"})
        args: dict[str, Any] = await request.json() if request.can_read_body else {}
        now = time.monotonic()
        if self.rate is not None:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate:
                self.refused += 1
                wait = max(1, math.ceil(1.0 - (now - self._recent[0])))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            self._recent.append(now)
        channel = str(args.get("channel", ""))
        if not channel:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        self.posts[channel] += 1
        self.first = self.first if self.first is not None else now
        self.last = now
        self._ts += 1
        ts = f"1700000000.{self._ts:06d}"
        return web.json_response({"ok": True, "channel": channel, "ts": ts})

    async def page(self, method: str, request: web.Request) -> web.Response:
        """One page of the channel's members (ids) or of the workspace's users (objects)."""
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        listed = self.people
        if method == "conversations.members" and self.channels:
            channel = str(args.get("channel", ""))
            number = int(channel[1:]) if channel[1:].isdigit() else -1
            listed = self.people[number :: self.channels] if number >= 0 else []
        start = int(args.get("cursor") or 0)
        end = start + int(args.get("limit") or 100)
        ids = listed[start:end]
        following = str(end) if end < len(listed) else ""
        items: list[Any] = ids if method == "conversations.members" else [person(i) for i in ids]
        return web.json_response(
            {"ok": True, "members": items, "response_metadata": {"next_cursor": following}}
        )

    async def stats(self, _request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps(
                {
                    "posted": sum(self.posts.values()),
                    "channels": len(self.posts),
                    "duplicates": sum(n - 1 for n in self.posts.values() if n > 1),
                    "refused": self.refused,
                    "span": (self.last - self.first) if self.first and self.last else 0.0,
                }
            ),
            content_type="application/json",
        )

    async def reset(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.rate = body.get("rate")
        self.posts.clear()
        self.refused = 0
        self.first = self.last = None
        self._recent.clear()
        return web.json_response({"ok": True})


def app(rate: float | None, people: int = 0, channels: int = 0) -> web.Application:
    fake = Fake(rate, people, channels)
    application = web.Application()
    application.router.add_post("/api/{method}", fake.api)
    application.router.add_get("/api/{method}", fake.api)
    application.router.add_get("/stats", fake.stats)
    application.router.add_post("/reset", fake.reset)
    application.router.add_get("/healthz", fake.stats)
    return application


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.slack_fake")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, help="chat.postMessage calls allowed per second")
    parser.add_argument("--people", type=int, default=0, help="members of every channel")
    parser.add_argument("--channels", type=int, default=0, help="spread the people over C channels")
    args = parser.parse_args()
    web.run_app(
        app(args.rate, args.people, args.channels),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
    )
