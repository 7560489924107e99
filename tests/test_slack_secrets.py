"""Slack OAuth tokens are encrypted at rest with ANIMATEUR_SECRET_KEY, and keys rotate."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import text

from adapters.slack.secrets import new_key, reseal_all
from bot.app import ConfigurationError, build
from bot.cli import main
from bot.settings import Settings, SlackSettings
from storage.database import make_engine
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import SECRET, SlackBot, fixture, running_bot, seed_slack_community

TOKEN = "xoxb-2222-sealed-token-of-beta"
OAUTH = {"client_id": "111.222", "client_secret": "shh", "signing_secret": SECRET}


async def install(running: SlackBot, code: str = "code-1") -> None:
    """Slack's OAuth flow, as a browser goes through it."""
    async with running.http.get(running.url + "/slack/install") as page:
        state = re.search(r"state=([\w-]+)", await page.text())
        cookie = page.headers["Set-Cookie"].split(";")[0]
    assert state is not None
    redirect = f"{running.url}/slack/oauth_redirect?code={code}&state={state.group(1)}"
    async with running.http.get(redirect, headers={"Cookie": cookie}) as done:
        assert done.status == 200, await done.text()


async def stored_tokens(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    async with engine.connect() as connection:
        rows = [
            *(await connection.execute(text("SELECT bot_token FROM slack_bots"))).scalars(),
            *(
                await connection.execute(text("SELECT bot_token FROM slack_installations"))
            ).scalars(),
        ]
    await engine.dispose()
    return [str(row) for row in rows]


def joined_envelope(event_id: str, team: str, bot_user: str, user: str) -> dict[str, Any]:
    envelope = fixture("event_member_joined_channel")
    envelope["event"] |= {"user": user, "team": team}
    envelope |= {"event_id": event_id, "team_id": team}
    for authorization in envelope.get("authorizations", []):
        authorization |= {"team_id": team, "user_id": bot_user}
    return envelope


async def seed(running: SlackBot) -> None:
    await seed_slack_community(running.bot, team="T0002")


async def welcome_token(running: SlackBot, slack: FakeSlackApi, user: str) -> str:
    """``user`` joins in T0002 (through Bolt); the token their welcome was sent with."""
    slack.add_user("T0002", user, f"newcomer {user}", locale="en-GB")
    envelope = joined_envelope(f"Ev-{user}", team="T0002", bot_user="U0BOT2", user=user)
    assert (await running.event(envelope)).status == 200
    for _ in range(200):
        calls = [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == user]
        if calls:
            return str(calls[0].token)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no welcome sent to {user}: {slack.calls_to('chat.postMessage')}")


async def test_an_installed_token_is_stored_encrypted_and_used_to_send(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANIMATEUR_SECRET_KEY", new_key())
    async with FakeSlackApi() as slack:
        slack.add_oauth_code("code-1", "T0002", TOKEN, "U0BOT2", team_name="Beta")
        async with running_bot(database_url, slack, SlackSettings(**OAUTH, _env_file=None)) as b:
            await install(b)
            stored = await stored_tokens(database_url)
            assert len(stored) == 2 and all(s.startswith("fernet:") for s in stored)
            assert not any("xoxb" in s or "sealed-token" in s for s in stored)
            await seed(b)
            assert await welcome_token(b, slack, "U0002") == TOKEN


async def test_keys_rotate_new_first_then_old_dropped_after_resealing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = new_key(), new_key()
    settings = SlackSettings(**OAUTH, _env_file=None)
    async with FakeSlackApi() as slack:
        slack.add_oauth_code("code-1", "T0002", TOKEN, "U0BOT2", team_name="Beta")
        monkeypatch.setenv("ANIMATEUR_SECRET_KEY", old)
        async with running_bot(database_url, slack, settings) as running:
            await install(running)
            await seed(running)
        before = await stored_tokens(database_url)

        monkeypatch.setenv("ANIMATEUR_SECRET_KEY", f"{new},{old}")
        async with running_bot(database_url, slack, settings) as running:
            assert await welcome_token(running, slack, "U0002") == TOKEN
        monkeypatch.setenv("ANIMATEUR_DATABASE_URL", database_url)
        assert await asyncio.to_thread(main, ["slack", "reseal-tokens"]) == 0
        assert "2 stored Slack token row(s) encrypted with the first key" in capsys.readouterr().out
        after = await stored_tokens(database_url)
        assert after != before and all(s.startswith("fernet:") for s in after)

        monkeypatch.setenv("ANIMATEUR_SECRET_KEY", new)
        async with running_bot(database_url, slack, settings) as running:
            assert await running.bot.slack.bot_token("T0002") == TOKEN  # type: ignore[union-attr]
            assert await welcome_token(running, slack, "U0003") == TOKEN
        monkeypatch.setenv("ANIMATEUR_SECRET_KEY", old)
        async with running_bot(database_url, slack, settings) as running:
            assert await running.bot.slack.bot_token("T0002") is None  # type: ignore[union-attr]
        for name, value in OAUTH.items():
            monkeypatch.setenv(f"SLACK_{name.upper()}", value)
        assert await asyncio.to_thread(main, ["serve"]) == 2
        assert capsys.readouterr().err.splitlines()[-1] == (
            "cannot start: 2 stored Slack installation(s) were encrypted with a key that is not "
            'in ANIMATEUR_SECRET_KEY: put it after the new one ("new,old")'
        )
        monkeypatch.delenv("ANIMATEUR_SECRET_KEY")
        assert await asyncio.to_thread(main, ["serve"]) == 2
        assert "are encrypted and ANIMATEUR_SECRET_KEY is not set" in capsys.readouterr().err


async def test_tokens_stored_before_a_key_was_set_are_read_then_sealed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANIMATEUR_SECRET_KEY", raising=False)
    async with FakeSlackApi() as slack:
        slack.add_oauth_code("code-1", "T0002", TOKEN, "U0BOT2", team_name="Beta")
        async with running_bot(database_url, slack, SlackSettings(**OAUTH, _env_file=None)) as b:
            await install(b)
        assert await stored_tokens(database_url) == [TOKEN, TOKEN]
        key = new_key()
        monkeypatch.setenv("ANIMATEUR_SECRET_KEY", key)
        async with running_bot(database_url, slack, SlackSettings(**OAUTH, _env_file=None)) as b:
            assert await b.bot.slack.bot_token("T0002") == TOKEN  # type: ignore[union-attr]
            assert b.bot.slack is not None and b.bot.slack.installations is not None
            assert await reseal_all(b.bot.store.engine, b.bot.slack.installations.cipher) == 2
            assert not any(TOKEN in s for s in await stored_tokens(database_url))
            assert await b.bot.slack.bot_token("T0002") == TOKEN  # type: ignore[union-attr]


def test_production_with_oauth_refuses_to_start_without_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANIMATEUR_SECRET_KEY", raising=False)
    slack = SlackSettings(**OAUTH, _env_file=None)
    with pytest.raises(ConfigurationError, match="ANIMATEUR_SECRET_KEY is required in production"):
        build(Settings(env="production", _env_file=None), slack=slack)
    with pytest.raises(ConfigurationError, match="key 2 of 2 is not a Fernet key"):
        build(Settings(secret_key=f"{new_key()},oops", _env_file=None), slack=slack)
    bot = build(Settings(env="production", secret_key=new_key(), _env_file=None), slack=slack)
    assert bot.slack is not None and bot.slack.installations is not None


def test_a_key_is_printed_by_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secret-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key) == 44 and key != new_key()
