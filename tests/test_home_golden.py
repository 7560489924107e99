"""The home as people see it, golden-tested through the real stacks: the Slack App Home that
Bolt publishes (``app_home_opened`` → ``views.publish`` at the fake Web API) and the Teams
Adaptive Card that botbuilder sends in answer to ``home`` (at the fake Bot Connector), for a
facilitator and for a member; and the home's opt-out toggle clicked through each.

``ANIMATEUR_REGOLD=1 pytest tests/test_home_golden.py`` rewrites
tests/fixtures/golden_home/expected.json from the current code; review its diff."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.runtime.clock import ManualClock
from bot.runtime.dashboard.links import DashboardLinks, Grant
from bot.settings import SlackSettings
from bot.vocabulary.events import WorkspaceRef
from tests.conftest import wait_for
from tests.dashboard_support import links
from tests.fakes.bot_connector import ConnectorCall, FakeBotConnector, route_matches
from tests.fakes.slack_api import FakeSlackApi
from tests.golden import GoldenOutputs
from tests.home_support import NOW, History, at, four_weeks, unsigned
from tests.slack_support import (
    BOT_USER,
    CHANNEL,
    SECRET,
    TEAM,
    TOKEN,
    SlackBot,
    fixture,
    running_bot,
    seed_slack_community,
)
from tests.teams_support import TEAM as TEAMS_CHANNEL
from tests.teams_support import TENANT, activity, running_teams_bot, seed_team_community

GOLDEN = GoldenOutputs(Path(__file__).parent / "fixtures" / "golden_home" / "expected.json")
SLACK_MEMBERS = ["U0001", "U0002", "U0003", "U0004", "U0005", "U0006"]
TEAMS_MEMBERS = ["29:1abc", "29:1m2", "29:1m3", "29:1m4", "29:1m5", "29:1m6"]
FACILITATOR_TEAMS = "29:1fac"


def opened_by(links_: DashboardLinks, url: str) -> Grant:
    return links_.open_link(parse_qs(urlsplit(url).query)["token"][0])


# -- Slack ---------------------------------------------------------------------------------


async def open_home(bot: SlackBot, user: str) -> dict[str, Any]:
    """The user opens the app's Home tab: the view published for them next."""
    before = len([c for c in bot.slack.calls_to("views.publish") if c.args["user_id"] == user])
    envelope = fixture("event_app_home_opened")
    envelope["event"]["user"] = user
    envelope["event_id"] = f"Ev{uuid.uuid4().hex[:10]}"
    assert (await bot.event(envelope)).status == 200
    return await published_for(bot, user, before + 1)


async def published_for(bot: SlackBot, user: str, count: int) -> dict[str, Any]:
    async def enough() -> list[Any] | None:
        found = [c for c in bot.slack.calls_to("views.publish") if c.args["user_id"] == user]
        return found if len(found) >= count else None

    calls = await wait_for(enough, within=10)
    view: dict[str, Any] = calls[-1].args["view"]
    return view


def home_click(user: str, element: dict[str, Any]) -> dict[str, Any]:
    """The block_actions Slack sends for a click on a button of the Home tab."""
    payload = fixture("block_actions")
    del payload["message"], payload["channel"]
    payload["user"] = {"id": user, "username": "ada", "name": "ada", "team_id": TEAM}
    payload["container"] = {"type": "view", "view_id": "V0001"}
    payload["view"] = {"id": "V0001", "type": "home", "team_id": TEAM}
    payload["trigger_id"] = f"t-{uuid.uuid4().hex[:8]}"
    payload["actions"] = [
        {**element, "block_id": "b1", "type": "button", "action_ts": "1700000900.000001"}
    ]
    return payload


def buttons_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def test_the_slack_app_home_of_a_facilitator_and_of_a_member(database_url: str) -> None:
    clock = ManualClock(at(10, 1, 9))
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        for n, user in enumerate(SLACK_MEMBERS):
            slack.add_user(TEAM, user, f"member{n}", locale="en-US", tz="Europe/Paris")
        slack.add_user(TEAM, "U0009", "dan", locale="fr-FR", tz="Europe/Paris")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings, clock=clock) as running:
            await seed_slack_community(running.bot, playbooks=("welcome", "checkin"))
            signer = links(clock)
            running.bot.dispatcher.dashboard = signer
            history = History(running.bot, clock, WorkspaceRef("slack", TEAM), CHANNEL)
            await four_weeks(history, SLACK_MEMBERS, "U0009")
            assert clock() == NOW

            facilitator = await open_home(running, "U0009")
            GOLDEN.check("slack_facilitator", unsigned(facilitator))
            [dashboard] = [b for b in buttons_of(facilitator) if "url" in b]
            assert opened_by(signer, dashboard["url"]) == Grant(
                WorkspaceRef("slack", TEAM), "U0009", CHANNEL
            )

            member = await open_home(running, "U0001")
            GOLDEN.check("slack_member", unsigned(member))

            # the member stops the welcome from the Home tab: Bolt → the shared opt-out
            stop = next(b for b in buttons_of(member) if b["value"] == "optout:welcome")
            assert (await running.interaction(home_click("U0001", stop))).status == 200
            after = await published_for(running, "U0001", 2)
            assert "• Welcome: off for you" in json.dumps(after, ensure_ascii=False)
            async with running.bot.store.transaction() as tx:
                ada = await tx.directory.member(1, "U0001")
            assert ada is not None and ada.opted_out == ["welcome"]
            resume = next(b for b in buttons_of(after) if b["value"] == "optin:welcome")
            assert (await running.interaction(home_click("U0001", resume))).status == 200
            again = await published_for(running, "U0001", 3)
            assert "• Welcome: on" in json.dumps(again, ensure_ascii=False)
            async with running.bot.store.transaction() as tx:
                ada = await tx.directory.member(1, "U0001")
            assert ada is not None and ada.opted_out == []


# -- Teams ---------------------------------------------------------------------------------


def personal(connector: FakeBotConnector, user: str, locale: str, text: str) -> dict[str, Any]:
    """``text`` typed by ``user`` in their 1:1 chat with the bot."""
    message = activity("message_personal", connector)
    message |= {"text": text, "locale": locale, "attachments": []}
    message["from"] = {"id": user, "name": "someone"}
    message["conversation"] = {
        "id": connector.personal_chat(TENANT, user),
        "conversationType": "personal",
        "tenantId": TENANT,
    }
    message["entities"] = [{"type": "clientInfo", "locale": locale, "timezone": "Europe/Paris"}]
    return message


async def card_sent_to(connector: FakeBotConnector, conversation: str) -> dict[str, Any]:
    def sent_here(call: ConnectorCall) -> bool:
        """A home card (not a ritual DM's, also in that chat) sent to the conversation."""
        if not route_matches("send", call.route) or call.conversation_id != conversation:
            return False
        attachments = (call.body or {}).get("attachments") or [{}]
        body = attachments[0].get("content", {}).get("body") or [{}]
        return bool(body[0].get("text") == "Animateur")

    calls = await connector.wait_for(sent_here, timeout=30)
    assert calls[-1].body is not None
    card: dict[str, Any] = calls[-1].body["attachments"][0]["content"]
    return card


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for item in card["body"]
        for inner in item.get("items", [])
        if inner["type"] == "ActionSet"
        for a in inner["actions"]
    ]


async def test_the_teams_home_card_of_a_facilitator_and_of_a_member(database_url: str) -> None:
    clock = ManualClock(at(10, 1, 9))
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector, clock=clock) as teams,
    ):
        await seed_team_community(teams.bot, playbooks=("welcome", "checkin"))
        async with teams.bot.store.transaction() as tx:
            community = (await tx.directory.communities())[0]
            community.facilitators = [FACILITATOR_TEAMS]
        signer = links(clock)
        teams.bot.dispatcher.dashboard = signer
        history = History(teams.bot, clock, WorkspaceRef("teams", TENANT), TEAMS_CHANNEL)
        await four_weeks(history, TEAMS_MEMBERS, FACILITATOR_TEAMS)

        asked = personal(connector, FACILITATOR_TEAMS, "en-US", "home")
        assert (await teams.post(asked))[0] == 201
        facilitator = await card_sent_to(connector, asked["conversation"]["id"])
        GOLDEN.check("teams_facilitator", unsigned(facilitator))
        [dashboard] = [a for a in card_actions(facilitator) if a["type"] == "Action.OpenUrl"]
        assert opened_by(signer, dashboard["url"]) == Grant(
            WorkspaceRef("teams", TENANT), FACILITATOR_TEAMS, TEAMS_CHANNEL
        )

        asked = personal(connector, "29:1abc", "fr-FR", "home")
        assert (await teams.post(asked))[0] == 201
        member = await card_sent_to(connector, asked["conversation"]["id"])
        GOLDEN.check("teams_member", unsigned(member))

        # the member stops the welcome from the card: botbuilder → the shared opt-out
        stop = next(
            a for a in card_actions(member) if a.get("data", {}).get("callback") == "optout:welcome"
        )
        invoke = activity("invoke_adaptive_card_action", connector)
        invoke["from"] = {"id": "29:1abc", "name": "Ada"}
        invoke["entities"] = []
        invoke["conversation"] = asked["conversation"]
        chat = asked["conversation"]["id"]
        [home_id] = [
            a["id"]
            for a in connector.sent_activities(chat)
            if a.get("attachments") and a["attachments"][0]["content"] == member
        ]
        invoke["replyToId"] = home_id  # the card clicked
        invoke["value"] = {"action": stop, "trigger": "manual"}
        assert (await teams.post(invoke))[0] == 200
        async with teams.bot.store.transaction() as tx:
            ada = await tx.directory.member(1, "29:1abc")
        assert ada is not None and ada.opted_out == ["welcome"]

        # the card clicked is updated in place, showing the ritual off and a button to resume
        async def updated() -> list[dict[str, Any]] | None:
            found = [a for a in connector.updated_activities(chat) if a["id"] == home_id]
            return found or None

        [update] = await wait_for(updated, within=10)
        card = update["attachments"][0]["content"]
        assert "• Accueil : désactivé pour vous" in json.dumps(card, ensure_ascii=False)
        resume = next(
            a for a in card_actions(card) if a.get("data", {}).get("callback") == "optin:welcome"
        )
        invoke = {**invoke, "id": f"inv-{uuid.uuid4().hex[:8]}"}
        invoke["value"] = {"action": resume, "trigger": "manual"}
        assert (await teams.post(invoke))[0] == 200

        async def updated_twice() -> list[dict[str, Any]] | None:
            found = [a for a in connector.updated_activities(chat) if a["id"] == home_id]
            return found if len(found) == 2 else None

        again = (await wait_for(updated_twice, within=10))[-1]["attachments"][0]["content"]
        assert "• Accueil : activé" in json.dumps(again, ensure_ascii=False)
        async with teams.bot.store.transaction() as tx:
            ada = await tx.directory.member(1, "29:1abc")
        assert ada is not None and ada.opted_out == []
