"""Champions spotted, through the real stacks: the questions and their answers come in through
Bolt / botbuilder, the digest's champion message goes out through the Slack Web API / the Bot
Connector (fakes on loopback) with its two buttons, the facilitator's click and the member's
"Accept" come back as Slack ``block_actions`` / Teams ``adaptiveCard/action`` invokes, and
the member ends up among the community's facilitators.

Tuesday 2026-12-08 10:00 UTC (the community's working hours, UTC, and its digest's week):
three questions were asked on Friday 12-04 from 10:00, each answered ten minutes later by the
same member."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import Animateur
from bot.runtime.clock import ManualClock
from bot.runtime.pulse_watch import PulseWatch
from bot.settings import SlackSettings
from bot.vocabulary.events import WorkspaceRef
from tests.conftest import wait_for
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import (
    BOT_USER,
    CHANNEL,
    SECRET,
    TEAM,
    TOKEN,
    SlackBot,
    fixture,
    joined_envelope,
    running_bot,
    seed_slack_community,
)
from tests.teams_support import TEAM as GENERAL
from tests.teams_support import TENANT, TeamsBot, activity, running_teams_bot, seed_team_community

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
ASKED = datetime(2026, 12, 4, 10, tzinfo=UTC)
#: the seeded community's facilitator (on Slack and on Teams alike)
FACILITATOR = "U0009"
SPOTTED = "answered others' questions"


async def look(bot: Animateur, clock: ManualClock) -> int:
    watch = PulseWatch(bot.store, clock, bot.engine.playbooks, on_enqueued=bot.worker.wake)
    return await watch.run_due()


async def facilitators(bot: Animateur, workspace: WorkspaceRef, channel: str) -> list[str]:
    async with bot.store.read() as tx:
        found = await tx.directory.workspace(workspace)
        assert found is not None and found.id is not None
        community = await tx.directory.community_by_channel(found.id, channel)
        assert community is not None
        return list(community.facilitators)


async def reaches(bot: Animateur, workspace: WorkspaceRef, channel: str) -> int:
    async with bot.store.read() as tx:
        found = await tx.directory.workspace(workspace)
        assert found is not None and found.id is not None
        community = await tx.directory.community_by_channel(found.id, channel)
        assert community is not None and community.id is not None
        return len(await tx.champions.reaches(community.id, ASKED, NOW))


# -- Slack ------------------------------------------------------------------------------------


def _buttons(call: Any, prefix: str) -> tuple[str, list[dict[str, Any]]] | None:
    for block in call.args.get("blocks") or []:
        if block["type"] == "actions" and str(block.get("block_id", "")).startswith(prefix):
            return str(block["block_id"]), list(block["elements"])
    return None


async def _asked(slack: FakeSlackApi, user: str, prefix: str) -> Any:
    for call in slack.calls_to("chat.postMessage"):
        if call.args.get("channel") == user and call.ok and _buttons(call, prefix):
            return call
    return None


def _click(user: str, call: Any, label: str, prefix: str) -> dict[str, Any]:
    found = _buttons(call, prefix)
    assert found is not None
    block_id, elements = found
    element = next(e for e in elements if e["text"]["text"] == label)
    payload = fixture("block_actions")
    payload["user"]["id"] = user
    payload["container"] |= {
        "channel_id": call.response["channel"],
        "message_ts": call.response["ts"],
    }
    payload["message"] = {"ts": call.response["ts"], "text": call.args["text"]}
    payload["actions"] = [{**element, "block_id": block_id}]
    payload["trigger_id"] = f"trigger-{time.time()}"
    return payload


async def _slack_answers(running: SlackBot) -> None:
    """U0004, U0005 and U0006 each ask a question; U0003 answers the three."""
    for i, asker in enumerate(("U0004", "U0005", "U0006")):
        at = ASKED + timedelta(hours=i)
        ts = f"{at.timestamp():.0f}.000100"
        question = fixture("event_message_question")
        question["event"] |= {"user": asker, "ts": ts, "event_ts": ts, "client_msg_id": f"q{i}"}
        question["event_id"] = f"Ev-question-{i}"
        assert (await running.event(question)).status == 200
        reply_ts = f"{(at + timedelta(minutes=10)).timestamp():.0f}.000200"
        reply = fixture("event_message_thread_reply")
        reply["event"] |= {
            "user": "U0003",
            "ts": reply_ts,
            "event_ts": reply_ts,
            "thread_ts": ts,
            "parent_user_id": asker,
            "client_msg_id": f"a{i}",
        }
        reply["event_id"] = f"Ev-answer-{i}"
        assert (await running.event(reply)).status == 200


async def test_slack_champion_message_buttons_and_the_member_s_accept(database_url: str) -> None:
    clock = ManualClock(NOW)
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        for user in ("U0003", "U0004", "U0005", "U0006", "U0007"):
            slack.add_user(TEAM, user, user.lower())
        slack.add_user(TEAM, FACILITATOR, "dan")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings, clock=clock) as running:
            await seed_slack_community(running.bot)
            workspace = WorkspaceRef("slack", TEAM)
            for user in ("U0003", "U0004", "U0005", "U0006", "U0007"):
                assert (await running.event(joined_envelope(user, f"Ev-join-{user}"))).status == 200
            await _slack_answers(running)
            await wait_for(lambda: _at_least(reaches(running.bot, workspace, CHANNEL), 3))

            assert await look(running.bot, clock) >= 2  # the digest, and the champion
            spotted = await wait_for(lambda: _asked(slack, FACILITATOR, "champion:"), within=10)
            said = "".join(
                b["text"]["text"] for b in spotted.args["blocks"] if b["type"] == "section"
            )
            assert "<@U0003>" in said and SPOTTED in said, said
            found = _buttons(spotted, "champion:")
            assert found is not None
            assert [e["text"]["text"] for e in found[1]] == [
                "Add as facilitator",
                "Suggest as expert",
            ]

            click = _click(FACILITATOR, spotted, "Add as facilitator", "champion:")
            assert (await running.interaction(click)).status == 200
            invitation = await wait_for(
                lambda: _asked(slack, "U0003", "champion-invite:"), within=10
            )
            assert "invites you to become a facilitator" in invitation.args["text"]

            accept = _click("U0003", invitation, "Accept", "champion-invite:")
            assert (await running.interaction(accept)).status == 200
            await wait_for(
                lambda: _holds(facilitators(running.bot, workspace, CHANNEL), "U0003"), within=10
            )
            told = await wait_for(lambda: _dm_saying(slack, FACILITATOR, "accepted"), within=10)
    assert "<@U0003>" in told


async def _at_least(count: Any, least: int) -> bool:
    return bool(await count >= least)


async def _holds(people: Any, who: str) -> bool:
    return who in await people


async def _dm_saying(slack: FakeSlackApi, user: str, words: str) -> str | None:
    for call in slack.calls_to("chat.postMessage"):
        if call.args.get("channel") == user and call.ok and words in call.args["text"]:
            return str(call.args["text"])
    return None


# -- Teams ------------------------------------------------------------------------------------


async def _teams_post(teams: TeamsBot, user: str, message_id: str, root: str, at: datetime) -> None:
    name = "message_channel_question" if message_id == root else "message_channel_reply"
    sent = activity(name, teams.connector, id=message_id, timestamp=at.isoformat())
    if message_id != root:
        sent["text"] = "Yes, with a scheduled job."
    sent["from"] = {"id": user, "name": user}
    sent["entities"] = []
    sent["conversation"]["id"] = f"{GENERAL};messageid={root}"
    assert (await teams.post(sent))[0] == 201


def _card_with(teams: TeamsBot, user: str, title: str) -> dict[str, Any] | None:
    for message in teams.messages_to(user):
        for attachment in message.get("attachments") or []:
            actions = attachment["content"].get("actions", [])
            if any(a.get("title") == title for a in actions):
                return message
    return None


async def test_teams_champion_card_buttons_and_the_member_s_accept(database_url: str) -> None:
    clock = ManualClock(NOW)
    champion = "29:0"
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector, clock=clock) as teams,
    ):
        await teams.install_in_team()
        await seed_team_community(teams.bot)
        workspace = WorkspaceRef("teams", TENANT)
        for user in ("29:0", "29:1", "29:2", "29:3", "29:4"):
            assert (await teams.add_member(user, user))[0] == 201
        for i, asker in enumerate(("29:1", "29:2", "29:3")):
            at = ASKED + timedelta(hours=i)
            root = f"{at.timestamp() * 1000:.0f}"
            await _teams_post(teams, asker, root, root, at)
            answered_at = at + timedelta(minutes=10)
            await _teams_post(
                teams, champion, f"{answered_at.timestamp() * 1000:.0f}", root, answered_at
            )
        await wait_for(lambda: _at_least(reaches(teams.bot, workspace, GENERAL), 3))

        assert await look(teams.bot, clock) >= 2
        card = await _wait_card(teams, FACILITATOR, "Add as facilitator")
        body = card["attachments"][0]["content"]["body"]
        assert SPOTTED in " ".join(str(b.get("text", "")) for b in body)
        titles = [a["title"] for a in card["attachments"][0]["content"]["actions"]]
        assert titles == ["Add as facilitator", "Suggest as expert"]

        status, _ = await teams.post(teams.click(card, "Add as facilitator", FACILITATOR))
        assert status == 200
        invitation = await _wait_card(teams, champion, "Accept")
        status, _ = await teams.post(teams.click(invitation, "Accept", champion))
        assert status == 200
        await wait_for(
            lambda: _holds(facilitators(teams.bot, workspace, GENERAL), champion), within=10
        )

        async def told() -> bool:
            return any("accepted" in str(m.get("text", "")) for m in teams.messages_to(FACILITATOR))

        assert await wait_for(told, within=10)


async def _wait_card(teams: TeamsBot, user: str, title: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        return _card_with(teams, user, title)

    card = await wait_for(found, within=10)
    assert card is not None
    return card
