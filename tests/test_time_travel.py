"""The playground's time travel, through the real HTTP server: POST /local/clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientSession, CookieJar

from bot.app import BOT, build
from bot.runtime.clock import ManualClock
from bot.settings import Settings
from tests.conftest import LiveServer, serving, wait_for

#: A Wednesday; the next Monday (8 June 2026) is a working day in France.
START = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@asynccontextmanager
async def playground(database_url: str, **more: Any) -> AsyncIterator[LiveServer]:
    settings = Settings(
        database_url=database_url,
        playground=True,
        demo=True,
        tick_seconds=0.2,
        pulse_notices=False,
        _env_file=None,
        **more,
    )
    bot = build(settings, clock=ManualClock(START))
    async with serving(bot) as (url, app), ClientSession() as http:
        yield LiveServer(url, app[BOT], http)


async def clock(server: LiveServer) -> dict[str, Any]:
    async with server.http.get(f"{server.url}/local/clock") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def travel(server: LiveServer, body: Any) -> tuple[int, dict[str, Any]]:
    async with server.http.post(f"{server.url}/local/clock", json=body) as response:
        return response.status, await response.json()


async def test_the_clock_moves_forward_and_the_scheduler_catches_up(database_url: str) -> None:
    async with playground(database_url) as server:
        assert await clock(server) == {"now": START.isoformat(), "travel": True}
        status, _ = await server.post_event(type="member_joined", user="U-alice", channel="C-data")
        assert status == 202

        status, body = await travel(server, {"by": "1h"})
        assert (status, body["now"]) == (200, (START + timedelta(hours=1)).isoformat())
        sunday = datetime(2026, 6, 7, 20, 0, tzinfo=PARIS)
        status, body = await travel(server, {"to": "sunday 20:00", "timezone": "Europe/Paris"})
        assert (status, datetime.fromisoformat(body["now"])) == (200, sunday)
        assert server.bot.clock() == sunday  # the whole bot lives at the playground's time

        def checkins(dms: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [m for m in dms if "Quel est votre objectif cette semaine" in m["text"]]

        assert checkins(await server.messages(user="U-alice")) == []
        # One day later, over Monday 09:30: Alice's weekly check-in started, late but not
        # recorded as missed (the jump went in steps, a scheduler pass after each).
        status, body = await travel(server, {"by": "1d"})
        assert (status, datetime.fromisoformat(body["now"])) == (200, sunday + timedelta(days=1))

        async def asked() -> list[dict[str, Any]]:
            return checkins(await server.messages(user="U-alice"))

        async def reminded() -> list[dict[str, Any]]:
            found = await asked()
            return found if len(found) == 2 else []

        question, reminder = await wait_for(reminded)
        monday = datetime(2026, 6, 8, 9, 30, tzinfo=PARIS)
        asked_at = datetime.fromisoformat(question["created_at"])  # when the outbox sent it
        assert monday <= asked_at <= sunday + timedelta(days=1)
        # …and, unanswered, its reminder four hours on — the day went by, pass after pass.
        assert reminder["text"].startswith("⏰")
        assert datetime.fromisoformat(reminder["created_at"]) > asked_at


async def test_next_monday_0930_is_in_the_timezone_given(database_url: str) -> None:
    async with playground(database_url) as server:
        status, body = await travel(
            server, {"to": "next Monday 09:30", "timezone": "America/New_York"}
        )
        expected = datetime(2026, 6, 8, 9, 30, tzinfo=ZoneInfo("America/New_York"))
        assert (status, datetime.fromisoformat(body["now"])) == (200, expected)
        # Already a Monday past 09:30 there: the next one is a week later.
        status, body = await travel(server, {"to": "monday 09:30", "timezone": "America/New_York"})
        later = datetime.fromisoformat(body["now"])
        assert (status, later) == (200, expected + timedelta(days=7))


async def test_bad_jumps_are_refused_with_what_to_send(database_url: str) -> None:
    async with playground(database_url) as server:
        cases = [
            ({}, 'give exactly one of "by"'),
            ({"by": "1d", "to": "monday 09:30"}, 'give exactly one of "by"'),
            ({"by": "tomorrow"}, '"by" must be a number and a unit'),
            ({"by": 3}, '"by" must be a number and a unit'),
            ({"by": "0h"}, "a jump is more than 0 and at most 31 days"),
            ({"by": "40d"}, "a jump is more than 0 and at most 31 days"),
            ({"to": "someday 09:30"}, '"to" must be a weekday and a time'),
            ({"to": "monday 25:00"}, '"to" names no time of day'),
            ({"to": "monday 09:30", "timezone": "Mars/Olympus"}, '"timezone" must be an IANA'),
            ([1, 2], 'give exactly one of "by"'),
        ]
        for body, error in cases:
            status, answer = await travel(server, body)
            assert (status, answer["error"][: len(error)]) == (400, error), body
        url = f"{server.url}/local/clock"
        json_only = {"Content-Type": "application/json"}
        async with server.http.post(url, data=b"{not json", headers=json_only) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "the body must be a JSON object"
        # a form a web page makes the browser post (text/plain) moves nothing
        form = {"Content-Type": "text/plain"}
        async with server.http.post(url, data=b'{"by": "1d"}', headers=form) as response:
            assert response.status == 415
            assert "application/json" in (await response.json())["error"]
        assert (await clock(server))["now"] == START.isoformat()  # nothing moved
        status, _ = await travel(server, {"by": "30m"})  # and a good one still does
        assert (await clock(server))["now"] == (START + timedelta(minutes=30)).isoformat()


async def test_with_a_real_platform_configured_the_bot_keeps_real_time(
    database_url: str,
) -> None:
    async with playground(database_url, teams_anonymous=True) as server:
        assert server.bot.travel is None
        assert await clock(server) == {"now": START.isoformat(), "travel": False}
        status, body = await travel(server, {"by": "1d"})
        assert status == 409
        assert body["error"].startswith("time travel is only for the local platform running alone")
        assert server.bot.clock() == START
    async with playground(database_url) as server:  # the same, playground alone: it travels
        status, _ = await travel(server, {"by": "1d"})
        assert (status, server.bot.clock()) == (200, START + timedelta(days=1))


async def test_the_cockpit_link_and_session_survive_a_jump_forward(database_url: str) -> None:
    """Links and sessions keep to the wall clock: a day travelled in the playground neither
    expires the link the facilitator was just given nor the session it opened."""
    jar = CookieJar(unsafe=True)  # keep cookies for 127.0.0.1
    settings = Settings(
        database_url=database_url,
        playground=True,
        demo=True,
        tick_seconds=0.2,
        pulse_notices=False,
        secret_key="travel-key",
        _env_file=None,
    )
    async with serving(build(settings)) as (url, app), ClientSession(cookie_jar=jar) as http:
        server = LiveServer(url, app[BOT], http)
        path = await server.dashboard_link("U-dan", "C-data")
        assert (await travel(server, {"by": "1d"}))[0] == 200
        async with http.get(f"{url}{path}") as page:  # given a (travelled) day ago
            assert (page.status, page.url.path) == (200, "/dashboard/c/C-data")
        assert (await travel(server, {"by": "1d"}))[0] == 200
        async with http.get(f"{url}/dashboard") as index:  # the session, a day later
            assert index.status == 200
            assert 'href="/dashboard/c/C-data"' in await index.text()
