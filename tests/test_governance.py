"""Who may run a community, through the real stacks: Bolt against the fake Slack Web API
(conversations.info, users.info), botbuilder against the fake Bot Connector."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import select

from adapters.slack import profiles
from adapters.slack.profiles import ProfileCache
from bot.app import build
from bot.settings import Settings, SlackSettings
from bot.vocabulary.events import WorkspaceRef
from storage.store import Store
from storage.tables import Community, RosterSync
from tests.builders import T0
from tests.conftest import serving, wait_for
from tests.fakes.bot_connector import FakeBotConnector, roster
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import (
    BOT_USER,
    SECRET,
    TEAM,
    TOKEN,
    SlackBot,
    fixture,
    seed_slack_community,
)
from tests.teams_support import TEAM as TEAMS_TEAM
from tests.teams_support import TeamsBot, activity, in_channel, running_teams_bot

GUILD = "C0GUILD"  # a channel created by U0005, the bot invited
OUTSIDE = "C0OUTSIDE"  # a channel created by U0005, the bot not invited
_keys = itertools.count()


@asynccontextmanager
async def slack_bot(database_url: str, **settings: Any) -> AsyncIterator[SlackBot]:
    """The bot on the fake Slack: the seeded community "Data" on C0001 (facilitator U0009), two
    channels created by U0005, and members U0005 (creator), U0006, U0007 (admin), U0009."""
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        for user, name in (("U0005", "cleo"), ("U0006", "paul"), ("U0009", "dan")):
            slack.add_user(TEAM, user, name)
        slack.add_user(TEAM, "U0007", "ines")["is_admin"] = True
        slack.add_user(TEAM, "U0008", "gone", deleted=True)
        slack.add_channel(TEAM, GUILD, "guild", "U0005", members=["U0005", BOT_USER])
        slack.add_channel(TEAM, OUTSIDE, "outside", "U0005", members=["U0005"])
        config = Settings(
            database_url=database_url,
            playground=False,
            tick_seconds=0.2,
            slack_api_url=slack.api_url,
            pulse_notices=False,  # they follow the real clock: tested virtually
            _env_file=None,
            **settings,
        )
        credentials = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        bot = build(config, slack=credentials)
        async with serving(bot) as (url, _app), ClientSession() as http:
            running = SlackBot(url, bot, slack, http, [])
            await seed_slack_community(bot)
            yield running


async def command(bot: SlackBot, user: str, text: str, channel: str = GUILD) -> str:
    """``/animateur <text>`` typed by ``user``: the private answer (through response_url)."""
    name = f"r{next(_keys)}"
    body = fixture("command_help") | {
        "user_id": user,
        "channel_id": channel,
        "text": text,
        "trigger_id": f"trigger-{name}",
        "response_url": bot.slack.response_url(name),
    }
    assert (await bot.form(body)).status == 200

    async def answered() -> str | None:
        for response in bot.slack.responses:
            if f"/{name}/" in response["path"]:
                return str(response["text"])
        return None

    answer: str = await wait_for(answered)
    return answer


async def communities(bot: SlackBot) -> dict[str, Community]:
    async with bot.bot.store.transaction() as tx:
        return {c.channel_id: c for c in await tx.directory.communities()}


# -- declaring a community on Slack ---------------------------------------------------------


async def test_only_the_creator_an_admin_or_the_allow_list_declare_a_channel(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        refused = await command(bot, "U0006", 'community setup name="Guild"')
        assert refused.startswith("Only the channel's creator, the workspace's administrators")
        assert GUILD not in await communities(bot)
        created = await command(bot, "U0005", 'community setup name="Guild"')
        assert created.startswith("Guild is now an Animateur community, and you facilitate it.")
        assert (await communities(bot))[GUILD].facilitators == ["U0005"]
        info = bot.slack.calls_to("conversations.info")
        assert info and info[-1].args["channel"] == GUILD


async def test_a_workspace_admin_declares_any_channel_the_bot_is_in(database_url: str) -> None:
    async with slack_bot(database_url) as bot:
        outside = await command(bot, "U0007", "community setup name=Outside", OUTSIDE)
        assert outside.startswith("Invite @Animateur to this channel first")
        reply = await command(bot, "U0007", 'community setup name="Guild"')
        assert reply.startswith("Guild is now an Animateur community")


async def test_the_allow_list_lets_the_people_it_names_declare(database_url: str) -> None:
    async with slack_bot(database_url, community_creators="U0006, U0042") as bot:
        refused = await command(bot, "U0009", "community setup name=Guild")
        assert refused.startswith("Only the channel's creator")
        assert (await command(bot, "U0006", "community setup name=Guild")).startswith(
            "Guild is now"
        )


async def test_the_allow_list_may_open_declaring_to_everyone(database_url: str) -> None:
    async with slack_bot(database_url, community_creators="everyone") as bot:
        outside = await command(bot, "U0009", "community setup name=Outside", OUTSIDE)
        assert outside.startswith("Invite @Animateur"), "the bot must be there all the same"
        assert (await command(bot, "U0009", "community setup name=Guild")).startswith(
            "Guild is now"
        )


async def test_a_channel_the_bot_is_not_in_answers_invite_it_first(database_url: str) -> None:
    async with slack_bot(database_url) as bot:
        reply = await command(bot, "U0005", "community setup name=Outside", OUTSIDE)
        assert reply == (
            "Invite @Animateur to this channel first (type /invite @Animateur in the channel), "
            "then try again."
        )
        offer = await command(bot, "U0005", "community setup", OUTSIDE)
        assert offer.startswith("Invite @Animateur"), "no form either"
        assert OUTSIDE not in await communities(bot)
        bot.slack.channels[(TEAM, OUTSIDE)]["members"].append(BOT_USER)  # /invite @Animateur
        reply = await command(bot, "U0005", "community setup name=Outside", OUTSIDE)
        assert reply.startswith("Outside is now an Animateur community")


async def test_a_private_channel_the_bot_cannot_see_answers_invite_it_first(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        bot.slack.add_channel(TEAM, "G0SECRET", "secret", "U0005", is_private=True)
        reply = await command(bot, "U0005", "community setup name=Secret", "G0SECRET")
        assert reply.startswith("Invite @Animateur to this channel first")
        assert bot.slack.calls_to("conversations.info")[-1].error == "channel_not_found"
        bot.slack.channels[(TEAM, "G0SECRET")]["members"].append(BOT_USER)
        reply = await command(bot, "U0005", "community setup name=Secret", "G0SECRET")
        assert reply.startswith("Secret is now an Animateur community")


@pytest.mark.parametrize("failure", ["internal_error", "ratelimited"])
async def test_when_slack_cannot_tell_the_command_says_so_and_a_retry_works(
    database_url: str, failure: str
) -> None:
    async with slack_bot(database_url) as bot:
        if failure == "ratelimited":
            bot.slack.rate_limit_next("conversations.info", retry_after=1)
        else:
            bot.slack.fail_next("conversations.info", failure)
        reply = await command(bot, "U0005", "community setup name=Guild")
        assert reply == (
            "Could not check this with the platform just now; nothing was changed. "
            "Please try again in a moment."
        )
        assert GUILD not in await communities(bot)
        again = await command(bot, "U0005", "community setup name=Guild")
        assert again.startswith("Guild is now an Animateur community")


async def test_declaring_with_new_facilitators_and_new_sponsors_asks_slack_once(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        # paul (U0006) and ines (U0007) are people of the workspace the bot never met
        reply = await command(
            bot,
            "U0005",
            "community setup name=Guild facilitators=<@U0005>,<@U0006> sponsors=<@U0007>",
        )
        assert reply.startswith("Guild is now an Animateur community"), reply
        guild = (await communities(bot))[GUILD]
        assert guild.facilitators == ["U0005", "U0006"] and guild.sponsors == ["U0007"]
        asked = [call.args["user"] for call in bot.slack.calls_to("users.info")]
        assert {"U0006", "U0007"} <= set(asked)
        assert len(bot.slack.calls_to("conversations.info")) == 1


async def test_a_hanging_slack_still_gets_its_answer_within_the_3_second_window(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        # the invoker's profile lookup, then conversations.info and users.info of paul: all hang
        bot.slack.hang_next("users.info", 30, count=3)
        bot.slack.hang_next("conversations.info", 30)
        body = fixture("command_help") | {
            "user_id": "U0005",
            "channel_id": GUILD,
            "text": "community setup name=Guild facilitators=<@U0006>",
            "trigger_id": "trigger-hang",
            "response_url": bot.slack.response_url("hang"),
        }
        started = asyncio.get_running_loop().time()
        assert (await bot.form(body)).status == 200
        assert asyncio.get_running_loop().time() - started < 3.0, "Slack's window"
        bot.slack.release_hangs()

        async def answered() -> str | None:
            found = [r for r in bot.slack.responses if "/hang/" in r["path"]]
            return str(found[0]["text"]) if found else None

        assert (await wait_for(answered)).startswith("Could not check this with the platform")
        assert GUILD not in await communities(bot)
        again = await command(bot, "U0005", "community setup name=Guild facilitators=<@U0006>")
        assert again.startswith("Guild is now an Animateur community")


# -- facilitators and sponsors are members -------------------------------------------------


async def test_a_stored_person_slack_has_deactivated_is_no_member(database_url: str) -> None:
    async with slack_bot(database_url) as bot:
        assert (await command(bot, "U0006", "help", "C0001")).strip()  # paul is stored now
        bot.slack.users[(TEAM, "U0006")]["deleted"] = True  # then deactivated in Slack
        refused = await command(bot, "U0009", "facilitator add <@U0006|paul>", "C0001")
        assert refused.startswith("U0006: not a member")
        assert (await communities(bot))["C0001"].facilitators == ["U0009"]
        # a stored person Slack still knows is added
        assert (await command(bot, "U0005", "help", "C0001")).strip()
        added = await command(bot, "U0009", "facilitator add <@U0005|cleo>", "C0001")
        assert added == "U0005 now facilitates Data."


async def test_only_people_of_the_workspace_become_facilitators_on_slack(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        ghost = await command(bot, "U0009", "facilitator add <@U0GHOST|ghost>", "C0001")
        assert ghost == "U0GHOST: not a member of this workspace (mention a member: @name)"
        gone = await command(bot, "U0009", "facilitator add <@U0008|gone>", "C0001")
        assert gone.startswith("U0008: not a member"), "a deactivated account"
        bot_user = await command(bot, "U0009", f"facilitator add <@{BOT_USER}>", "C0001")
        assert bot_user.startswith(f"{BOT_USER}: not a member"), "a bot"
        assert (await communities(bot))["C0001"].facilitators == ["U0009"]
        # someone the bot never met, whom Slack knows: confirmed by users.info
        added = await command(bot, "U0009", "facilitator add <@U0006|paul>", "C0001")
        assert added == "U0006 now facilitates Data."
        sponsors = await command(bot, "U0009", "community setup sponsors=<@U0GHOST|x>", "C0001")
        assert sponsors.splitlines()[0].startswith("sponsors: U0GHOST: not a member")
        removed = await command(bot, "U0009", "facilitator remove U0009", "C0001")
        assert removed == "U0009 no longer facilitates Data."
        assert (await communities(bot))["C0001"].facilitators == ["U0006"]


# -- admin rights are fresh ------------------------------------------------------------------


async def test_a_demoted_admin_loses_rights_within_the_short_cache(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles, "ADMIN_TTL", 0.3)
    async with slack_bot(database_url) as bot:
        assert await command(bot, "U0007", "community setup target=80", "C0001") == (
            "Data updated: target."
        )
        bot.slack.users[(TEAM, "U0007")]["is_admin"] = False  # demoted in Slack
        await asyncio.sleep(0.5)  # past the admin cache (one minute in production)
        refused = await command(bot, "U0007", "community setup target=10", "C0001")
        assert refused == "Only the facilitators of Data can do that (U0009)."
        assert (await communities(bot))["C0001"].target_engagement == 80


async def test_admin_flags_are_cached_a_minute_other_profiles_an_hour() -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    now = [1000.0]
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0007", "ines")["is_admin"] = True
        slack.add_user(TEAM, "U0006", "paul")
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url)
        cache = ProfileCache(clock=lambda: now[0])
        assert (await cache.get(client, TEAM, "U0007")).is_admin is True
        await cache.get(client, TEAM, "U0006")
        slack.users[(TEAM, "U0007")]["is_admin"] = False
        now[0] += 59
        assert (await cache.get(client, TEAM, "U0007")).is_admin is True, "cached a minute"
        now[0] += 2
        assert (await cache.get(client, TEAM, "U0007")).is_admin is False, "asked again"
        await cache.get(client, TEAM, "U0006")
        asked = [c.args["user"] for c in slack.calls_to("users.info")]
        assert asked == ["U0007", "U0006", "U0007"], "a member's profile stays cached"


# -- Teams: who added the app to the team ------------------------------------------------------


async def _teams_reply(bot: TeamsBot, user: str, count: int) -> str:
    async def enough() -> list[dict[str, Any]] | None:
        found = bot.messages_to(user)
        return found if len(found) >= count else None

    messages: list[dict[str, Any]] = await wait_for(enough, within=10)
    return str(messages[count - 1].get("text") or "")


async def _teams_command(bot: TeamsBot, user: str, words: str) -> None:
    """``@Animateur <words>`` in the team's General channel (tests/test_teams_channels.py: in
    another channel)."""
    message = in_channel(activity("message_channel_mention", bot.connector), TEAMS_TEAM)
    message["text"] = f"<at>Animateur</at> {words}"
    message["from"] = {"id": user, "name": user}
    message["entities"] = message["entities"][:1]  # the mention; this member's client is en
    assert (await bot.post(message))[0] == 201


async def test_on_teams_who_added_the_app_declares_the_team_others_may_not(
    database_url: str,
) -> None:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        await bot.install_in_team()  # added by 29:1abc
        await _teams_command(bot, "29:2other", "community setup name=Guild")
        refused = await _teams_reply(bot, "29:2other", 1)
        assert refused.startswith("Only the channel's creator, the workspace's administrators")
        async with bot.bot.store.transaction() as tx:
            assert list(await tx.directory.communities()) == []
        await _teams_command(bot, "29:1abc", "community setup name=Guild")
        created = await _teams_reply(bot, "29:1abc", 1)
        assert created.startswith("Guild is now an Animateur community")
        async with bot.bot.store.transaction() as tx:
            [community] = await tx.directory.communities()
        assert (community.channel_id, community.facilitators) == (TEAMS_TEAM, ["29:1abc"])


async def test_on_teams_the_allow_list_also_declares(database_url: str) -> None:
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector, community_creators="29:2other") as bot,
    ):
        await bot.install_in_team()
        await _teams_command(bot, "29:3third", "community setup name=Guild")
        assert (await _teams_reply(bot, "29:3third", 1)).startswith("Only the channel's creator")
        await _teams_command(bot, "29:2other", "community setup name=Guild")
        assert (await _teams_reply(bot, "29:2other", 1)).startswith("Guild is now")


async def test_on_teams_only_people_of_the_team_become_facilitators(database_url: str) -> None:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        connector.set_roster(TEAMS_TEAM, roster(3))
        await bot.install_in_team()  # added by 29:1abc
        await _teams_command(bot, "29:1abc", "community setup name=Guild")
        await _teams_reply(bot, "29:1abc", 1)
        await _teams_command(bot, "29:1abc", "facilitator add 29:ghost")
        refused = await _teams_reply(bot, "29:1abc", 2)
        assert refused == "29:ghost: not a member of this workspace (mention a member: @name)"
        member = str(roster(1)[0]["id"])
        await _teams_command(bot, "29:1abc", f"facilitator add {member}")
        assert await _teams_reply(bot, "29:1abc", 3) == f"{member} now facilitates Guild."
        async with bot.bot.store.transaction() as tx:
            [community] = await tx.directory.communities()
        assert community.facilitators == ["29:1abc", member]


async def _roster_read(bot: Any) -> bool:
    async with bot.bot.store.transaction() as tx:
        rows = (await tx.session.execute(select(RosterSync))).scalars().all()
    return any(row.synced_at is not None for row in rows)


async def test_on_teams_someone_who_left_the_team_is_no_member(database_url: str) -> None:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        connector.set_roster(TEAMS_TEAM, roster(3))
        await bot.install_in_team()  # added by 29:1abc
        await _teams_command(bot, "29:1abc", "community setup name=Guild")
        await _teams_reply(bot, "29:1abc", 1)
        await _teams_command(bot, "29:left", "help")  # stored: they once talked to the bot…
        await _teams_reply(bot, "29:left", 1)
        # the community's members are read from the roster once it is declared (by the
        # scheduler's next look, at most a minute later: here, now); forget that reading, so
        # that the command below has to read the roster itself
        await bot.bot.scheduler.read_rosters_now()
        await wait_for(lambda: _roster_read(bot))  # or the pass under way finishes it
        assert bot.bot.teams is not None
        bot.bot.teams._rosters.clear()
        # …and are no longer on the team's roster: three people named at once, one reading
        reads = len(connector.calls_to("get_paged_members"))
        people = ",".join(str(m["id"]) for m in roster(3, start=2)[:2])
        await _teams_command(bot, "29:1abc", f"community setup sponsors={people},29:left")
        assert (await _teams_reply(bot, "29:1abc", 2)).startswith("sponsors: 29:left: not a")
        assert len(connector.calls_to("get_paged_members")) - reads == 1
        await _teams_command(bot, "29:1abc", "facilitator add 29:left")
        refused = await _teams_reply(bot, "29:1abc", 3)
        assert refused == "29:left: not a member of this workspace (mention a member: @name)"
        await _teams_command(bot, "29:1abc", f"community setup sponsors={people}")
        assert await _teams_reply(bot, "29:1abc", 4) == "Guild updated: sponsors."
        async with bot.bot.store.transaction() as tx:
            [community] = await tx.directory.communities()
        assert community.facilitators == ["29:1abc"] and community.sponsors == people.split(",")


# -- setup forms are bound to their community and its version (Slack modals) -----------------


async def open_setup_modal(bot: SlackBot, user: str, channel: str = "C0001") -> dict[str, Any]:
    """``/animateur community setup``, then a click on its button: the modal Slack opens."""
    name = f"r{next(_keys)}"
    body = fixture("command_help") | {
        "user_id": user,
        "channel_id": channel,
        "text": "community setup",
        "trigger_id": f"trigger-{name}",
        "response_url": bot.slack.response_url(name),
    }
    assert (await bot.form(body)).status == 200

    async def offered() -> dict[str, Any] | None:
        return next((r for r in bot.slack.responses if f"/{name}/" in r["path"]), None)

    offer = await wait_for(offered)
    actions = next(b for b in offer["blocks"] if b["type"] == "actions")
    opening = fixture("block_actions")
    del opening["message"]  # Slack sends none for a click in an ephemeral message
    opening["user"]["id"] = user
    opening["container"] |= {"channel_id": channel, "is_ephemeral": True}
    opening["actions"] = [{**actions["elements"][0], "block_id": actions["block_id"]}]
    opening["trigger_id"] = f"trigger-open-{name}"
    before = len(bot.slack.calls_to("views.open"))
    assert (await bot.interaction(opening)).status == 200
    opened = await bot.slack.wait_for_call("views.open", before + 1)
    view: dict[str, Any] = opened[-1].args["view"]
    return view


async def submit_modal(bot: SlackBot, user: str, view: dict[str, Any], **typed: str) -> str:
    """The modal submitted with ``typed`` changes: the answer the member gets by DM."""
    submission = fixture("view_submission")
    submission["user"]["id"] = user
    submission["trigger_id"] = f"trigger-submit-{next(_keys)}"
    submission["view"] |= {
        "id": f"V{next(_keys)}",
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
    }
    submission["view"]["state"]["values"] = {
        b["block_id"]: {
            b["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": typed.get(b["block_id"].removesuffix("_block"))
                or b["element"].get("initial_value"),
            }
        }
        for b in view["blocks"]
    }
    before = len(_dms(bot, user))
    reply = await bot.interaction(submission)
    assert (reply.status, reply.body) == (200, ""), "the modal closes"
    answers = await wait_for(lambda: _more(_dms(bot, user), before))
    return str(answers[-1].args["text"])


def _dms(bot: SlackBot, user: str) -> list[Any]:
    return [c for c in bot.slack.calls_to("chat.postMessage") if c.args.get("channel") == user]


async def _more(found: list[Any], before: int) -> list[Any] | None:
    return found if len(found) > before else None


async def test_a_stale_modal_is_refused_a_fresh_one_works(database_url: str) -> None:
    async with slack_bot(database_url) as bot:
        stale = await open_setup_modal(bot, "U0009")
        newer = await open_setup_modal(bot, "U0009")
        assert await submit_modal(bot, "U0009", newer, target="75") == "Data updated: target."
        refused = await submit_modal(bot, "U0009", stale, objective="an older idea")
        assert refused.startswith("This form is out of date: Data has changed since it was opened.")
        community = (await communities(bot))["C0001"]
        assert (community.target_engagement, community.objective) == (75, "share what works")
        fresh = await open_setup_modal(bot, "U0009")
        assert await submit_modal(bot, "U0009", fresh, objective="Ship") == (
            "Data updated: objective."
        )


async def test_a_modal_claiming_another_channel_is_refused(database_url: str) -> None:
    async with slack_bot(database_url, community_creators="U0009") as bot:
        await command(bot, "U0009", "community setup name=Guild", GUILD)
        view = await open_setup_modal(bot, "U0009", "C0001")
        forged = view | {"private_metadata": view["private_metadata"].replace("C0001", GUILD)}
        assert GUILD in forged["private_metadata"]
        refused = await submit_modal(bot, "U0009", forged, target="5")
        assert refused.startswith("This form belongs to another channel; nothing was changed.")
        assert (await communities(bot))[GUILD].target_engagement == 60
        assert await submit_modal(bot, "U0009", view, target="5") == "Data updated: target."


async def test_every_change_of_a_community_raises_its_version(store: Store) -> None:
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("local", "w"), T0)
        assert workspace.id is not None
        community = await tx.directory.add_community(
            Community(workspace_id=workspace.id, channel_id="C1", name="C", created_at=T0)
        )
        assert community.id is not None
        community_id = community.id
    versions = [community.version]
    async with store.transaction() as tx:  # a ritual switched on, the community not loaded
        await tx.directory.set_playbook(community_id, "welcome", True, T0)
    async with store.transaction() as tx:
        found = await tx.directory.community(community_id)
        assert found is not None
        versions.append(found.version)
        found.objective = "why"  # a setting
    async with store.transaction() as tx:
        found = await tx.directory.community(community_id)
        assert found is not None
        versions.append(found.version)
        await tx.directory.set_playbook(community_id, "welcome", True, T0)  # no change
        found.objective = "why"  # the same value
    async with store.transaction() as tx:
        found = await tx.directory.community(community_id)
        assert found is not None
        versions.append(found.version)
    assert versions == [1, 2, 3, 3]


def _concurrent_transactions(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transactions are PostgreSQL's (SQLite writes one at a time)")


async def _community(store: Store) -> int:
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(WorkspaceRef("local", "w"), T0)
        assert workspace.id is not None
        community = await tx.directory.add_community(
            Community(workspace_id=workspace.id, channel_id="C1", name="C", created_at=T0)
        )
        assert community.id is not None
        return community.id


async def test_two_concurrent_changes_make_two_versions(store: Store, database_url: str) -> None:
    _concurrent_transactions(database_url)
    community_id = await _community(store)
    loaded = [asyncio.Event(), asyncio.Event()]
    go = [asyncio.Event(), asyncio.Event()]

    async def change(me: int, objective: str) -> None:
        async with store.transaction() as tx:
            found = await tx.directory.community(community_id)
            assert found is not None and found.version == 1
            loaded[me].set()
            await go[me].wait()
            found.objective = objective

    first = asyncio.ensure_future(change(0, "one"))
    second = asyncio.ensure_future(change(1, "two"))
    await asyncio.gather(loaded[0].wait(), loaded[1].wait())  # both read version 1
    go[0].set()
    await first
    go[1].set()
    await second
    async with store.transaction() as tx:
        found = await tx.directory.community(community_id)
        assert found is not None and found.objective == "two"
        assert found.version == 3, "each change counted"


async def test_a_locked_community_is_read_as_last_committed(
    store: Store, database_url: str
) -> None:
    _concurrent_transactions(database_url)
    community_id = await _community(store)

    async def later() -> int:
        async with store.transaction() as tx:
            found = await tx.directory.lock_community(community_id)
            assert found is not None
            return found.version

    async with store.transaction() as tx:
        found = await tx.directory.lock_community(community_id)
        assert found is not None and found.version == 1
        waiting = asyncio.ensure_future(later())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second waits for the first to end"
        found.objective = "new"
    assert await waiting == 2, "then sees its version"
