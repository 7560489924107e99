"""Malformed activities on POST /api/messages (the real aiohttp server and botbuilder stack,
the fake Bot Connector): always a 2xx or a 4xx with a reason, never a 5xx or a traceback.

Hand-made cases name what broke before; hypothesis mutates the activities Teams really sends
(tests/fixtures/teams), for each kind the bot reads, anonymous and authenticated."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import given
from sqlalchemy import select

from bot.settings import TeamsSettings
from storage.tables import Answer
from tests.conftest import wait_for
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.bot_identity import FakeBotIdentity
from tests.fuzz_support import FUZZ, answered_cleanly, capturing_errors, mutated, poster
from tests.teams_support import (
    APP_ID,
    TENANT,
    TeamsBot,
    activity,
    running_teams_bot,
    seed_team_community,
)

KINDS = {
    "message": [
        "message_personal",
        "message_channel_mention",
        "message_channel_mention_user",
        "message_card_submit",
    ],
    "conversationUpdate": [
        "conversation_update_member_added",
        "conversation_update_member_removed",
        "conversation_update_bot_added_to_team",
    ],
    "invoke": ["invoke_adaptive_card_action", "invoke_adaptive_card_form"],
    "messageReaction": ["message_reaction_added"],
    "installationUpdate": ["installation_update_add", "installation_update_remove"],
}
#: keys an activity may carry (botbuilder's Activity), for mutations that add one
ACTIVITY_KEYS = [
    "type", "id", "timestamp", "localTimestamp", "serviceUrl", "channelId", "from",
    "conversation", "recipient", "text", "textFormat", "attachments", "entities", "channelData",
    "action", "replyToId", "value", "name", "membersAdded", "membersRemoved", "reactionsAdded",
    "reactionsRemoved", "relatesTo", "suggestedActions", "expiration", "listenFor", "mentioned",
    "tenant", "team", "verb", "data", "callback", "locale", "timezone", "textHighlights",
]  # fmt: skip
#: Outbound sends to whatever conversation a mutation made up are the delivery's business
#: (a permanent failure there is logged as an error on purpose); everything else must be quiet.
OUTBOUND = ("bot.runtime.delivery",)


def _documents(connector: FakeBotConnector, names: list[str]) -> list[dict[str, Any]]:
    return [activity(name, connector) for name in names]


def _same_service(payload: Any, service_url: str) -> Any:
    """A mutated text serviceUrl put back: sends must reach the fake connector, not the net."""
    if isinstance(payload, dict) and isinstance(payload.get("serviceUrl"), str):
        payload["serviceUrl"] = service_url
    return payload


@pytest_asyncio.fixture
async def teams_bot(database_url: str) -> AsyncIterator[TeamsBot]:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        await seed_team_community(bot.bot)
        await bot.install_in_team()
        yield bot


async def _post_raw(bot: TeamsBot, payload: Any) -> tuple[int, str]:
    async with bot.http.post(
        bot.url + "/api/messages",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    ) as response:
        return response.status, await response.text()


def _broken(connector: FakeBotConnector) -> list[tuple[str, dict[str, Any]]]:
    """Hand-made activities that answered 500 before the edge read them."""
    personal = activity("message_personal", connector)
    added = activity("conversation_update_member_added", connector)
    invoke = activity("invoke_adaptive_card_action", connector)
    reaction = activity("message_reaction_added", connector)
    return [
        ("entities is not a list", personal | {"entities": "x"}),
        ("an entity is not an object", personal | {"entities": [1]}),
        ("attachments is an object", personal | {"attachments": {}}),
        ("from is text", personal | {"from": "29:1abc"}),
        ("from.name is a number", personal | {"from": {"id": "29:1abc", "name": 7}}),
        ("conversation.isGroup is text", personal | {"conversation": {"isGroup": "yes"}}),
        ("timestamp is no date", personal | {"timestamp": "yesterday"}),
        ("an added member is null", added | {"membersAdded": [None]}),
        ("an added member has no id", added | {"membersAdded": [{"name": "Noor"}]}),
        ("reactionsAdded holds text", reaction | {"reactionsAdded": ["like"]}),
        ("an invoke without action", invoke | {"value": {"trigger": "manual"}}),
        ("an invoke whose value is a list", invoke | {"value": [1, 2]}),
        ("card data that is text", invoke | {"value": {"action": {"verb": "x", "data": "y"}}}),
        ("channelData.tenant is text", personal | {"channelData": {"tenant": "tid-0001"}}),
    ]


async def test_hand_made_malformed_activities_are_refused_with_the_reason(
    teams_bot: TeamsBot,
) -> None:
    with capturing_errors(OUTBOUND) as errors:
        for what, payload in _broken(teams_bot.connector):
            status, body = await _post_raw(teams_bot, payload)
            assert status == 400, f"{what}: {status} {body[:300]}"
            answer = json.loads(body)
            assert answer["error"] == "malformed activity" and answer["problems"], what
        assert errors.take() == []
    # the same endpoint still serves a well-formed activity
    status, _ = await _post_raw(teams_bot, activity("message_personal", teams_bot.connector))
    assert status == 201
    [reply] = await teams_bot.connector.wait_for("send", timeout=10)
    assert reply.body is not None and reply.body["text"].startswith("Ce que vous pouvez faire")


async def test_the_problem_names_the_field(teams_bot: TeamsBot) -> None:
    added = activity("conversation_update_member_added", teams_bot.connector)
    status, body = await _post_raw(teams_bot, added | {"membersAdded": [{"name": "Noor"}]})
    assert status == 400
    assert [p["field"] for p in json.loads(body)["problems"]] == ["membersAdded.0.id"]


async def test_json_nested_too_deep_is_refused(teams_bot: TeamsBot) -> None:
    raw = '{"type": "message", "value": ' + "[" * 5000 + '"x"' + "]" * 5000 + "}"
    async with teams_bot.http.post(
        teams_bot.url + "/api/messages",
        data=raw.encode(),
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert "nested deeper" in (await response.json())["error"]


async def test_a_nul_in_a_message_and_a_name_is_dropped_and_the_rest_is_served(
    teams_bot: TeamsBot,
) -> None:
    """PostgreSQL refuses NUL in text: the edge drops it, the member is served all the same."""
    message = activity("message_personal", teams_bot.connector)
    message["text"] = "he\x00lp"
    message["from"]["name"] = "Ada\x00 Lovelace"
    assert (await _post_raw(teams_bot, message))[0] == 201
    [reply] = await teams_bot.connector.wait_for("send", timeout=10)
    assert reply.body is not None and reply.body["text"].startswith("Ce que vous pouvez faire")

    status, _ = await teams_bot.add_member("29:1new", "No\x00or")
    assert status == 201

    async def welcomed() -> list[dict[str, Any]]:
        return [m for m in teams_bot.messages_to("29:1new") if "text" in m]

    [welcome, *_] = await wait_for(welcomed, within=10)
    assert welcome["text"].startswith("Welcome to *Data*, Noor!")
    async with teams_bot.bot.store.transaction() as tx:
        member = await tx.directory.member(1, "29:1abc")
    assert member is not None and member.display_name == "Ada Lovelace"


async def _fuzz(bot: TeamsBot, kind: str, headers: Any = None) -> None:
    loop = asyncio.get_running_loop()
    post = poster(loop, bot.http, bot.url + "/api/messages", headers)
    documents = _documents(bot.connector, KINDS[kind])
    service = bot.connector.url

    @FUZZ
    @given(mutated(documents, ACTIVITY_KEYS))
    def never_a_server_error(payload: dict[str, Any]) -> None:
        status, body = post(_same_service(payload, service))
        answered_cleanly(status, body, errors.take())

    with capturing_errors(OUTBOUND) as errors:
        await asyncio.to_thread(never_a_server_error)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_mutated_activities_never_answer_a_server_error(
    teams_bot: TeamsBot, kind: str
) -> None:
    await _fuzz(teams_bot, kind)


async def test_mutated_activities_with_a_valid_token_never_answer_a_server_error(
    database_url: str,
) -> None:
    async with (
        FakeBotConnector() as connector,
        FakeBotIdentity() as identity,
        running_teams_bot(
            database_url,
            connector,
            teams=TeamsSettings(id=APP_ID, password="secret", tenant_id=TENANT, _env_file=None),
            teams_openid_metadata_url=identity.openid_url,
        ) as bot,
    ):
        await seed_team_community(bot.bot)
        token = identity.authorization(APP_ID, connector.url)
        malformed = activity("message_reaction_added", connector) | {"entities": "x"}
        assert (await bot.post(malformed))[0] == 401, "who sends it is checked first"
        status, body = await bot.post(malformed, token)
        assert status == 400 and body["problems"][0]["field"] == "entities"
        # kinds that send nothing back: outbound calls would need a token from Azure here
        for kind in ("messageReaction", "invoke"):
            await _fuzz(bot, kind, headers=lambda _payload: token)
        # the token was good: a well-formed activity still gets through
        valid = activity("message_reaction_added", connector)
        assert (await bot.post(valid, token))[0] == 201


async def test_an_answer_with_a_lone_surrogate_is_stored_with_a_replacement(
    teams_bot: TeamsBot,
) -> None:
    """``\\ud800`` is valid JSON that no database driver encodes: the answer is kept, readable."""
    await teams_bot.add_member("29:1new", "Noor")

    async def shown(count: int) -> list[dict[str, Any]] | None:
        found = teams_bot.messages_to("29:1new")
        return found if len(found) >= count else None

    question = (await wait_for(lambda: shown(2), within=10))[1]
    assert (await teams_bot.post(teams_bot.click(question, "I accept", "29:1new")))[0] == 200
    free_text = (await wait_for(lambda: shown(3), within=10))[2]
    answer = teams_bot.answer(free_text, "Meet \ud800 people", "29:1new")
    status, _ = await _post_raw(teams_bot, answer)
    assert status == 200
    async with teams_bot.bot.store.transaction() as tx:
        rows = (await tx.session.execute(select(Answer).order_by(Answer.id))).scalars().all()
    assert [a.value for a in rows] == ["accept", "Meet \ufffd people"]
