"""A live bot wired to the fake Slack Web API, and signed requests to it."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from bot.app import Animateur, build
from bot.runtime.clock import Clock, utc_now
from bot.settings import Settings, SlackSettings
from bot.vocabulary.events import WorkspaceRef
from playbooks.schema import Playbook
from tests.builders import KEEP_RECORDED_ACTIVITY, seed_community
from tests.conftest import serving
from tests.fakes.slack_api import FakeSlackApi

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FIXTURES = Path(__file__).parent / "fixtures" / "slack"
TEAM, CHANNEL, TOKEN, BOT_USER = "T0001", "C0001", "xoxb-1", "U0BOT"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SlackBot:
    url: str
    bot: Animateur
    slack: FakeSlackApi
    http: ClientSession
    routes: list[Any]

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        signed: bool = True,
        age: int = 0,
        secret: str = SECRET,
        retry: int | None = None,
        path: str = "/slack/events",
        timestamp: str | None = None,
    ) -> Reply:
        timestamp = timestamp if timestamp is not None else str(int(time.time()) - age)
        headers = {"Content-Type": content_type}
        if signed:  # Slack's v0 signature, over the bytes as sent (UTF-8 or not)
            base = b"v0:" + timestamp.encode() + b":" + body
            signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
            headers |= {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        async with self.http.post(self.url + path, data=body, headers=headers) as response:
            return Reply(response.status, await response.text())

    async def event(self, envelope: dict[str, Any], **kw: Any) -> Reply:
        return await self.post(json.dumps(envelope).encode(), "application/json", **kw)

    async def form(self, fields: dict[str, str], **kw: Any) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> Reply:
        return await self.form({"payload": json.dumps(payload)}, **kw)


async def seed_slack_community(
    bot: Animateur, team: str = TEAM, playbooks: tuple[str, ...] = ("welcome",)
) -> None:
    await seed_community(bot, WorkspaceRef("slack", team), CHANNEL, playbooks)


@asynccontextmanager
async def running_bot(
    database_url: str,
    slack: FakeSlackApi,
    slack_settings: SlackSettings,
    *,
    clock: Clock = utc_now,
    playbooks: dict[str, Playbook] | None = None,
    **more: Any,
) -> AsyncIterator[SlackBot]:
    settings = Settings(
        database_url=database_url,
        playground=False,
        tick_seconds=0.2,
        slack_api_url=slack.api_url,
        pulse_notices=False,  # they follow the real clock: tested virtually
        _env_file=None,
        **({"activity_retention_days": KEEP_RECORDED_ACTIVITY} | more),
    )
    bot = build(settings, slack=slack_settings, clock=clock, playbooks=playbooks)
    async with serving(bot) as (url, app), ClientSession() as http:
        paths = [_Path(r.canonical) for r in app.router.resources()]
        yield SlackBot(url, bot, slack, http, paths)


@dataclass(frozen=True)
class _Path:
    path: str


class LogTrap(logging.Handler):
    """Every record logged in the process while it is installed (see ``trapped_logs``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def failures(self) -> list[str]:
        """Records at ERROR or above, or carrying a traceback."""
        return [
            f"{r.levelname} {r.name}: {r.getMessage()}"
            for r in self.records
            if r.levelno >= logging.ERROR or r.exc_info
        ]


@contextmanager
def trapped_logs() -> Iterator[LogTrap]:
    trap = LogTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    try:
        yield trap
    finally:
        root.removeHandler(trap)


@asynccontextmanager
async def seeded_slack_bot(database_url: str) -> AsyncIterator[SlackBot]:
    """One workspace over HTTP, two members (Grace in Paris, Ada in New York), the community
    seeded: what most Slack tests start from."""
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0002", "grace", locale="fr-FR", tz="Europe/Paris")
        slack.add_user(TEAM, "U0001", "ada", locale="en-US", tz="America/New_York")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings) as running:
            await seed_slack_community(running.bot)
            yield running


def joined_envelope(user: str, event_id: str) -> dict[str, Any]:
    """``member_joined_channel`` for ``user``, with its own event id."""
    envelope = fixture("event_member_joined_channel")
    envelope["event"]["user"] = user
    envelope["event_id"] = event_id
    return envelope
