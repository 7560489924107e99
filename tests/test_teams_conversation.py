"""Teams: a team's conversation (channel messages, thread replies, reactions, edits,
deletions), as Teams sends it with the resource-specific consent, reaches the dispatcher as
neutral events through botbuilder; the roster holds people only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from bot.vocabulary import events as ev
from bot.vocabulary.ports import PlatformUnavailable
from storage.references import StoredReferences
from tests.dispatched import record_dispatched
from tests.fakes.bot_connector import FakeBotConnector, roster, teams_member
from tests.teams_support import (
    BOT,
    TEAM,
    TENANT,
    TeamsBot,
    activity,
    running_teams_bot,
    seed_team_community,
)

WORKSPACE = ev.WorkspaceRef("teams", TENANT)
ROOT = "1709545000001"


@pytest_asyncio.fixture
async def teams_bot(database_url: str) -> AsyncIterator[TeamsBot]:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        await seed_team_community(bot.bot)
        yield bot


def ada(locale: str | None = "fr-FR", timezone: str | None = "Europe/Paris") -> ev.MemberProfile:
    return ev.MemberProfile("29:1abc", "Ada Lovelace", locale, timezone)


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


async def post(bot: TeamsBot, name: str, **changes: object) -> None:
    """The fixture ``name`` as Teams posts it (its own id kept unless changed)."""
    found = activity(name, bot.connector)
    original = activity(name, bot.connector)
    status, _ = await bot.post(found | {"id": original["id"]} | changes)
    assert status in (200, 201), status


async def test_a_thread_reply_and_a_reaction_reach_the_dispatcher_as_teams_sent_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched = record_dispatched(monkeypatch)
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        await seed_team_community(bot.bot)
        await post(bot, "message_channel_question", id=ROOT)
        await post(bot, "message_channel_reply", id="1709545330250")
        await post(bot, "message_reaction_added", id="f:reaction-1", replyToId=ROOT)
        await post(bot, "message_update_edit", id=ROOT)
        await post(bot, "message_delete", id=ROOT)

    grace = ev.MemberProfile("29:1grace", "Grace Hopper", "fr-FR", "Europe/Paris")
    assert dispatched == [
        ev.MessagePosted(
            workspace=WORKSPACE,
            key=f"activity:{ROOT}",
            occurred_at=at("2024-03-04T10:00:00.001"),
            channel=TEAM,
            member=ada(),
            message_id=ROOT,
            is_question=True,
        ),
        ev.MessagePosted(
            workspace=WORKSPACE,
            key="activity:1709545330250",
            occurred_at=at("2024-03-04T10:05:30.25"),
            channel=TEAM,
            member=grace,
            message_id="1709545330250",
            thread=ROOT,
            parent_author=None,  # Teams does not say: the runtime knows it from the record
            is_question=False,
        ),
        ev.ReactionAdded(
            workspace=WORKSPACE,
            key="activity:f:reaction-1:reactionsAdded:0",
            occurred_at=at("2024-03-04T09:45:12.321"),
            channel="19:rituals-7f3a2c@thread.tacv2",
            member=ada(None, None),
            reaction="like",
            message_id=ROOT,
        ),
        ev.MessageEdited(
            workspace=WORKSPACE,
            key=f"activity:{ROOT}:edited:2024-03-04T10:30:00.123000+00:00",
            occurred_at=at("2024-03-04T10:30:00.123"),
            channel=TEAM,
            member=ada(),
            message_id=ROOT,
            is_question=False,
        ),
        ev.MessageDeleted(
            workspace=WORKSPACE,
            key=f"activity:{ROOT}:deleted",
            occurred_at=at("2024-03-04T10:40:00.456"),
            channel=TEAM,
            message_id=ROOT,
            member=ada(),
        ),
    ]


async def test_a_teams_chatter_writes_no_conversation_reference(teams_bot: TeamsBot) -> None:
    """Every channel message arrives now: only what the bot answers to keeps a reference."""
    references = StoredReferences(teams_bot.bot.store)
    await post(teams_bot, "message_channel_question", id=ROOT)
    await post(teams_bot, "message_channel_reply", id="1709545330250")
    assert await references.get(WORKSPACE, f"conversation:{TEAM};messageid={ROOT}") is None

    await post(teams_bot, "message_channel_mention")  # a command: answered where it was asked
    asked = "19:rituals-7f3a2c@thread.tacv2;messageid=1709544340102"
    assert await references.get(WORKSPACE, f"conversation:{asked}") is not None


async def test_the_team_roster_holds_people_not_bots(teams_bot: TeamsBot) -> None:
    people = roster(3)
    other_bot = teams_member(99, name="CI bot") | {"id": "28:5e6f7a8b-other-bot"}
    myself = teams_member(98, name="Animateur") | {"id": BOT}
    teams_bot.connector.set_roster(TEAM, [*people, other_bot, myself])
    await teams_bot.install_in_team()
    assert teams_bot.bot.teams is not None
    found = await teams_bot.bot.teams.members(WORKSPACE, TEAM)
    assert [m.user_id for m in found] == [p["id"] for p in people]


async def test_a_team_the_bot_is_not_in_has_no_roster_rather_than_an_empty_one(
    teams_bot: TeamsBot,
) -> None:
    assert teams_bot.bot.teams is not None
    with pytest.raises(PlatformUnavailable, match="no reference to this channel"):
        await teams_bot.bot.teams.members(WORKSPACE, TEAM)
    teams_bot.connector.set_roster(TEAM, roster(2))
    await teams_bot.install_in_team()
    assert len(await teams_bot.bot.teams.members(WORKSPACE, TEAM)) == 2
