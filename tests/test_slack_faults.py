"""Slack faults during an inbound request: Slack's Web API answering something that is no JSON
(text/plain, an HTML error page from a proxy, broken JSON), too late, or auth.test failing on a
fresh process. The request is still acknowledged and its event still processed — or answered
so that Slack retries it — never acknowledged and dropped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

from bot.settings import SlackSettings
from storage.tables import Member, Workspace
from tests.conftest import wait_for
from tests.fakes.slack_api import Call, FakeSlackApi
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
    seeded_slack_bot,
)

GARBLED = [("html", 502), ("text", 503), ("invalid_json", 200)]


@pytest_asyncio.fixture
async def slack_bot(database_url: str) -> AsyncIterator[SlackBot]:
    async with seeded_slack_bot(database_url) as running:
        yield running


def joined(user: str = "U0002", event_id: str = "Ev-fault-1") -> dict[str, Any]:
    return joined_envelope(user, event_id)


def help_command(slack: FakeSlackApi, trigger: str = "t-help") -> dict[str, str]:
    return fixture("command_help") | {"response_url": slack.response_url(), "trigger_id": trigger}


def dms_to(slack: FakeSlackApi, user: str) -> list[Call]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == user and c.ok]


async def _some(found: list[Any]) -> list[Any] | None:
    return found or None


async def _at_least(calls: list[Call], count: int) -> list[Call] | None:
    return calls if len(calls) >= count else None


async def stored_member(bot: SlackBot, user: str) -> Member | None:
    async with bot.bot.store.transaction() as tx:
        query = select(Member).where(Member.user_id == user)
        return (await tx.session.execute(query)).scalar_one_or_none()


@pytest.mark.parametrize(("kind", "status"), GARBLED)
async def test_help_is_answered_when_users_info_answers_no_json(
    slack_bot: SlackBot, kind: str, status: int
) -> None:
    slack_bot.slack.garble_next("users.info", kind, status=status)
    reply = await slack_bot.form(help_command(slack_bot.slack))
    assert reply.status == 200
    [answer] = await wait_for(lambda: _some(slack_bot.slack.responses), within=5)
    assert str(answer["text"]).startswith("What you can do:")
    lookup = slack_bot.slack.calls_to("users.info")[0]  # (later ones: the roster's own)
    assert lookup.status == status, "the look-up did meet the garbled answer"


@pytest.mark.parametrize(("kind", "status"), GARBLED)
async def test_a_join_is_welcomed_when_users_info_answers_no_json(
    slack_bot: SlackBot, kind: str, status: int
) -> None:
    slack_bot.slack.garble_next("users.info", kind, status=status)
    assert (await slack_bot.event(joined())).status == 200
    welcome, _question = await wait_for(
        lambda: _at_least(dms_to(slack_bot.slack, "U0002"), 2), within=10
    )
    # the profile is unknown yet: the community's language, and no name
    assert welcome.args["text"].startswith("Welcome to *Data*")


async def test_a_known_member_keeps_their_stored_profile_when_users_info_fails(
    database_url: str,
) -> None:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0002", "grace", locale="fr-FR", tz="Europe/Paris")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        # grace joins: her language and name are stored…
        async with running_bot(database_url, slack, settings) as first:
            await seed_slack_community(first.bot)
            assert (await first.event(joined())).status == 200
            await wait_for(lambda: _at_least(dms_to(slack, "U0002"), 2), within=10)
            member = await stored_member(first, "U0002")
            assert member is not None and (member.locale, member.display_name) == ("fr-FR", "grace")
        # …then a new process (nothing cached) meets a proxy's answer to users.info
        async with running_bot(database_url, slack, settings) as second:
            slack.garble_next("users.info", "text", status=503)
            command = fixture("command_help") | {
                "user_id": "U0002",
                "response_url": slack.response_url(),
            }
            assert (await second.form(command)).status == 200
            [answer] = await wait_for(lambda: _some(slack.responses), within=5)
            assert str(answer["text"]).startswith("Ce que vous pouvez faire"), "her language"
            assert slack.calls_to("users.info")[-1].status == 503


async def test_a_failed_profile_look_up_is_retried_and_stored(slack_bot: SlackBot) -> None:
    slack_bot.slack.garble_next("users.info", "text", status=503)
    assert (await slack_bot.event(joined())).status == 200
    await wait_for(lambda: _at_least(dms_to(slack_bot.slack, "U0002"), 2), within=10)
    # retried later, without any new event from her
    lookups = await slack_bot.slack.wait_for_call("users.info", count=2, timeout=15)
    assert [c.status for c in lookups[:2]] == [503, 200]

    async def learned() -> bool:
        member = await stored_member(slack_bot, "U0002")
        return member is not None and (member.locale, member.timezone) == (
            "fr-FR",
            "Europe/Paris",
        )

    assert await wait_for(learned, within=5)


@pytest.mark.alone
async def test_a_users_info_that_hangs_delays_neither_the_answer_nor_the_profile(
    slack_bot: SlackBot,
) -> None:
    slack_bot.slack.stall_next("users.info", seconds=10)
    started = time.monotonic()
    reply = await slack_bot.form(help_command(slack_bot.slack))
    assert reply.status == 200
    assert time.monotonic() - started < 3.0, "acknowledged within Slack's 3 seconds"
    [answer] = await wait_for(lambda: _some(slack_bot.slack.responses), within=5)
    assert str(answer["text"]).startswith("What you can do:")
    # the look-up is asked again, in the background, and ada's profile stored
    await slack_bot.slack.wait_for_call("users.info", count=2, timeout=15)
    assert await wait_for(lambda: _locale_of(slack_bot, "U0001", "en-US"), within=5)


async def _locale_of(bot: SlackBot, user: str, locale: str) -> bool:
    member = await stored_member(bot, user)
    return member is not None and member.locale == locale


# -- modals ------------------------------------------------------------------------------


async def _setup_offer(bot: SlackBot) -> dict[str, Any]:
    """``community setup`` answers with a button opening the form; the click that opens it."""
    bot.slack.add_user(TEAM, "U0009", "dan", locale="en-GB", tz="Europe/London")
    setup = fixture("command_help") | {
        "user_id": "U0009",
        "text": "community setup",
        "response_url": bot.slack.response_url(),
    }
    assert (await bot.form(setup)).status == 200
    [offer] = await wait_for(lambda: _some(bot.slack.responses))
    actions = next(b for b in offer["blocks"] if b["type"] == "actions")
    [button] = actions["elements"]
    opening = fixture("block_actions")
    del opening["message"]
    opening["user"]["id"] = "U0009"
    opening["container"] |= {"channel_id": CHANNEL, "is_ephemeral": True}
    opening["actions"] = [{**button, "block_id": actions["block_id"], "type": "button"}]
    opening["trigger_id"] = f"trigger-setup-{time.time()}"
    return opening


@pytest.mark.parametrize(("kind", "status"), GARBLED)
async def test_a_modal_open_meeting_no_json_is_acknowledged_and_tried_again(
    slack_bot: SlackBot, kind: str, status: int
) -> None:
    opening = await _setup_offer(slack_bot)
    slack_bot.slack.garble_next("views.open", kind, status=status)
    started = time.monotonic()
    reply = await slack_bot.interaction(opening)
    assert reply.status == 200
    assert time.monotonic() - started < 3.0
    first, again = slack_bot.slack.calls_to("views.open")
    assert (first.status, again.status) == (status, 200), "tried again within the trigger window"
    assert again.args["trigger_id"] == opening["trigger_id"]


async def test_a_modal_open_that_hangs_is_tried_again_within_the_trigger_window(
    slack_bot: SlackBot,
) -> None:
    opening = await _setup_offer(slack_bot)
    slack_bot.slack.stall_next("views.open", seconds=4)
    started = time.monotonic()
    reply = await slack_bot.interaction(opening)
    assert reply.status == 200
    assert time.monotonic() - started < 3.0, "answered within Slack's 3 seconds"
    opened = await slack_bot.slack.wait_for_call("views.open", count=2, timeout=10)
    assert opened[0].args["trigger_id"] == opening["trigger_id"]
    assert [c.status for c in opened] == [200, 200], "the second try opened the form"


async def test_a_modal_open_that_always_hangs_is_given_up_and_the_click_answered(
    slack_bot: SlackBot,
) -> None:
    opening = await _setup_offer(slack_bot)
    slack_bot.slack.stall_next("views.open", seconds=10, count=5)
    started = time.monotonic()
    reply = await slack_bot.interaction(opening)
    assert reply.status == 200
    assert time.monotonic() - started < 6.0, "not kept waiting for Slack's answers (10 s)"


# -- auth.test ---------------------------------------------------------------------------


async def workspaces(bot: SlackBot) -> list[str]:
    async with bot.bot.store.transaction() as tx:
        rows = (await tx.session.execute(select(Workspace))).scalars().all()
    return [w.external_id for w in rows]


@pytest.mark.parametrize("failure", ["html", "text", "invalid_json", "ratelimited"])
async def test_an_event_met_by_a_failing_auth_test_is_retried_by_slack_and_processed(
    database_url: str, failure: str
) -> None:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0002", "grace", locale="fr-FR", tz="Europe/Paris")
        if failure == "ratelimited":
            slack.rate_limit_next("auth.test", retry_after=30)
        else:
            slack.garble_next("auth.test", failure, status=503)
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings) as running:
            await seed_slack_community(running.bot)
            first = await running.event(joined())
            assert first.status >= 500, "not acknowledged: Slack will retry it"
            assert "auth.test" in first.body
            assert dms_to(slack, "U0002") == []
            # Slack retries (X-Slack-Retry-Num); auth.test is back
            assert (await running.event(joined(), retry=1)).status == 200
            welcome, _ = await wait_for(lambda: _at_least(dms_to(slack, "U0002"), 2), within=10)
            assert welcome.args["text"].startswith("Bienvenue dans *Data*, grace !")


async def test_a_failing_auth_test_answers_within_the_ack_window(database_url: str) -> None:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.stall_next("auth.test", seconds=10)
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings) as running:
            started = time.monotonic()
            reply = await running.event(joined())
            assert time.monotonic() - started < 3.0
            assert reply.status == 503
            # nothing half-done: no workspace was recorded for an event not processed
            assert await workspaces(running) == []
            assert (await running.event(joined(), retry=1)).status == 200
            assert await wait_for(lambda: _equals(workspaces(running), [TEAM]))


async def _equals(probe: Any, expected: Any) -> bool:
    return bool(await probe == expected)


async def test_a_payload_for_another_workspace_is_refused_in_single_workspace_mode(
    slack_bot: SlackBot,
) -> None:
    foreign = joined(event_id="Ev-foreign") | {"team_id": "T0666"}
    foreign["event"]["team"] = "T0666"
    for authorization in foreign["authorizations"]:
        authorization["team_id"] = "T0666"
    reply = await slack_bot.event(foreign)
    assert reply.status == 403
    assert "T0666" in reply.body
    command = help_command(slack_bot.slack, "t-foreign") | {"team_id": "T0666"}
    assert (await slack_bot.form(command)).status == 403
    # the bot's own workspace still works (and is the only one recorded)
    assert (await slack_bot.event(joined())).status == 200
    await wait_for(lambda: _at_least(dms_to(slack_bot.slack, "U0002"), 2), within=10)
    await asyncio.sleep(0.2)
    assert await workspaces(slack_bot) == [TEAM]


async def test_an_oauth_workspace_is_served_from_its_installation_without_auth_test(
    database_url: str,
) -> None:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id="T0003", bot_token="xoxb-three", bot_user_id="U0BOT3")
        slack.add_user("T0003", "U0002", "grace", locale="fr-FR", tz="Europe/Paris")
        slack.garble_next("auth.test", "html", status=502, count=5)
        settings = SlackSettings(
            client_id="111.222", client_secret="shh", signing_secret=SECRET, _env_file=None
        )
        async with running_bot(database_url, slack, settings) as running:
            platform = running.bot.slack
            assert platform is not None and platform.installations is not None
            await platform.installations.async_save(
                Installation(
                    app_id="A0001",
                    team_id="T0003",
                    bot_token="xoxb-three",
                    bot_id="B0003",
                    bot_user_id="U0BOT3",
                    user_id="U0001",
                )
            )
            await seed_slack_community(running.bot, team="T0003")
            envelope = joined() | {"team_id": "T0003"}
            envelope["event"]["team"] = "T0003"
            for authorization in envelope["authorizations"]:
                authorization |= {"team_id": "T0003", "user_id": "U0BOT3"}
            assert (await running.event(envelope)).status == 200
            welcome, _ = await wait_for(lambda: _at_least(dms_to(slack, "U0002"), 2), within=10)
            assert welcome.token == "xoxb-three"
            assert welcome.args["text"].startswith("Bienvenue dans *Data*, grace !")

            # a workspace without an installation is refused, and not recorded
            stranger = joined(event_id="Ev-stranger") | {"team_id": "T0404"}
            stranger["event"]["team"] = "T0404"
            for authorization in stranger["authorizations"]:
                authorization["team_id"] = "T0404"
            reply = await running.event(stranger)
            assert (reply.status, "T0404" in reply.body) == (403, True)
            assert await workspaces(running) == ["T0003"]
