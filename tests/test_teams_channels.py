"""Teams: a community is one channel of a team — the one ``community setup`` was sent from
(General when sent from General). Its messages, its rituals' posts and its roster are that
channel's; who added the app to the team may declare any of the team's channels; a community
in General and another in a second channel of the same team stay apart. Through botbuilder,
against the fake Bot Connector."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.vocabulary import events as ev
from playbooks.loader import load_library, parse_playbook
from storage.tables import ActivityRecord, Community
from tests.builders import T0, seed_community
from tests.conftest import wait_for
from tests.fakes.bot_connector import FakeBotConnector, roster, route_matches
from tests.teams_support import (
    RITUALS,
    TEAM,
    TENANT,
    TeamsBot,
    activity,
    in_channel,
    running_teams_bot,
)
from tests.test_rituals_run import GATHERING

WORKSPACE = ev.WorkspaceRef("teams", TENANT)
#: a private channel of TEAM: its own members, not the team's
PRIVATE = "19:private-9c1d@thread.tacv2"
STAMP = T0.isoformat().replace("+00:00", "Z")


async def command(bot: TeamsBot, user: str, words: str, channel: str) -> None:
    """``@Animateur <words>`` sent by ``user`` in ``channel`` of TEAM."""
    message = in_channel(activity("message_channel_mention", bot.connector), channel)
    message["text"] = f"<at>Animateur</at> {words}"
    message["from"] = {"id": user, "name": user}
    message["entities"] = message["entities"][:1]  # the mention; this member's client is en
    assert (await bot.post(message))[0] == 201


async def reply(bot: TeamsBot, user: str, count: int) -> str:
    async def enough() -> list[dict[str, Any]] | None:
        found = bot.messages_to(user)
        return found if len(found) >= count else None

    messages: list[dict[str, Any]] = await wait_for(enough, within=10)
    return str(messages[count - 1].get("text") or "")


async def post_message(bot: TeamsBot, message_id: str, channel: str) -> None:
    """A member's plain message (no command) in ``channel``, as Teams sends it with the RSC."""
    message = in_channel(activity("message_channel_question", bot.connector), channel)
    message |= {"id": message_id, "timestamp": STAMP}
    message["conversation"]["id"] = f"{channel};messageid={message_id}"
    assert (await bot.post(message))[0] == 201


async def communities(bot: TeamsBot) -> dict[str, str]:
    async with bot.bot.store.transaction() as tx:
        return {c.channel_id: c.name for c in await tx.directory.communities()}


async def recorded(bot: TeamsBot) -> dict[str, set[str]]:
    """The message ids recorded in each community (by its channel)."""
    async with bot.bot.store.transaction() as tx:
        rows = await tx.session.execute(
            select(Community.channel_id, ActivityRecord.message_id)
            .join(Community, Community.id == ActivityRecord.community_id)  # type: ignore[arg-type]
            .where(ActivityRecord.message_id.is_not(None))  # type: ignore[union-attr]
        )
        found: dict[str, set[str]] = {}
        for channel, message_id in rows.all():
            found.setdefault(channel, set()).add(message_id)
        return found


async def test_setup_from_a_second_channel_declares_it_and_general_stays_its_own(
    database_url: str,
) -> None:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        connector.set_channels(TEAM, [TEAM, {"id": RITUALS, "name": "Rituals"}])
        connector.set_roster(TEAM, roster(3))
        await bot.install_in_team()  # added by 29:1abc: they may declare the team's channels
        await command(bot, "29:2other", "community setup name=Rituals", RITUALS)
        assert (await reply(bot, "29:2other", 1)).startswith("Only the channel's creator")
        await command(bot, "29:1abc", "community setup name=Rituals", RITUALS)
        assert (await reply(bot, "29:1abc", 1)).startswith("Rituals is now an Animateur community")
        assert await communities(bot) == {RITUALS: "Rituals"}, "the channel, not the team"

        await command(bot, "29:1abc", "community setup name=General", TEAM)
        assert (await reply(bot, "29:1abc", 2)).startswith("General is now an Animateur community")
        assert await communities(bot) == {RITUALS: "Rituals", TEAM: "General"}

        await post_message(bot, "1764000000001", RITUALS)
        await post_message(bot, "1764000000002", TEAM)
        await post_message(bot, "1764000000003", RITUALS)
        assert await recorded(bot) == {
            RITUALS: {"1764000000001", "1764000000003"},
            TEAM: {"1764000000002"},
        }

        # a command in a channel is about that channel's community
        await command(bot, "29:1abc", "community setup name=Rituels", RITUALS)
        # (in French now: Ada's posts came from a French client)
        assert await reply(bot, "29:1abc", 3) == "Rituels mise à jour : name."
        assert await communities(bot) == {RITUALS: "Rituels", TEAM: "General"}


async def test_a_ritual_of_a_second_channels_community_posts_in_that_channel(
    database_url: str,
) -> None:
    library = {**load_library(), "gathering": parse_playbook(GATHERING)}
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector, clock=ManualClock(T0), playbooks=library) as bot,
    ):
        connector.set_channels(TEAM, [TEAM, RITUALS])
        await seed_community(bot.bot, WORKSPACE, RITUALS, ("gathering",))
        async with bot.bot.store.transaction() as tx:
            [community] = await tx.directory.communities()
            community.facilitators = ["29:1fac"]
        await bot.install_in_team()
        await command(bot, "29:1fac", "rituals run gathering", RITUALS)  # its facilitator
        assert (await reply(bot, "29:1fac", 1)).startswith("Open gathering starts now in Data")

        def in_rituals(call: Any) -> bool:
            return route_matches("send", call.route) and call.conversation_id == RITUALS

        [posted] = await connector.wait_for(in_rituals, timeout=10)
        assert posted.body is not None and posted.body["text"] == "Gathering today at noon!"
        assert connector.sent_activities(TEAM) == [], "nothing in General"


async def test_a_channels_roster_is_the_teams_for_a_standard_channel_its_own_for_a_private_one(
    database_url: str,
) -> None:
    team, private = roster(5), roster(2)
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        connector.set_channels(TEAM, [TEAM, RITUALS, PRIVATE])
        connector.set_roster(TEAM, team)
        connector.set_roster(PRIVATE, private)
        await bot.install_in_team()
        for channel in (RITUALS, PRIVATE):
            await command(bot, "29:1abc", "help", channel)  # the bot hears from the channel
        assert bot.bot.teams is not None
        ids = [m["id"] for m in team]
        for channel, expected in ((TEAM, ids), (RITUALS, ids), (PRIVATE, ids[:2])):
            found = await bot.bot.teams.members(WORKSPACE, channel)
            assert [m.user_id for m in found] == expected, channel
        read = {c.conversation_id for c in connector.calls_to("get_paged_members")}
        assert read == {TEAM, RITUALS, PRIVATE}, "each channel's own conversation"

        # the private channel's community takes its facilitators from its own members
        await command(bot, "29:1abc", "community setup name=Board", PRIVATE)
        assert (await reply(bot, "29:1abc", 3)).startswith("Board is now an Animateur community")
        await command(bot, "29:1abc", f"facilitator add {ids[4]}", PRIVATE)
        assert (await reply(bot, "29:1abc", 4)).startswith(f"{ids[4]}: not a member")
        await command(bot, "29:1abc", f"facilitator add {ids[1]}", PRIVATE)
        assert await reply(bot, "29:1abc", 5) == f"{ids[1]} now facilitates Board."


async def test_reads_of_one_channels_roster_at_the_same_moment_share_one_reading(
    database_url: str,
) -> None:
    """A ritual's launch and the daily roster read asking at once: one paged read, both served."""
    team = roster(5)
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        connector.set_roster(TEAM, team)
        await bot.install_in_team()
        assert bot.bot.teams is not None
        first, second = await asyncio.gather(
            bot.bot.teams.members(WORKSPACE, TEAM), bot.bot.teams.members(WORKSPACE, TEAM)
        )
        ids = [m["id"] for m in team]
        assert [m.user_id for m in first] == ids and [m.user_id for m in second] == ids
        assert len(connector.calls_to("get_paged_members")) == 1
