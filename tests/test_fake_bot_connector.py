"""The Teams fakes speak the wire protocol: the real botbuilder stack works against them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import Bot, MessageFactory, TurnContext, serializer_helper
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
    ConversationParameters,
    MessageReaction,
)
from botbuilder.schema.teams import TeamInfo, TeamsChannelAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import BotFrameworkAuthentication, MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import HttpOperationError
from msrest.serialization import Model

from tests.fakes.bot_connector import FakeBotConnector, roster, teams_member
from tests.fakes.bot_identity import FakeBotIdentity, configure_for

FIXTURES = Path(__file__).parent / "fixtures" / "teams"
APP_ID = "3f1c2b8e-7a5d-4c6e-9b0a-5d2e8f4a1c37"
BOT_ID = f"28:{APP_ID}"
TENANT = "tid-0001"
TEAM = "19:team-general@thread.tacv2"
CHANNEL = "19:rituals-7f3a2c@thread.tacv2"
PERSONAL = "a:1abc-personal-ada"

CARD = "application/vnd.microsoft.card.adaptive"
THANKS_CARD = {
    "type": "AdaptiveCard",
    "version": "1.4",
    "body": [{"type": "TextBlock", "text": "Merci !"}],
}

Logic = Callable[[TurnContext], Awaitable[None]]


def fixture(name: str, service_url: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    assert body["serviceUrl"] == "http://127.0.0.1:0/"
    body["serviceUrl"] = service_url
    return body


class FunctionBot(Bot):
    def __init__(self, logic: Logic) -> None:
        self.logic = logic

    async def on_turn(self, context: TurnContext) -> None:
        await self.logic(context)


def anonymous_adapter() -> CloudAdapter:
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(SimpleNamespace(APP_ID="")))


@asynccontextmanager
async def bot_endpoint(
    adapter: CloudAdapter, bot: Bot, *, raw: bool = False
) -> AsyncIterator[TestClient[Any, Any]]:
    """``POST /api/messages`` on loopback.

    By default the endpoint authenticates first and turns *any* authentication failure into
    401, then runs the turn with ``process_activity`` and writes the invoke response itself.
    ``raw=True`` uses ``CloudAdapter.process`` as is, which in botbuilder 4.17 maps only
    ``PermissionError`` to 401 and double-serializes invoke bodies (see the pins below)."""

    async def messages(request: web.Request) -> web.StreamResponse:
        if raw:
            response = await adapter.process(request, bot)
            assert response is not None
            return response
        activity = Activity().deserialize(await request.json())
        header = request.headers.get("Authorization", "")
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, header
            )
        except Exception:
            return web.json_response({"error": "unauthorized"}, status=401)
        invoke = await adapter.process_activity(authenticated, activity, bot.on_turn)
        if invoke is None:
            return web.Response(status=201)
        body = invoke.body
        if isinstance(body, Model):  # ActivityHandler already hands back plain dicts
            body = serializer_helper(body)
        return web.json_response(body, status=invoke.status)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest_asyncio.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake


# -- (a) inbound activity, reply on the fake ----------------------------------------------


async def test_reply_to_an_inbound_message_lands_on_the_fake(connector: FakeBotConnector) -> None:
    async def echo(context: TurnContext) -> None:
        await context.send_activity(MessageFactory.text(f"echo: {context.activity.text}"))

    async with bot_endpoint(anonymous_adapter(), FunctionBot(echo), raw=True) as client:
        response = await client.post(
            "/api/messages", json=fixture("message_personal", connector.url)
        )
        assert response.status == 201  # CloudAdapter answers 201 to non-invoke activities

    [call] = await connector.wait_for("send")
    assert call.route == "reply_to_activity"  # send_activity replies to the inbound activity
    assert call.method == "POST"
    assert call.conversation_id == PERSONAL
    assert call.activity_id == "1709544011543"
    assert call.authorization is None  # anonymous: no token on outbound calls
    assert call.response == {"id": "1700000000000"}
    [sent] = connector.sent_activities(PERSONAL)
    assert sent["text"] == "echo: help"
    assert sent["id"] == "1700000000000"
    assert sent["replyToId"] == "1709544011543"
    assert sent["from"] == {"id": BOT_ID, "name": "Animateur"}
    assert sent["recipient"]["id"] == "29:1abc"
    assert sent["conversation"]["id"] == PERSONAL
    assert connector.message(PERSONAL, "1700000000000") == sent


async def test_send_update_delete_round_trip(connector: FakeBotConnector) -> None:
    async def post_then_edit(context: TurnContext) -> None:
        sent = await context.send_activity(MessageFactory.text("v1"))
        assert sent is not None
        edited = MessageFactory.text("v2")
        edited.id = sent.id
        await context.update_activity(edited)
        gone = await context.send_activity(MessageFactory.text("oops"))
        assert gone is not None
        await context.delete_activity(gone.id)

    async with bot_endpoint(anonymous_adapter(), FunctionBot(post_then_edit)) as client:
        body = fixture("message_channel_mention", connector.url)
        assert (await client.post("/api/messages", json=body)).status == 201

    thread = f"{CHANNEL};messageid=1709544340102"
    assert [c.route for c in connector.calls] == [
        "reply_to_activity",
        "update_activity",
        "reply_to_activity",
        "delete_activity",
    ]
    assert [a["text"] for a in connector.sent_activities(CHANNEL)] == ["v1", "oops"]
    assert connector.updated_activities(thread)[0]["text"] == "v2"
    first = connector.sent_activities(thread)[0]["id"]
    assert connector.message(thread, first)["text"] == "v2"  # type: ignore[index]
    assert connector.deleted_activities == [(thread, "1700000000001")]
    assert connector.message(thread, "1700000000001") is None


async def test_invoke_response_is_the_http_response(connector: FakeBotConnector) -> None:
    class CardBot(TeamsActivityHandler):
        async def on_adaptive_card_invoke(
            self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
        ) -> AdaptiveCardInvokeResponse:
            assert invoke_value.action["verb"] == "animateur.choice"
            assert invoke_value.action["data"]["value"] == "accept"
            # botbuilder 4.17 types ``value`` as a dict: a plain-text message answer
            # ("application/vnd.microsoft.activity.message", value="...") fails to serialize.
            return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=THANKS_CARD)

    async with bot_endpoint(anonymous_adapter(), CardBot()) as client:
        body = fixture("invoke_adaptive_card_action", connector.url)
        response = await client.post("/api/messages", json=body)
        assert response.status == 200
        assert await response.json() == {"statusCode": 200, "type": CARD, "value": THANKS_CARD}
    assert connector.calls == []  # the invoke answer goes back in the HTTP response


#: the channel messages' texts, as botbuilder hands them over (no mention of the bot to remove)
QUESTION_TEXT = "Quelqu’un a déjà branché <at>dbt</at> sur le lac de données\u00a0?"
REPLY_TEXT = "Oui, avec le connecteur Spark. Tu veux que je te montre ?"
LINK_TEXT = (
    '<p>Compte rendu : <a href="https://intranet.example.com/wiki?page=mlops">'
    "https://intranet.example.com/wiki?page=mlops</a></p>"
)


class RecordingTeamsBot(TeamsActivityHandler):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = TurnContext.remove_recipient_mention(activity) if activity.text else None
        self.seen.append(("message", (text.strip() if text else None, activity.value)))

    async def on_teams_members_added(  # type: ignore[override]
        self,
        teams_members_added: list[TeamsChannelAccount],
        team_info: TeamInfo,
        turn_context: TurnContext,
    ) -> None:
        self.seen.append(("members_added", ([m.id for m in teams_members_added], team_info.id)))

    async def on_teams_members_removed(  # type: ignore[override]
        self,
        teams_members_removed: list[TeamsChannelAccount],
        team_info: TeamInfo,
        turn_context: TurnContext,
    ) -> None:
        self.seen.append(("members_removed", ([m.id for m in teams_members_removed], team_info.id)))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        self.seen.append(("installed", turn_context.activity.conversation.id))

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        self.seen.append(("uninstalled", turn_context.activity.conversation.id))

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        self.seen.append(("card_action", invoke_value.action["verb"]))
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=THANKS_CARD)

    async def on_reactions_added(
        self, message_reactions: list[MessageReaction], turn_context: TurnContext
    ) -> None:
        reply_to = turn_context.activity.reply_to_id
        self.seen.append(("reactions_added", ([r.type for r in message_reactions], reply_to)))

    async def on_reactions_removed(
        self, message_reactions: list[MessageReaction], turn_context: TurnContext
    ) -> None:
        reply_to = turn_context.activity.reply_to_id
        self.seen.append(("reactions_removed", ([r.type for r in message_reactions], reply_to)))

    async def on_teams_message_edit(self, turn_context: TurnContext) -> None:
        self.seen.append(("edited", turn_context.activity.id))

    async def on_teams_message_undelete(self, turn_context: TurnContext) -> None:
        self.seen.append(("undeleted", turn_context.activity.id))

    async def on_teams_message_soft_delete(self, turn_context: TurnContext) -> None:
        self.seen.append(("deleted", turn_context.activity.id))


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        ("conversation_update_bot_added_to_team", 201, ("members_added", ([BOT_ID], TEAM))),
        ("conversation_update_member_added", 201, ("members_added", (["29:1def"], TEAM))),
        ("conversation_update_member_removed", 201, ("members_removed", (["29:1ghi"], TEAM))),
        ("installation_update_add", 201, ("installed", PERSONAL)),
        ("installation_update_remove", 201, ("uninstalled", PERSONAL)),
        ("message_personal", 201, ("message", ("help", None))),
        ("message_channel_mention", 201, ("message", ("help", None))),
        (
            "message_channel_mention_user",
            201,
            ("message", ("facilitator add <at>Zoe Martin</at>", None)),
        ),
        (
            "message_card_submit",
            201,
            (
                "message",
                (
                    None,
                    {
                        "verb": "animateur.answer",
                        "callback": "run:0f1e2d3c4b5a69788796a5b4c3d2e1f0:expectations",
                        "answer": "Apprendre des autres",
                    },
                ),
            ),
        ),
        ("invoke_adaptive_card_action", 200, ("card_action", "animateur.choice")),
        ("invoke_adaptive_card_form", 200, ("card_action", "animateur.form")),
        ("message_reaction_added", 201, ("reactions_added", (["like"], "1709544500001"))),
        ("message_reaction_removed", 201, ("reactions_removed", (["like"], "1709545000001"))),
        ("message_channel_question", 201, ("message", (QUESTION_TEXT, None))),
        ("message_channel_reply", 201, ("message", (REPLY_TEXT, None))),
        ("message_channel_link", 201, ("message", (LINK_TEXT, None))),
        ("message_channel_other_bot", 201, ("message", ("Build #42 passed?", None))),
        ("message_update_edit", 201, ("edited", "1709545000001")),
        ("message_update_undelete", 201, ("undeleted", "1709545000001")),
        ("message_delete", 201, ("deleted", "1709545000001")),
    ],
)
async def test_fixtures_reach_the_expected_teams_handler(
    connector: FakeBotConnector, name: str, status: int, expected: tuple[str, Any]
) -> None:
    # TeamsActivityHandler looks added members up (GET .../members/{id}) unless they are the bot.
    connector.set_roster(
        TEAM, [{**teams_member(1), "id": "29:1abc"}, {**teams_member(2), "id": "29:1def"}]
    )
    bot = RecordingTeamsBot()
    async with bot_endpoint(anonymous_adapter(), bot) as client:
        response = await client.post("/api/messages", json=fixture(name, connector.url))
        assert response.status == status, await response.text()
    assert bot.seen == [expected]
    lookups = [c.params.get("member_id") for c in connector.calls_to("get_member")]
    assert lookups == (["29:1def"] if name == "conversation_update_member_added" else [])


def test_every_fixture_is_covered() -> None:
    names = {p.stem for p in FIXTURES.glob("*.json")} - {"expected"}
    assert len(names) == 20
    for name in names:
        body = json.loads((FIXTURES / f"{name}.json").read_text())
        assert body["channelId"] == "msteams"
        assert body["recipient"]["id"] == BOT_ID
        assert body["conversation"]["tenantId"] == TENANT


# -- (b) create_conversation -------------------------------------------------------------


def personal_parameters(user_id: str) -> ConversationParameters:
    return ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=BOT_ID, name="Animateur"),
        members=[ChannelAccount(id=user_id)],
        tenant_id=TENANT,
        channel_data={"tenant": {"id": TENANT}},
    )


async def test_create_conversation_then_send_in_its_callback(connector: FakeBotConnector) -> None:
    adapter = anonymous_adapter()
    seen: list[Activity] = []

    async def greet(context: TurnContext) -> None:
        seen.append(context.activity)
        await context.send_activity(MessageFactory.text("Bonjour !"))

    await adapter.create_conversation(
        "", greet, personal_parameters("29:1abc"), "msteams", connector.url
    )

    [created] = connector.created_conversations
    assert created["id"].startswith("a:1")
    assert created["members"] == [{"id": "29:1abc"}]
    assert created["tenantID"] == TENANT  # botbuilder serializes tenant_id as "tenantID"
    assert created["channelData"] == {"tenant": {"id": TENANT}}
    assert created["bot"] == {"id": BOT_ID, "name": "Animateur"}
    [event] = seen
    assert event.type == "event" and event.name == "CreateConversation"
    assert event.conversation.id == created["id"]
    reference = TurnContext.get_conversation_reference(event)
    assert reference.conversation.id == created["id"]
    assert reference.service_url == connector.url
    [sent] = connector.sent_activities(created["id"])
    assert sent["text"] == "Bonjour !"

    # Teams hands back the same 1:1 for the same user.
    await adapter.create_conversation(
        "", greet, personal_parameters("29:1abc"), "msteams", connector.url
    )
    assert connector.created_conversations[1]["id"] == created["id"]


async def test_new_thread_in_a_channel(connector: FakeBotConnector) -> None:
    results: dict[str, Any] = {}

    async def announce(context: TurnContext) -> None:
        # With CloudAdapter, bot_app_id must be non-empty even for an anonymous bot: without it
        # TeamsInfo takes a BotFrameworkAdapter-only path (TypeError: service_url is required).
        results["thread"] = await TeamsInfo.send_message_to_teams_channel(
            context, MessageFactory.text("Rituel du lundi"), CHANNEL, bot_app_id=APP_ID
        )

    async with bot_endpoint(anonymous_adapter(), FunctionBot(announce)) as client:
        body = fixture("message_personal", connector.url)
        assert (await client.post("/api/messages", json=body)).status == 201

    reference, activity_id = results["thread"]
    assert reference.conversation.id == f"{CHANNEL};messageid={activity_id}"
    [created] = connector.created_conversations
    assert created["isGroup"] is True
    assert created["channelData"]["channel"] == {"id": CHANNEL}
    assert created["activityId"] == activity_id
    [root] = connector.sent_activities(CHANNEL)
    assert root["text"] == "Rituel du lundi" and root["id"] == activity_id


async def test_create_conversation_with_a_user_who_blocked_the_bot(
    connector: FakeBotConnector,
) -> None:
    adapter = anonymous_adapter()

    async def never(context: TurnContext) -> None:
        raise AssertionError("no turn for a refused conversation")

    connector.block("29:1blocked")
    with pytest.raises(ErrorResponseException) as refused:
        await adapter.create_conversation(
            "", never, personal_parameters("29:1blocked"), "msteams", connector.url
        )
    assert refused.value.response.status_code == 403
    assert refused.value.error.error.code == "ConversationBlockedByUser"
    assert connector.created_conversations == []
    [call] = connector.calls_to("create_conversation")
    assert call.error_code == "ConversationBlockedByUser"

    no_tenant = personal_parameters("29:1abc")
    no_tenant.tenant_id = None
    no_tenant.channel_data = None
    with pytest.raises(ErrorResponseException) as bad:
        await adapter.create_conversation("", never, no_tenant, "msteams", connector.url)
    assert bad.value.response.status_code == 400
    assert bad.value.error.error.message == "Could not parse tenant id"


# -- (c) rosters ---------------------------------------------------------------------------


async def test_paged_members_roster_and_team_lookups(connector: FakeBotConnector) -> None:
    members = roster(60)
    connector.set_roster(TEAM, members)
    connector.set_team(TEAM, "Communauté Animateur")
    connector.set_channels(TEAM, [{"id": TEAM}, {"id": CHANNEL, "name": "Rituels"}])
    results: dict[str, Any] = {}

    async def list_everyone(context: TurnContext) -> None:
        pages = []
        token = None
        while True:
            page = await TeamsInfo.get_paged_members(context, token, page_size=25)
            pages.append(page)
            token = page.continuation_token
            if not token:
                break
        results["pages"] = pages
        results["member"] = await TeamsInfo.get_member(context, members[41]["id"])
        try:
            await TeamsInfo.get_member(context, "29:1nobody")
        except ErrorResponseException as error:
            results["missing"] = error
        # The next two use botbuilder's blocking TeamsConnectorClient.
        results["team"] = await TeamsInfo.get_team_details(context)
        results["channels"] = await TeamsInfo.get_team_channels(context)

    async with bot_endpoint(anonymous_adapter(), FunctionBot(list_everyone)) as client:
        body = fixture("message_channel_mention", connector.url)
        assert (await client.post("/api/messages", json=body)).status == 201

    pages = results["pages"]
    assert [len(p.members) for p in pages] == [25, 25, 10]
    assert pages[-1].continuation_token is None
    listed = [m for p in pages for m in p.members]
    assert [m.id for m in listed] == [m["id"] for m in members]
    assert listed[0].aad_object_id == members[0]["aadObjectId"]
    assert listed[0].user_principal_name == members[0]["userPrincipalName"]
    assert listed[0].tenant_id == TENANT
    paged = connector.calls_to("get_paged_members")
    assert [c.conversation_id for c in paged] == [TEAM] * 3  # team roster: by team id
    assert [c.query.get("pageSize") for c in paged] == ["25"] * 3
    assert "continuationToken" not in paged[0].query
    assert results["member"].name == "Member 042"
    assert results["member"].email == members[41]["email"]
    assert results["missing"].response.status_code == 404
    assert results["missing"].error.error.code == "MemberNotFoundInConversation"
    assert results["team"].name == "Communauté Animateur"
    assert results["team"].aad_group_id
    assert [(c.id, c.name) for c in results["channels"]] == [(TEAM, None), (CHANNEL, "Rituels")]


async def test_paged_members_defaults_and_errors(connector: FakeBotConnector) -> None:
    connector.set_roster("19:big@thread.tacv2", roster(130))
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=connector.url)
    conversations = client.conversations
    first = await conversations.get_teams_conversation_paged_members("19:big@thread.tacv2")
    assert len(first.members) == 100  # default page size
    rest = await conversations.get_teams_conversation_paged_members(
        "19:big@thread.tacv2", None, first.continuation_token
    )
    assert len(rest.members) == 30 and rest.continuation_token is None
    with pytest.raises(HttpOperationError) as unknown:
        await conversations.get_teams_conversation_paged_members("19:unknown@thread.tacv2")
    assert unknown.value.response.status_code == 404


# -- scripted failures and throttling -----------------------------------------------------


async def test_scripted_failures_and_rate_enforcement(connector: FakeBotConnector) -> None:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=connector.url)
    conversations = client.conversations

    def message(text: str) -> Activity:
        return Activity(type="message", text=text)

    connector.fail_next("send", 429, retry_after=2.5)
    connector.fail_next("send_to_conversation", 403, "MessageWritesBlocked")
    connector.fail_next("send", 412, count=2)
    with pytest.raises(ErrorResponseException) as throttled:
        await conversations.send_to_conversation(PERSONAL, message("1"))
    assert throttled.value.response.status_code == 429
    assert throttled.value.response.headers["Retry-After"] == "2.5"
    assert throttled.value.error.error.code == "Throttled"
    with pytest.raises(ErrorResponseException) as blocked:
        await conversations.send_to_conversation(PERSONAL, message("2"))
    assert blocked.value.error.error.code == "MessageWritesBlocked"
    for _ in range(2):
        with pytest.raises(ErrorResponseException) as precondition:
            await conversations.reply_to_activity(PERSONAL, "1", message("3"))
        assert precondition.value.response.status_code == 412
    assert (await conversations.send_to_conversation(PERSONAL, message("4"))).id
    assert [a["text"] for a in connector.sent_activities(PERSONAL)] == ["4"]

    # msrest retries 5xx on PUT (not on POST) by itself: a single 502 is invisible.
    sent_id = connector.sent_activities(PERSONAL)[0]["id"]
    connector.fail_next("update_activity", 502)
    await conversations.update_activity(PERSONAL, sent_id, message("4bis"))
    assert [c.status for c in connector.calls_to("update_activity")] == [502, 200]
    connector.fail_next("send", 504)
    with pytest.raises(ErrorResponseException) as timeout:
        await conversations.send_to_conversation(PERSONAL, message("5"))
    assert timeout.value.error.error.code == "GatewayTimeout"

    connector.enforce_rate(per_conversation_per_second=7)
    statuses = []
    for n in range(10):
        try:
            await conversations.send_to_conversation("a:1burst", message(str(n)))
            statuses.append(201)
        except ErrorResponseException as error:
            statuses.append(error.response.status_code)
    assert statuses == [201] * 7 + [429] * 3
    assert connector.rate_violations == 3
    assert (await conversations.send_to_conversation("a:1other", message("x"))).id
    with pytest.raises(ValueError, match="unknown route"):
        connector.fail_next("send_message", 500)


async def test_blocked_user_personal_conversation(connector: FakeBotConnector) -> None:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=connector.url)
    connector.block("29:1abc", conversation_id=PERSONAL)
    with pytest.raises(ErrorResponseException) as refused:
        await client.conversations.send_to_conversation(PERSONAL, Activity(type="message"))
    assert refused.value.response.status_code == 403
    assert refused.value.error.error.code == "ConversationBlockedByUser"
    connector.unblock("29:1abc")
    assert (await client.conversations.send_to_conversation(PERSONAL, Activity(type="message"))).id


async def test_wait_for_reports_what_it_saw(connector: FakeBotConnector) -> None:
    with pytest.raises(AssertionError, match="waiting for 1 call"):
        await connector.wait_for("create_conversation", timeout=0.05)
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=connector.url)
    await client.conversations.send_to_conversation(PERSONAL, Activity(type="message", text="a"))
    calls = await connector.wait_for(lambda c: c.body is not None and c.body.get("text") == "a")
    assert calls[0].headers["content-type"].startswith("application/json")


def test_teams_member_shape() -> None:
    member = teams_member(7)
    assert member["id"].startswith("29:1")
    assert set(member) == {
        "id",
        "name",
        "aadObjectId",
        "givenName",
        "surname",
        "email",
        "userPrincipalName",
        "tenantId",
        "userRole",
    }


# -- (d) JWT authentication against the fake identity --------------------------------------


@pytest_asyncio.fixture
async def identity() -> AsyncIterator[FakeBotIdentity]:
    async with FakeBotIdentity() as fake:
        yield fake


def authenticated(identity: FakeBotIdentity) -> BotFrameworkAuthentication:
    config = SimpleNamespace(APP_ID=APP_ID, APP_PASSWORD="not-used", **configure_for(identity))
    return ConfigurationBotFrameworkAuthentication(
        config, credentials_factory=identity.credentials_factory(APP_ID)
    )


async def test_signed_requests_are_accepted_and_others_refused(
    connector: FakeBotConnector, identity: FakeBotIdentity
) -> None:
    async def echo(context: TurnContext) -> None:
        if context.activity.type == "message":
            await context.send_activity(MessageFactory.text("ok"))

    body = fixture("message_personal", connector.url)
    url = connector.url
    adapter = CloudAdapter(authenticated(identity))
    async with bot_endpoint(adapter, FunctionBot(echo)) as bot:

        async def post(headers: dict[str, str], activity: dict[str, Any] = body) -> int:
            return (await bot.post("/api/messages", json=activity, headers=headers)).status

        assert await post(identity.authorization(APP_ID, url)) == 201
        invoke = fixture("invoke_adaptive_card_action", url)
        assert await post(identity.authorization(APP_ID, url), invoke) == 501  # no handler
        assert await post(identity.authorization(APP_ID, url, signed_by_known_key=False)) == 401
        assert await post({}) == 401
        assert await post({"Authorization": "Basic abc"}) == 401
        assert await post(identity.authorization("another-app", url)) == 401
        assert await post(identity.authorization(APP_ID, "https://elsewhere.example/")) == 401
        assert await post(identity.authorization(APP_ID, url, expires_in=-600)) == 401
        assert await post(identity.authorization(APP_ID, url, issuer="https://x.example")) == 401
        not_endorsed = {**body, "channelId": "webchat"}
        assert await post(identity.authorization(APP_ID, url), not_endorsed) == 401
        # Within the 5-minute clock tolerance an expired token still passes.
        assert await post(identity.authorization(APP_ID, url, expires_in=-60)) == 201

    # Accepted messages ran a turn; the replies carried the outbound token.
    replies = connector.calls_to("send")
    assert len(replies) == 2
    header = replies[0].authorization
    assert header is not None and header.startswith("Bearer ")
    claims = identity.decode_unverified(header.removeprefix("Bearer "))
    assert claims["appid"] == APP_ID
    assert claims["aud"] == "https://api.botframework.com"
    assert identity.metadata_requests == 1  # botframework caches the keys per metadata URL
    assert identity.jwks_requests == 1


async def test_pin_cloud_adapter_process_auth_failures(
    connector: FakeBotConnector, identity: FakeBotIdentity
) -> None:
    """botbuilder 4.17: ``CloudAdapter.process`` turns only PermissionError into 401."""

    async def silent(context: TurnContext) -> None:
        return None

    body = fixture("message_personal", connector.url)
    url = connector.url
    async with bot_endpoint(
        CloudAdapter(authenticated(identity)), FunctionBot(silent), raw=True
    ) as bot:
        ok = await bot.post("/api/messages", json=body, headers=identity.authorization(APP_ID, url))
        assert ok.status == 201
        wrong_app = identity.authorization("another-app", url)
        assert (await bot.post("/api/messages", json=body, headers=wrong_app)).status == 401
        rogue = identity.authorization(APP_ID, url, signed_by_known_key=False)
        # IndexError in _OpenIdMetadata._find for a kid missing from the JWKS.
        assert (await bot.post("/api/messages", json=body, headers=rogue)).status == 500
        # With the configure_for() keys, a missing header is an AttributeError in botframework.
        assert (await bot.post("/api/messages", json=body)).status == 500

    # The built-in (public cloud) path, no overrides: a missing header is a clean 401.
    builtin = CloudAdapter(
        ConfigurationBotFrameworkAuthentication(SimpleNamespace(APP_ID=APP_ID, APP_PASSWORD="x"))
    )
    async with bot_endpoint(builtin, FunctionBot(silent), raw=True) as bot:
        assert (await bot.post("/api/messages", json=body)).status == 401


async def test_pin_cloud_adapter_process_double_serializes_invoke_bodies(
    connector: FakeBotConnector,
) -> None:
    """botbuilder 4.17: ActivityHandler returns an already-serialized invoke body and
    ``CloudAdapter.process`` serializes it again (AttributeError -> 500)."""
    async with bot_endpoint(anonymous_adapter(), RecordingTeamsBot(), raw=True) as bot:
        body = fixture("invoke_adaptive_card_action", connector.url)
        assert (await bot.post("/api/messages", json=body)).status == 500


async def test_identity_overrides_without_an_app_id_refuse_everything(
    connector: FakeBotConnector, identity: FakeBotIdentity
) -> None:
    """The parameterized path treats only ``None`` as "no header"; CloudAdapter passes ""."""
    config = SimpleNamespace(APP_ID="", **configure_for(identity))
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    async def silent(context: TurnContext) -> None:
        return None

    async with bot_endpoint(adapter, FunctionBot(silent)) as bot:
        body = fixture("message_personal", connector.url)
        assert (await bot.post("/api/messages", json=body)).status == 401


async def test_require_auth_refuses_anonymous_calls(identity: FakeBotIdentity) -> None:
    async with FakeBotConnector(require_auth=True) as strict:
        anonymous = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=strict.url)
        with pytest.raises(ErrorResponseException) as refused:
            await anonymous.conversations.send_to_conversation(PERSONAL, Activity(type="message"))
        assert refused.value.response.status_code == 401
        factory = identity.credentials_factory(APP_ID)
        credentials = await factory.create_credentials(
            APP_ID, "https://api.botframework.com", "", True
        )
        signed = ConnectorClient(credentials, base_url=strict.url)
        assert (
            await signed.conversations.send_to_conversation(PERSONAL, Activity(type="message"))
        ).id
        assert [c.status for c in strict.calls] == [401, 201]
