"""Teams end to end: activities POSTed to the real /api/messages (botbuilder CloudAdapter),
sends through botbuilder's connector client to a fake Bot Connector on loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from adapters.teams.sender import IN_FLIGHT
from bot.app import ConfigurationError, build
from bot.runtime.clock import ManualClock
from bot.settings import Settings, TeamsSettings
from bot.vocabulary.events import WorkspaceRef
from playbooks.loader import load_library, parse_playbook
from storage.references import StoredReferences
from storage.tables import Answer, CommunityMember, Delivery
from tests.builders import EACH_MEMBER_MONDAY, seed_community
from tests.conftest import wait_for
from tests.fakes.bot_connector import FakeBotConnector, roster, route_matches
from tests.fakes.bot_identity import FakeBotIdentity
from tests.teams_support import (
    APP_ID,
    RITUALS,
    TEAM,
    TENANT,
    TeamsBot,
    activity,
    in_channel,
    question_buttons,
    running_teams_bot,
    seed_team_community,
)


@pytest_asyncio.fixture
async def teams_bot(database_url: str) -> AsyncIterator[TeamsBot]:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        await seed_team_community(bot.bot)
        yield bot


async def messages(bot: TeamsBot, user: str, count: int) -> list[dict[str, object]]:
    async def enough() -> list[dict[str, object]] | None:
        found = bot.messages_to(user)
        return found if len(found) >= count else None

    result: list[dict[str, object]] = await wait_for(enough, within=10)
    return result


async def test_the_bot_added_to_a_team_keeps_a_way_to_write_there(teams_bot: TeamsBot) -> None:
    await teams_bot.install_in_team()
    references = StoredReferences(teams_bot.bot.store)
    general = await references.get(WorkspaceRef("teams", TENANT), f"channel:{TEAM}")
    assert general is not None
    assert general["conversation"]["id"] == TEAM
    assert general["serviceUrl"] == teams_bot.connector.url


async def test_a_new_team_member_gets_the_welcome_in_a_new_one_to_one(teams_bot: TeamsBot) -> None:
    await teams_bot.install_in_team()
    status, _ = await teams_bot.add_member("29:1new", "Noor")
    assert status == 201
    welcome, question = await messages(teams_bot, "29:1new", 2)
    [created] = teams_bot.connector.created_conversations
    assert created["members"][0]["id"] == "29:1new"
    assert welcome["text"].startswith("Welcome to *Data*, Noor!")
    card = question["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert [a["title"] for a in question_buttons(card)] == ["I accept", "I don't accept"]
    assert {a["type"] for a in card["actions"]} == {"Action.Execute"}


async def test_a_card_click_moves_the_ritual_and_the_invoke_gets_200(teams_bot: TeamsBot) -> None:
    await teams_bot.install_in_team()
    await teams_bot.add_member("29:1new", "Noor")
    question = (await messages(teams_bot, "29:1new", 2))[1]

    status, body = await teams_bot.post(teams_bot.click(question, "I accept", "29:1new"))
    assert status == 200 and body["statusCode"] == 200
    shown = await messages(teams_bot, "29:1new", 3)
    updated = shown[1]["attachments"][0]["content"]
    assert "actions" not in updated and updated["body"][0]["text"].endswith("→ I accept")
    free_text = shown[2]["attachments"][0]["content"]
    assert [b["type"] for b in free_text["body"]] == ["TextBlock", "Input.Text"]

    status, _ = await teams_bot.post(teams_bot.answer(shown[2], "Meet ML people", "29:1new"))
    assert status == 200
    final = (await messages(teams_bot, "29:1new", 4))[3]
    assert "introduce yourself" in final["text"]
    async with teams_bot.bot.store.transaction() as tx:
        rows = (await tx.session.execute(select(Answer).order_by(Answer.id))).scalars().all()
    assert [(a.key, a.value) for a in rows] == [
        ("charter", "accept"),
        ("expectations", "Meet ML people"),
    ]


async def test_the_same_activity_twice_is_processed_once(teams_bot: TeamsBot) -> None:
    await teams_bot.install_in_team()
    added = activity("conversation_update_member_added", teams_bot.connector)
    added["membersAdded"] = [{"id": "29:1new", "name": "Noor"}]
    assert (await teams_bot.post(added))[0] == 201
    assert (await teams_bot.post(added))[0] == 201
    await messages(teams_bot, "29:1new", 2)
    await teams_bot.bot.worker.drain()
    assert len(teams_bot.messages_to("29:1new")) == 2
    assert len(teams_bot.connector.created_conversations) == 1


async def test_help_in_a_personal_chat_is_answered_there(teams_bot: TeamsBot) -> None:
    message = activity("message_personal", teams_bot.connector)
    assert (await teams_bot.post(message))[0] == 201
    [reply] = await teams_bot.connector.wait_for("send", timeout=10)
    assert reply.conversation_id == message["conversation"]["id"]
    assert reply.body is not None and reply.body["text"].startswith("Ce que vous pouvez faire")


async def test_a_member_who_blocked_the_bot_is_marked_unreachable(teams_bot: TeamsBot) -> None:
    await teams_bot.install_in_team()
    teams_bot.connector.block("29:1new")
    await teams_bot.add_member("29:1new", "Noor")

    async def statuses() -> list[str]:
        async with teams_bot.bot.store.transaction() as tx:
            rows = (await tx.session.execute(select(Delivery).order_by(Delivery.id))).scalars()
            return [d.status for d in rows.all()]

    assert await wait_for(lambda: _is(statuses, ["blocked", "blocked"]), within=10)
    async with teams_bot.bot.store.transaction() as tx:
        member = await tx.directory.member(1, "29:1new")
    assert member is not None and member.unreachable


async def test_throttled_sends_are_retried_after_retry_after(teams_bot: TeamsBot) -> None:
    await teams_bot.install_in_team()
    teams_bot.connector.fail_next("send", 429, retry_after=1)
    await teams_bot.add_member("29:1new", "Noor")
    shown = await messages(teams_bot, "29:1new", 2)
    assert shown[0]["text"].startswith("Welcome to *Data*"), "still in order after the retry"
    assert "attachments" in shown[1]
    assert [c.status for c in teams_bot.connector.calls_to("send")] == [429, 201, 201]


async def test_a_scheduled_ritual_reaches_a_60_member_team_within_limits(
    database_url: str,
) -> None:
    weekly = parse_playbook(EACH_MEMBER_MONDAY)
    monday = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # 09:30 in Paris (the default is UTC)
    clock = ManualClock(monday - timedelta(hours=1))
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(
            database_url,
            connector,
            clock=clock,
            playbooks={**load_library(), "monday": weekly},
            teams_tenant_rps=20,
        ) as bot,
    ):
        connector.enforce_rate(per_conversation_per_second=7)
        connector.set_roster(TEAM, roster(60))
        await seed_team_community(bot.bot, playbooks=("monday",))
        async with bot.bot.store.transaction() as tx:
            community = (await tx.directory.communities())[0]
            community.timezone = "Europe/Paris"
        await bot.install_in_team()
        clock.advance(timedelta(hours=1, seconds=5))
        await bot.bot.scheduler.tick()

        pages = connector.calls_to("get_paged_members")
        assert len(pages) == 1 and pages[0].query.get("pageSize") == "100"
        sends = await connector.wait_for("send", count=60, timeout=30)
        people = {
            str(c.body["recipient"]["id"]) for c in sends if c.body and c.body.get("recipient")
        }
        assert len(connector.created_conversations) == 60
        assert len(people) in (0, 60)
        assert connector.rate_violations == 0
        stamps = sorted(c.at for c in sends)
        busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
        # the pacer lets a burst of 20 go, then 20 a second; sends run concurrently, so a few
        # paced in one second may reach the connector in the next (at most those in flight)
        assert busiest <= 2 * 20 + IN_FLIGHT, "about tenant_rps a second after the first burst"


async def test_with_an_app_id_only_valid_tokens_get_in(database_url: str) -> None:
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
        reaction = activity("message_reaction_added", connector)
        assert (await bot.post(reaction))[0] == 401
        forged = identity.authorization(APP_ID, connector.url, signed_by_known_key=False)
        assert (await bot.post(reaction, forged))[0] == 401
        other_bot = identity.authorization(str(uuid.uuid4()), connector.url)
        assert (await bot.post(reaction, other_bot))[0] == 401
        assert connector.calls == []
        valid = identity.authorization(APP_ID, connector.url)
        assert (await bot.post(reaction, valid))[0] == 201


async def _is(probe: object, expected: object) -> bool:
    return bool(await probe() == expected)  # type: ignore[operator]


async def test_malformed_requests_get_clear_errors(teams_bot: TeamsBot) -> None:
    url = teams_bot.url + "/api/messages"
    async with teams_bot.http.post(url, data=b"hello", headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 415 and "application/json" in (await r.json())["error"]
    async with teams_bot.http.post(
        url, data=b"{oops", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400 and (await r.json())["error"] == "the body is not JSON"
    async with teams_bot.http.post(url, json={"text": "no type"}) as r:
        assert r.status == 400 and (await r.json())["error"] == "an activity needs a type"
    assert teams_bot.connector.calls == []


def test_anonymous_teams_is_refused_in_production() -> None:
    settings = Settings(env="production", teams_anonymous=True, _env_file=None)
    with pytest.raises(ConfigurationError, match="refused when ANIMATEUR_ENV=production"):
        build(settings, teams=TeamsSettings(_env_file=None))


async def test_community_setup_is_a_card_of_inputs_whose_submit_is_stored(
    teams_bot: TeamsBot,
) -> None:
    await teams_bot.install_in_team()
    async with teams_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
        community.facilitators = ["29:1abc"]
    setup = in_channel(activity("message_channel_mention", teams_bot.connector), TEAM)
    setup["text"] = "<at>Animateur</at> community setup"
    assert (await teams_bot.post(setup))[0] == 201
    [offered] = await messages(teams_bot, "29:1abc", 1)
    card = offered["attachments"][0]["content"]  # type: ignore[index]
    inputs = {b["id"]: b["value"] for b in card["body"] if b["type"] == "Input.Text"}
    assert (inputs["name"], inputs["target"], inputs["facilitators"]) == ("Data", "60", "29:1abc")

    submit = teams_bot.click(offered, "Enregistrer", "29:1abc")
    submit["value"]["action"]["data"] |= inputs | {"objective": "Partager vite", "target": "80"}
    status, body = await teams_bot.post(submit)
    assert status == 200 and body["statusCode"] == 200
    answer = (await messages(teams_bot, "29:1abc", 2))[1]
    assert answer["text"] == "Data mise à jour : objective, target."
    async with teams_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
    assert (community.objective, community.target_engagement) == ("Partager vite", 80)


async def test_a_facilitator_adds_a_mentioned_member_by_their_mention(teams_bot: TeamsBot) -> None:
    """``@Animateur facilitator add @Zoe Martin`` in a channel, as Teams sends it: Zoe's
    mention arrives as her user id (from the mention entity), the bot's own is dropped."""
    await teams_bot.install_in_team()
    await teams_bot.add_member("29:1zoe", "Zoe Martin")
    async with teams_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
        community.facilitators = ["29:1abc"]
    command = in_channel(activity("message_channel_mention_user", teams_bot.connector), TEAM)
    assert (await teams_bot.post(command))[0] == 201

    [answer] = await messages(teams_bot, "29:1abc", 1)
    assert answer["text"] == "29:1zoe anime désormais Data."
    async with teams_bot.bot.store.transaction() as tx:
        [community] = await tx.directory.communities()
    assert community.facilitators == ["29:1abc", "29:1zoe"]


#: Teams user and 1:1 conversation ids are this long (about 120 and 140 characters)
LONG_USER = "29:1" + "GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bPbpsfJjcbAD" * 2
LONG_CHAT = "a:1" + "Hd4-fU4vWkdLYw2YiZAWTbGPiFkVHexsnb7XnUlRVzrCq1QyBlNxdQXdkM5cvql" * 2 + "gsl8"


async def test_members_with_ids_as_long_as_teams_makes_them_are_served(
    teams_bot: TeamsBot,
) -> None:
    """The 64-character id columns refused real Teams members on PostgreSQL (HTTP 5xx)."""
    await teams_bot.install_in_team()
    assert (await teams_bot.add_member(LONG_USER, "Noor"))[0] == 201
    welcome, _question = await messages(teams_bot, LONG_USER, 2)
    assert welcome["text"].startswith("Welcome to *Data*, Noor!")

    message = activity("message_personal", teams_bot.connector)
    message["from"] = {"id": LONG_USER, "name": "Noor"}
    message["conversation"] = {"id": LONG_CHAT, "conversationType": "personal", "tenantId": TENANT}
    assert (await teams_bot.post(message))[0] == 201
    [reply] = await teams_bot.connector.wait_for(
        lambda call: route_matches("send", call.route) and call.conversation_id == LONG_CHAT,
        timeout=10,
    )
    assert reply.body is not None and reply.body["text"].startswith("Ce que vous pouvez faire")


async def test_another_bot_added_to_the_team_is_no_member_a_person_added_with_it_is(
    teams_bot: TeamsBot,
) -> None:
    await teams_bot.install_in_team()
    added = activity("conversation_update_member_added", teams_bot.connector)
    added["membersAdded"] = [{"id": "28:other-app", "name": "Polly"}, {"id": "29:1new"}]
    assert (await teams_bot.post(added))[0] == 201
    await messages(teams_bot, "29:1new", 2)
    await teams_bot.bot.worker.drain()
    async with teams_bot.bot.store.read() as tx:
        members = (await tx.session.execute(select(CommunityMember))).scalars().all()
    assert {m.user_id for m in members} == {"29:1new"}
    assert teams_bot.messages_to("28:other-app") == []


async def test_a_member_added_to_the_team_joins_each_of_its_channels_communities(
    teams_bot: TeamsBot,
) -> None:
    await teams_bot.install_in_team()
    # a second community on another standard channel of the team, where the bot was mentioned
    await seed_community(teams_bot.bot, WorkspaceRef("teams", TENANT), RITUALS, ())
    posted = in_channel(activity("message_channel_mention", teams_bot.connector), RITUALS)
    assert (await teams_bot.post(posted))[0] == 201
    await teams_bot.bot.worker.drain()

    assert (await teams_bot.add_member("29:1new", "Noor"))[0] == 201
    await messages(teams_bot, "29:1new", 2)
    await teams_bot.bot.worker.drain()
    async with teams_bot.bot.store.read() as tx:
        rows = (await tx.session.execute(select(CommunityMember))).scalars().all()
        names = {c.id: c.channel_id for c in await tx.directory.communities(1)}
    joined = {(names[m.community_id], m.user_id) for m in rows if m.present}
    assert {(TEAM, "29:1new"), (RITUALS, "29:1new")} <= joined
