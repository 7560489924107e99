"""A live bot wired to the fake Bot Connector, and activities posted to it like Teams does."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from bot.app import Animateur, build
from bot.runtime.clock import Clock, utc_now
from bot.settings import Settings, TeamsSettings
from bot.vocabulary.events import WorkspaceRef
from playbooks.schema import Playbook
from tests.builders import KEEP_RECORDED_ACTIVITY, seed_community
from tests.conftest import serving
from tests.fakes.bot_connector import FakeBotConnector

FIXTURES = Path(__file__).parent / "fixtures" / "teams"
TENANT, TEAM = "tid-0001", "19:team-general@thread.tacv2"
#: another standard channel of TEAM (the one the fixtures' commands are sent from)
RITUALS = "19:rituals-7f3a2c@thread.tacv2"
APP_ID = "3f1c2b8e-7a5d-4c6e-9b0a-5d2e8f4a1c37"
BOT = f"28:{APP_ID}"
#: the verb of home buttons, and so of a ritual DM's stop button
STOP_VERB = "animateur.home"


def activity(name: str, connector: FakeBotConnector, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    data["serviceUrl"] = connector.url
    data["id"] = f"f:{uuid.uuid4()}"
    return data | changes


def in_channel(data: dict[str, Any], channel: str) -> dict[str, Any]:
    """A channel activity of TEAM as Teams sends it from ``channel`` (General: ``TEAM``): the
    conversation is the channel's (a thread of it), channelData names the channel."""
    conversation = data["conversation"]
    thread = str(conversation["id"]).partition(";messageid=")[2] or str(data["id"])
    channel_data = dict(data.get("channelData") or {})
    channel_data |= {"channel": {"id": channel}, "teamsChannelId": channel}
    return data | {
        "conversation": {**conversation, "id": f"{channel};messageid={thread}"},
        "channelData": channel_data,
    }


@dataclass
class TeamsBot:
    url: str
    bot: Animateur
    connector: FakeBotConnector
    http: ClientSession

    async def post(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.http.post(
            self.url + "/api/messages", json=payload, headers=headers or {}
        ) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.strip() else None)

    async def install_in_team(self) -> None:
        status, _ = await self.post(
            activity("conversation_update_bot_added_to_team", self.connector)
        )
        assert status == 201

    async def add_member(self, user: str, name: str) -> tuple[int, Any]:
        added = activity("conversation_update_member_added", self.connector)
        added["membersAdded"] = [{"id": user, "name": name, "aadObjectId": str(uuid.uuid4())}]
        return await self.post(added)

    def dm_conversation(self, user: str) -> str | None:
        for created in self.connector.created_conversations:
            members = created.get("members") or []
            if any(m.get("id") == user for m in members):
                return str(created["id"])
        return None

    def messages_to(self, user: str) -> list[dict[str, Any]]:
        """The member's 1:1 messages, each in its current state (after updates)."""
        conversation = self.dm_conversation(user)
        if conversation is None:
            return []
        current = []
        for sent in self.connector.sent_activities(conversation):
            now = self.connector.message(conversation, sent["id"]) or sent
            current.append({**now, "id": sent["id"], "conversation": {"id": conversation}})
        return current

    def click(self, message: dict[str, Any], title: str, user: str) -> dict[str, Any]:
        """The adaptiveCard/action invoke Teams sends for a click on ``title``."""
        card = message["attachments"][0]["content"]
        action = next(a for a in card.get("actions", []) if a["title"] == title)
        invoke = activity("invoke_adaptive_card_action", self.connector)
        invoke["from"] = {"id": user, "name": "member"}
        invoke["entities"] = []  # the fixture's clientInfo is another member's client
        invoke["conversation"] = {
            "id": message["conversation"]["id"],
            "conversationType": "personal",
            "tenantId": TENANT,
        }
        invoke["replyToId"] = message["id"]
        invoke["value"] = {"action": copy.deepcopy(action), "trigger": "manual"}
        return invoke

    def answer(self, message: dict[str, Any], text: str, user: str) -> dict[str, Any]:
        card = message["attachments"][0]["content"]
        [action] = question_buttons(card)
        invoke = self.click(message, action["title"], user)
        invoke["value"]["action"]["data"] = {**action["data"], "answer": text}
        return invoke


def question_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """A card's buttons but a ritual DM's stop button (a home button)."""
    return [a for a in card.get("actions", []) if a.get("verb") != STOP_VERB]


def stop_button(message: dict[str, Any]) -> dict[str, Any] | None:
    """The stop button of a ritual DM as Teams shows it (in the card under its text)."""
    for attachment in message.get("attachments") or []:
        for action in attachment["content"].get("actions", []):
            if action.get("verb") == STOP_VERB:
                return dict(action)
    return None


async def seed_team_community(bot: Animateur, playbooks: tuple[str, ...] = ("welcome",)) -> None:
    await seed_community(bot, WorkspaceRef("teams", TENANT), TEAM, playbooks)


@asynccontextmanager
async def running_teams_bot(
    database_url: str,
    connector: FakeBotConnector,
    *,
    teams: TeamsSettings | None = None,
    clock: Clock = utc_now,
    playbooks: dict[str, Playbook] | None = None,
    **settings: Any,
) -> AsyncIterator[TeamsBot]:
    config = Settings(
        database_url=database_url,
        playground=False,
        tick_seconds=0.2,
        teams_anonymous=teams is None,
        pulse_notices=False,  # they follow the real clock: tested virtually
        _env_file=None,
        **({"activity_retention_days": KEEP_RECORDED_ACTIVITY} | settings),
    )
    bot = build(
        config,
        clock=clock,
        playbooks=playbooks,
        teams=teams or TeamsSettings(_env_file=None),
    )
    async with serving(bot) as (url, _app), ClientSession() as http:
        yield TeamsBot(url, bot, connector, http)
