"""A live bot wired to the fake Slack Web API, and signed requests to it."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from slack_sdk.signature import SignatureVerifier

from bot.app import Animateur, build, web_app
from bot.runtime.clock import utc_now
from bot.settings import Settings, SlackSettings
from bot.vocabulary.events import WorkspaceRef
from storage.tables import Community
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
    ) -> Reply:
        timestamp = str(int(time.time()) - age)
        headers = {"Content-Type": content_type}
        if signed:
            signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
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
    now = utc_now()
    async with bot.store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("slack", team), now, "Acme")
        assert workspace.id is not None
        community = await tx.directory.add_community(
            Community(
                workspace_id=workspace.id,
                channel_id=CHANNEL,
                name="Data",
                objective="share what works",
                charter="be kind",
                facilitators=["U0009"],
                created_at=now,
            )
        )
        assert community.id is not None
        for name in playbooks:
            await tx.directory.set_playbook(community.id, name, True, now)


@asynccontextmanager
async def running_bot(
    database_url: str, slack: FakeSlackApi, slack_settings: SlackSettings
) -> AsyncIterator[SlackBot]:
    settings = Settings(
        database_url=database_url,
        playground=False,
        tick_seconds=0.2,
        slack_api_url=slack.api_url,
        _env_file=None,
    )
    bot = build(settings, slack=slack_settings)
    app = web_app(bot)
    routes = [r.resource for r in app.router.routes() if r.resource is not None]
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as http:
            yield SlackBot(
                f"http://127.0.0.1:{port}", bot, slack, http, [_Path(r.canonical) for r in routes]
            )
    finally:
        await runner.cleanup()


@dataclass(frozen=True)
class _Path:
    path: str
