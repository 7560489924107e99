"""Kudos name people as their platform shows them, even someone the bot knows no name for:
never their raw id. Slack gets a mention (``<@U…>``, shown as the name), Teams a mention
entity (``<at>name</at>``, the name asked of Teams when the bot has none), the playground the
mention markup it shows as a name — each through its real stack."""

from __future__ import annotations

from typing import Any

from bot.vocabulary import events as ev
from tests.builders import WORKSPACE, key
from tests.conftest import Harness, wait_for
from tests.fakes.bot_connector import FakeBotConnector
from tests.slack_support import CHANNEL
from tests.teams_support import TEAM, activity, in_channel, running_teams_bot, seed_team_community
from tests.test_commands import say
from tests.test_governance import command as slack_command
from tests.test_governance import slack_bot
from tests.test_kudos import posts


async def test_on_slack_a_receiver_whose_name_is_unknown_is_mentioned(database_url: str) -> None:
    async with slack_bot(database_url) as bot:
        # Cleo (U0005) was never seen by the bot: no name stored, and her mention has no label
        done = await slack_command(bot, "U0009", "kudos <@U0005> for the charter", CHANNEL)
        assert done.startswith("Your thanks to <@U0005> is posted in Data.")

        async def posted() -> list[Any]:
            calls = bot.slack.calls_to("chat.postMessage")
            return [c.args for c in calls if c.args["channel"] == CHANNEL]

        [post] = await wait_for(posted)
        assert post["text"] == "🙌 dan thanks <@U0005>: “the charter”"
        assert post["blocks"][0]["text"]["text"] == "🙌 dan thanks <@U0005>: “the charter”"


async def test_on_teams_a_receiver_whose_name_is_unknown_gets_a_mention_with_her_name(
    database_url: str,
) -> None:
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector) as teams,
    ):
        await seed_team_community(teams.bot)
        await teams.install_in_team()
        connector.set_roster(
            TEAM,
            [
                {"id": "29:1abc", "name": "Ada Lovelace", "aadObjectId": "a-1"},
                {"id": "29:1zoe", "name": "Zoe Martin", "aadObjectId": "a-2"},
            ],
        )
        message = in_channel(activity("message_channel_mention_user", connector), TEAM)
        message["text"] = (
            "<at>Animateur</at> kudos <at>Zoe Martin</at> pour la relecture "
            "[de la paie](https://evil.example/login)\n"
        )
        del message["attachments"]
        assert (await teams.post(message))[0] == 201

        def in_the_channel() -> list[dict[str, Any]] | None:
            found = [a for a in connector.sent_activities(TEAM) if "🙌" in str(a.get("text") or "")]
            return found or None

        async def posted() -> list[dict[str, Any]] | None:
            return in_the_channel()

        [post] = await wait_for(posted, within=10)
        assert "29:1zoe" not in post["text"]
        # her words show as typed: the address behind the label is there to see
        assert post["text"] == (
            "🙌 Ada Lovelace thanks <at>Zoe Martin</at>: "
            "“la relecture de la paie (https://evil.example/login)”"
        )
        assert {
            "type": "mention",
            "text": "<at>Zoe Martin</at>",
            "mentioned": {"id": "29:1zoe", "name": "Zoe Martin"},
        } in post["entities"]


async def test_in_the_playground_a_receiver_without_a_name_is_mentioned(harness: Harness) -> None:
    nameless = ev.MemberJoined(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=harness.clock(),
        channel="C-data",
        member=ev.MemberProfile("U-nameless"),
    )
    assert await harness.dispatcher.handle(nameless) == "processed"
    await say(harness, "U-dan", "kudos U-nameless for the notes")
    assert await posts(harness) == [
        ("C-data", "🙌 Dan Okafor remercie <@U-nameless> : « the notes »")
    ], "the mention markup the playground shows as a name, never the bare id"
    # a member with a name is still named by it
    await say(harness, "U-dan", "kudos U-alice for the demo")
    assert (await posts(harness))[-1] == (
        "C-data",
        "🙌 Dan Okafor remercie Alice Martin : « the demo »",
    )
