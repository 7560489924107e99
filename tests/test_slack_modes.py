"""Slack Socket Mode, multi-workspace OAuth install, and the app manifest."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

from adapters.slack.manifest import BOT_EVENTS, BOT_SCOPES, COMMAND, build_manifest
from bot.cli import main
from bot.settings import SlackSettings
from storage.tables import Workspace
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import (
    BOT_USER,
    SECRET,
    TEAM,
    TOKEN,
    fixture,
    running_bot,
    seed_slack_community,
    trapped_logs,
)


def joined(event_id: str = "Ev-socket-1") -> dict[str, Any]:
    envelope = fixture("event_member_joined_channel")
    envelope["event"]["user"] = "U0002"
    envelope["event_id"] = event_id
    return envelope


async def test_socket_mode_envelopes_are_acked_and_processed_once(database_url: str) -> None:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0002", "grace", locale="en-GB")
        settings = SlackSettings(bot_token=TOKEN, app_token="xapp-1", _env_file=None)
        async with running_bot(database_url, slack, settings) as running:
            await seed_slack_community(running.bot)
            first = await slack.socket_send({"type": "events_api", "payload": joined()})
            assert (await slack.wait_for_ack(first))["envelope_id"] == first
            again = await slack.socket_send(
                {
                    "type": "events_api",
                    "payload": joined(),
                    "retry_attempt": 1,
                    "retry_reason": "timeout",
                }
            )
            await slack.wait_for_ack(again)
            calls = await slack.wait_for_call("chat.postMessage", count=2, timeout=10)
            assert calls[0].args["text"].startswith("Welcome to *Data*, grace!")
            await running.bot.worker.drain()
            assert len(slack.calls_to("chat.postMessage")) == 2, "the retry did nothing more"
            assert not any(r.path == "/slack/events" for r in running.routes)


async def test_a_malformed_socket_mode_envelope_is_acknowledged_and_not_processed(
    database_url: str,
) -> None:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0002", "grace", locale="en-GB")
        settings = SlackSettings(bot_token=TOKEN, app_token="xapp-1", _env_file=None)
        with trapped_logs() as logs:
            async with running_bot(database_url, slack, settings) as running:
                await seed_slack_community(running.bot)
                broken = joined("Ev-broken") | {"event": "member_joined_channel"}
                envelope = await slack.socket_send({"type": "events_api", "payload": broken})
                await slack.wait_for_ack(envelope)  # else Slack would send it again and again
                nul = joined("Ev-nul")
                nul["event"]["user"] = "U00\x0002"
                envelope = await slack.socket_send({"type": "events_api", "payload": nul})
                await slack.wait_for_ack(envelope)
                [welcome, *_] = await slack.wait_for_call("chat.postMessage", timeout=10)
                assert welcome.args["channel"] == "U0002", "NUL removed, the join processed"
                assert logs.failures() == []


async def test_an_oauth_install_stores_the_installation_and_its_token_is_used(
    database_url: str,
) -> None:
    async with FakeSlackApi() as slack:
        slack.add_oauth_code("code-1", "T0002", "xoxb-two", "U0BOT2", team_name="Beta")
        slack.add_user("T0002", "U0002", "grace", locale="fr-FR")
        settings = SlackSettings(
            client_id="111.222", client_secret="shh", signing_secret=SECRET, _env_file=None
        )
        async with running_bot(database_url, slack, settings) as running:
            async with running.http.get(running.url + "/slack/install") as page:
                assert page.status == 200
                html = await page.text()
                # the state cookie is Secure: a browser on https sends it back; do it by hand
                cookie = page.headers["Set-Cookie"].split(";")[0]
            state = re.search(r"state=([\w-]+)", html)
            assert state is not None, "the install page links to Slack's authorize URL"
            redirect = f"{running.url}/slack/oauth_redirect?code=code-1&state={state.group(1)}"
            async with running.http.get(redirect, headers={"Cookie": cookie}) as done:
                assert done.status == 200, await done.text()
            [exchange] = slack.calls_to("oauth.v2.access")
            assert exchange.args["code"] == "code-1"
            assert await running.bot.slack.bot_token("T0002") == "xoxb-two"  # type: ignore[union-attr]
            async with running.bot.store.transaction() as tx:
                rows = (await tx.session.execute(select(Workspace))).scalars().all()
            assert [(w.platform, w.external_id, w.name, w.status) for w in rows] == [
                ("slack", "T0002", "Beta", "active")
            ]

            await seed_slack_community(running.bot, team="T0002")
            envelope = joined("Ev-oauth-1") | {"team_id": "T0002"}
            envelope["event"]["team"] = "T0002"
            for authorization in envelope.get("authorizations", []):
                authorization |= {"team_id": "T0002", "user_id": "U0BOT2"}
            assert (await running.event(envelope)).status == 200
            [welcome, *_] = await slack.wait_for_call("chat.postMessage", timeout=10)
            assert welcome.token == "xoxb-two"
            assert welcome.args["text"].startswith("Bienvenue dans *Data*, grace !")


async def test_an_install_with_a_forged_state_is_refused(database_url: str) -> None:
    async with FakeSlackApi() as slack:
        slack.add_oauth_code("code-1", "T0002", "xoxb-two", "U0BOT2")
        settings = SlackSettings(
            client_id="111.222", client_secret="shh", signing_secret=SECRET, _env_file=None
        )
        async with running_bot(database_url, slack, settings) as running:
            url = f"{running.url}/slack/oauth_redirect?code=code-1&state=forged"
            async with running.http.get(url) as response:
                assert response.status >= 400
            assert slack.calls_to("oauth.v2.access") == []
            assert await running.bot.slack.bot_token("T0002") is None  # type: ignore[union-attr]


def test_the_manifest_declares_exactly_what_the_adapter_handles() -> None:
    manifest = build_manifest("https://bot.example.com", socket_mode=False)
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND == "/animateur"
    assert command["url"] == "https://bot.example.com/slack/events"
    assert command["should_escape"] is True, "mentions arrive as <@U…|name>, resolvable"
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == "https://bot.example.com/slack/events"
    assert set(settings["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": "https://bot.example.com/slack/events",
    }
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["scopes"]["bot"] == sorted(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://bot.example.com/slack/oauth_redirect"
    ]
    # every subscribed event needs its scope
    needs = {
        "message.channels": "channels:history",
        "message.groups": "groups:history",
        "message.im": "im:history",
        "reaction_added": "reactions:read",
        "reaction_removed": "reactions:read",
        "member_joined_channel": "channels:read",
        "member_left_channel": "channels:read",
        "team_join": "users:read",
    }
    for event, scope in needs.items():
        assert event in BOT_EVENTS and scope in BOT_SCOPES
    # and every method the roster calls: a channel's members (public and private), who is a bot
    for scope in ("channels:read", "groups:read", "users:read"):
        assert scope in BOT_SCOPES


def test_socket_mode_manifest_needs_no_public_url() -> None:
    manifest = build_manifest(None, socket_mode=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "url" not in manifest["features"]["slash_commands"][0]


def test_cli_prints_the_manifest_and_refuses_a_plain_http_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["slack", "manifest", "--url", "https://bot.example.com"]) == 0
    assert json.loads(capsys.readouterr().out)["display_information"]["name"] == "Animateur"
    assert main(["slack", "manifest", "--url", "http://bot.example.com"]) == 2
    assert "https://" in capsys.readouterr().err


async def test_an_enterprise_grid_workspace_finds_its_token(database_url: str) -> None:
    async with FakeSlackApi() as slack:
        settings = SlackSettings(
            client_id="111.222", client_secret="shh", signing_secret=SECRET, _env_file=None
        )
        async with running_bot(database_url, slack, settings) as running:
            platform = running.bot.slack
            assert platform is not None and platform.installations is not None
            await platform.installations.async_save(
                Installation(
                    app_id="A0001",
                    enterprise_id="E0001",
                    team_id="T0003",
                    bot_token="xoxb-grid",
                    bot_id="B0003",
                    bot_user_id="U0BOT3",
                    user_id="U0001",
                )
            )
            assert await platform.bot_token("T0003") == "xoxb-grid"
            assert await platform.bot_token("T9999") is None
