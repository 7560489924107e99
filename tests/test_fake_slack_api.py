"""The Slack fake speaks the wire protocol: the real slack_sdk clients work against it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlackApi

FIXTURES = Path(__file__).parent / "fixtures" / "slack"


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        fake.add_team(team_id="T0001", bot_token="xoxb-1", bot_user_id="U0BOT", bot_id="B0001")
        fake.add_user("T0001", "U0001", "ada", locale="fr-FR", tz="Europe/Paris")
        yield fake


def client(slack: FakeSlackApi, token: str | None = "xoxb-1") -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url)


async def test_post_message_is_answered_and_recorded(slack: FakeSlackApi) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hi*"}}]
    first = await client(slack).chat_postMessage(channel="C0001", text="Hi", blocks=blocks)
    second = await client(slack).chat_postMessage(channel="U0001", text="Psst")

    assert first["ok"] is True
    assert first["channel"] == "C0001"
    assert first["message"]["text"] == "Hi"
    assert first["message"]["blocks"] == blocks
    assert first["message"]["bot_id"] == "B0001"
    assert second["channel"] == "D0001"
    assert float(second["ts"]) > float(first["ts"])
    call = slack.calls_to("chat.postMessage")[0]
    assert call.token == "xoxb-1"
    assert call.args == {"channel": "C0001", "text": "Hi", "blocks": blocks}
    assert call.content_type == "application/json"

    updated = await client(slack).chat_update(channel="C0001", ts=first["ts"], text="Hello")
    assert updated["text"] == "Hello"
    assert slack.messages[("C0001", first["ts"])]["text"] == "Hello"


async def test_unknown_token_is_invalid_auth_and_revoked_token_is_revoked(
    slack: FakeSlackApi,
) -> None:
    with pytest.raises(SlackApiError) as unknown:
        await client(slack, "xoxb-nope").chat_postMessage(channel="C0001", text="Hi")
    assert unknown.value.response.status_code == 200
    assert unknown.value.response["error"] == "invalid_auth"

    slack.revoke("xoxb-1")
    with pytest.raises(SlackApiError) as revoked:
        await client(slack).auth_test()
    assert revoked.value.response["error"] == "token_revoked"


async def test_scripted_rate_limit_answers_429_with_retry_after(slack: FakeSlackApi) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=1)

    with pytest.raises(SlackApiError) as error:
        await client(slack).chat_postMessage(channel="C0001", text="Hi")

    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "1"
    assert error.value.response["error"] == "ratelimited"
    assert (await client(slack).chat_postMessage(channel="C0001", text="Hi"))["ok"] is True
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]


async def test_scripted_failure_and_enforced_rate(slack: FakeSlackApi) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as error:
        await client(slack).chat_postMessage(channel="C0404", text="Hi")
    assert error.value.response["error"] == "channel_not_found"

    slack.enforce_rate("auth.test", per_second=2)
    await client(slack).auth_test()
    await client(slack).auth_test()
    with pytest.raises(SlackApiError) as limited:
        await client(slack).auth_test()
    assert limited.value.response.status_code == 429
    assert slack.rate_violations == 1


async def test_users_info_returns_locale_only_when_asked(slack: FakeSlackApi) -> None:
    with_locale = await client(slack).users_info(user="U0001", include_locale=True)
    without = await client(slack).users_info(user="U0001")

    assert with_locale["user"]["locale"] == "fr-FR"
    assert with_locale["user"]["tz"] == "Europe/Paris"
    assert with_locale["user"]["tz_offset"] in (3600, 7200)
    assert "locale" not in without["user"]
    assert slack.calls_to("users.info")[0].http_method == "GET"
    with pytest.raises(SlackApiError) as missing:
        await client(slack).users_info(user="U0404")
    assert missing.value.response["error"] == "user_not_found"


async def test_auth_test_and_oauth_v2_access(slack: FakeSlackApi) -> None:
    auth = await client(slack).auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0001", "U0BOT", "B0001")

    slack.set_oauth_client("cid", "secret")
    slack.add_oauth_code("code-1", "T0002", "xoxb-2", "U0BOT2", ["chat:write", "commands"])
    oauth = await client(slack, None).oauth_v2_access(
        client_id="cid", client_secret="secret", code="code-1"
    )
    assert oauth["access_token"] == "xoxb-2"
    assert oauth["team"] == {"id": "T0002", "name": "Acme"}
    assert oauth["scope"] == "chat:write,commands"
    assert slack.calls_to("oauth.v2.access")[0].args["client_id"] == "cid"
    assert (await client(slack, "xoxb-2").auth_test())["team_id"] == "T0002"
    with pytest.raises(SlackApiError) as reused:
        await client(slack, None).oauth_v2_access(
            client_id="cid", client_secret="secret", code="code-1"
        )
    assert reused.value.response["error"] == "invalid_code"


async def test_views_and_unknown_method(slack: FakeSlackApi) -> None:
    modal = {"type": "modal", "callback_id": "answer_modal", "title": {"type": "plain_text",
             "text": "Answer"}, "blocks": []}  # fmt: skip
    opened = await client(slack).views_open(trigger_id="1.2.abc", view=modal)
    home = await client(slack).views_publish(user_id="U0001", view={"type": "home", "blocks": []})

    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "answer_modal"
    assert home["view"]["type"] == "home"
    assert slack.home_views["U0001"]["id"] == home["view"]["id"]
    with pytest.raises(SlackApiError) as unknown:
        await client(slack).api_call("nope.nope")
    assert unknown.value.response["error"] == "unknown_method"


async def test_wait_for_call_times_out_with_the_calls_seen(slack: FakeSlackApi) -> None:
    await client(slack).auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test"):
        await slack.wait_for_call("chat.postMessage", timeout=0.1)


async def test_socket_mode_client_receives_envelopes_and_acks(slack: FakeSlackApi) -> None:
    received: list[SocketModeRequest] = []

    async def listener(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id))

    socket = SocketModeClient(
        app_token="xapp-1", web_client=AsyncWebClient(base_url=slack.api_url), ping_interval=1
    )
    socket.socket_mode_request_listeners.append(listener)
    try:
        await socket.connect()  # type: ignore[no-untyped-call]
        await slack.wait_for_socket()
        payload: dict[str, Any] = json.loads((FIXTURES / "event_app_mention.json").read_text())
        envelope_id = await slack.socket_send(
            {"envelope_id": "env-1", "type": "events_api", "payload": payload}
        )
        ack = await slack.wait_for_ack(envelope_id)

        assert ack == {"envelope_id": "env-1"}
        assert received[0].type == "events_api"
        assert received[0].payload["event"]["type"] == "app_mention"
        assert slack.calls_to("apps.connections.open")[0].token == "xapp-1"
        assert await socket.is_connected()
        await asyncio.sleep(1.5)  # a ping/pong round: the client stays connected
        assert await socket.is_connected()
    finally:
        await socket.close()  # type: ignore[no-untyped-call]


async def test_bolt_app_over_socket_mode(slack: FakeSlackApi) -> None:
    app = AsyncApp(client=AsyncWebClient(token="xoxb-1", base_url=slack.api_url))

    @app.event("app_mention")
    async def mention(event: dict[str, Any], say: AsyncSay) -> None:
        await say(f"Hi <@{event['user']}>")

    handler = AsyncSocketModeHandler(app, app_token="xapp-1")
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        assert [call.method for call in slack.calls] == ["apps.connections.open"]
        payload = json.loads((FIXTURES / "event_app_mention.json").read_text())
        envelope_id = await slack.socket_send({"type": "events_api", "payload": payload})

        assert await slack.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        [post] = await slack.wait_for_call("chat.postMessage")
        assert post.args == {"channel": "C0001", "text": "Hi <@U0001>", "team_id": "T0001"}
        assert [call.method for call in slack.calls] == [
            "apps.connections.open",
            "auth.test",
            "chat.postMessage",
        ]
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def test_apps_connections_open_needs_an_app_token(slack: FakeSlackApi) -> None:
    with pytest.raises(SlackApiError) as error:
        await client(slack).apps_connections_open(app_token="xoxb-1")
    assert error.value.response["error"] == "not_allowed_token_type"


def test_fixtures_are_valid_json() -> None:
    names = sorted(path.name for path in FIXTURES.glob("*.json"))
    assert len(names) >= 17
    for path in FIXTURES.glob("*.json"):
        body = json.loads(path.read_text())
        if path.name.startswith("event_"):
            assert body["type"] == "event_callback"
            assert body["event"]["type"] in path.name or body["event"]["type"] == "message"


async def test_conversations_info_tells_membership_and_creator_or_refuses(
    slack: FakeSlackApi,
) -> None:
    slack.add_channel("T0001", "C0010", "guild", "U0001", members=["U0001", "U0BOT"])
    slack.add_channel("T0001", "C0011", "outside", "U0001")
    slack.add_channel("T0001", "G0012", "secret", "U0001", is_private=True)
    guild = await client(slack).conversations_info(channel="C0010")
    assert guild["channel"]["is_member"] is True and guild["channel"]["creator"] == "U0001"
    assert "members" not in guild["channel"]
    outside = await client(slack).conversations_info(channel="C0011")
    assert outside["channel"]["is_member"] is False
    for hidden in ("G0012", "C9999"):  # a private channel without the bot looks like none
        with pytest.raises(SlackApiError) as refused:
            await client(slack).conversations_info(channel=hidden)
        assert refused.value.response["error"] == "channel_not_found"
    assert slack.calls_to("conversations.info")[0].http_method == "GET"
