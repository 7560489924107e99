"""Slack: the conversation seen by the bot (messages, thread replies, reactions, edits,
deletions) reaches the dispatcher as neutral events through Bolt over HTTP; the channel's roster
is read from conversations.members, people only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.slack.roster import DIRECTORY_TTL, SlackRoster
from bot.runtime.clock import ManualClock
from bot.settings import SlackSettings
from bot.vocabulary import events as ev
from bot.vocabulary.ports import PlatformUnavailable
from playbooks.loader import load_library, parse_playbook
from tests.builders import EACH_MEMBER_MONDAY
from tests.conftest import wait_for
from tests.dispatched import record_dispatched
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import (
    BOT_USER,
    CHANNEL,
    SECRET,
    TEAM,
    TOKEN,
    fixture,
    running_bot,
    seed_slack_community,
    seeded_slack_bot,
)

WORKSPACE = ev.WorkspaceRef("slack", TEAM)


def at(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def member(user: str) -> ev.MemberProfile:
    return ev.MemberProfile(user)


async def test_a_thread_reply_reaches_the_dispatcher_with_its_thread(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched = record_dispatched(monkeypatch)
    async with seeded_slack_bot(database_url) as slack_bot:
        for name in (
            "event_message_question",
            "event_message_thread_reply",
            "event_reaction_added",
            "event_message_changed_question",
            "event_message_deleted",
        ):
            assert (await slack_bot.event(fixture(name))).status == 200

    assert dispatched == [
        ev.MessagePosted(
            workspace=WORKSPACE,
            key="Ev0000031",
            occurred_at=at("1700000300.000150"),
            channel=CHANNEL,
            member=member("U0003"),
            message_id="1700000300.000150",
            is_question=True,
        ),
        ev.MessagePosted(
            workspace=WORKSPACE,
            key="Ev0000004",
            occurred_at=at("1700000250.000200"),
            channel=CHANNEL,
            member=member("U0002"),
            message_id="1700000250.000200",
            thread="1700000200.000100",
            parent_author="U0001",
            is_question=False,  # it ends with "?", but a reply is no question
        ),
        ev.ReactionAdded(
            workspace=WORKSPACE,
            key="Ev0000010",
            occurred_at=at("1700000500.000700"),
            channel=CHANNEL,
            member=member("U0002"),
            reaction="tada",
            message_id="1700000200.000100",
            target_author="U0001",
        ),
        ev.MessageEdited(
            workspace=WORKSPACE,
            key="Ev0000035",
            occurred_at=at("1700000410.000510"),
            channel=CHANNEL,
            member=member("U0001"),
            message_id="1700000200.000100",
            is_question=True,
        ),
        ev.MessageDeleted(
            workspace=WORKSPACE,
            key="Ev0000008",
            occurred_at=at("1700000450.000600"),
            channel=CHANNEL,
            message_id="1700000200.000100",
        ),
    ]


async def test_a_message_keeps_the_time_it_was_posted_when_slack_retries_it_later(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched = record_dispatched(monkeypatch)
    envelope = fixture("event_message")
    envelope["event_time"] = 1700003800  # delivered an hour late, after an outage
    async with seeded_slack_bot(database_url) as slack_bot:
        assert (await slack_bot.event(envelope, retry=3)).status == 200
    [posted] = dispatched
    assert posted.occurred_at == at("1700000200.000100")


async def test_bots_and_the_bot_itself_post_nothing_the_dispatcher_sees(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched = record_dispatched(monkeypatch)
    own = fixture("event_message")
    own["event"]["user"] = BOT_USER
    own["event_id"] = "Ev-own"
    async with seeded_slack_bot(database_url) as slack_bot:
        for envelope in (fixture("event_message_bot"), fixture("event_message_changed_bot"), own):
            assert (await slack_bot.event(envelope)).status == 200
        assert (await slack_bot.event(fixture("event_message"))).status == 200
    assert [type(e).__name__ for e in dispatched] == ["MessagePosted"]
    assert dispatched[0].key == "Ev0000003"


# -- the roster -----------------------------------------------------------------------------


def people(slack: FakeSlackApi, count: int) -> list[str]:
    ids = [f"U{n:04d}" for n in range(1, count + 1)]
    for n, user in enumerate(ids, 1):
        slack.add_user(TEAM, user, f"member.{n}", tz="Europe/Paris", locale="fr-FR")
    return ids


def roster_of(slack: FakeSlackApi, clock: list[float] | None = None) -> SlackRoster:
    async def tokens(team: str) -> str | None:
        return TOKEN if team == TEAM else None

    now = clock if clock is not None else [0.0]
    return SlackRoster(tokens, slack.api_url, clock=lambda: now[0], sleep=_no_wait)


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


async def test_the_roster_is_the_channels_people_page_after_page(slack: FakeSlackApi) -> None:
    humans = people(slack, 450)
    slack.add_user(TEAM, "U0CI", "ci", is_bot=True, bot_id="B0CI")
    slack.add_user(TEAM, "U0GONE", "gone", deleted=True)
    slack.add_user(TEAM, "USLACKBOT", "slackbot")
    listed = [BOT_USER, "U0CI", "USLACKBOT", "U0GONE", *humans]
    slack.add_channel(TEAM, CHANNEL, "data", humans[0], members=listed)

    found = await roster_of(slack).members(WORKSPACE, CHANNEL)

    assert [m.user_id for m in found] == humans, "bots, Slackbot and deactivated left out"
    assert found[0] == ev.MemberProfile("U0001", "member.1", "fr-FR", "Europe/Paris")
    pages = slack.calls_to("conversations.members")
    assert [len(c.response["members"]) for c in pages] == [200, 200, 54]
    assert len(slack.calls_to("users.list")) == 3  # 453 users, 200 a page


async def test_the_directory_is_listed_once_an_hour_and_newcomers_looked_up_alone(
    slack: FakeSlackApi,
) -> None:
    humans = people(slack, 3)
    slack.add_channel(TEAM, CHANNEL, "data", humans[0], members=[BOT_USER, *humans])
    clock = [0.0]
    roster = roster_of(slack, clock)
    assert len(await roster.members(WORKSPACE, CHANNEL)) == 3

    # a newcomer in the workspace and the channel, and a guest users.list does not show
    slack.add_user(TEAM, "U0NEW", "newcomer")
    slack.channels[(TEAM, CHANNEL)]["members"] += ["U0NEW", "W0GUEST"]
    found = await roster.members(WORKSPACE, CHANNEL)
    assert [m.user_id for m in found] == [*humans, "U0NEW"]
    assert len(slack.calls_to("users.list")) == 1
    assert [c.args["user"] for c in slack.calls_to("users.info")] == ["U0NEW", "W0GUEST"]

    clock[0] += DIRECTORY_TTL
    await roster.members(WORKSPACE, CHANNEL)
    assert len(slack.calls_to("users.list")) == 2
    assert len(slack.calls_to("users.info")) == 2, "the guest's answer is kept a day"


async def test_a_rate_limited_roster_waits_and_goes_on(slack: FakeSlackApi) -> None:
    humans = people(slack, 2)
    slack.add_channel(TEAM, CHANNEL, "data", humans[0], members=humans)
    slack.rate_limit_next("conversations.members", retry_after=1)
    slack.rate_limit_next("users.list", retry_after=2)
    found = await roster_of(slack).members(WORKSPACE, CHANNEL)
    assert [m.user_id for m in found] == humans
    assert [c.status for c in slack.calls_to("conversations.members")] == [429, 200]


async def test_a_roster_slack_cannot_give_is_never_guessed(slack: FakeSlackApi) -> None:
    people(slack, 2)
    roster = roster_of(slack)
    with pytest.raises(PlatformUnavailable, match="channel_not_found"):
        await roster.members(WORKSPACE, "C-unknown")
    slack.add_channel(TEAM, CHANNEL, "data", "U0001", members=["U0001"])
    slack.fail_next("users.list", "internal_error")
    with pytest.raises(PlatformUnavailable, match="internal_error"):
        await roster.members(WORKSPACE, CHANNEL)
    with pytest.raises(PlatformUnavailable, match="no token"):
        await roster.members(ev.WorkspaceRef("slack", "T-other"), CHANNEL)


async def test_a_scheduled_ritual_reaches_the_channels_people_not_its_bots(
    database_url: str,
) -> None:
    monday = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # 09:30 in Paris, the members' time
    clock = ManualClock(monday - timedelta(hours=1))
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        humans = people(slack, 3)
        slack.add_user(TEAM, "U0CI", "ci", is_bot=True, bot_id="B0CI")
        slack.add_channel(TEAM, CHANNEL, "data", humans[0], members=[BOT_USER, "U0CI", *humans])
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        library = {**load_library(), "monday": parse_playbook(EACH_MEMBER_MONDAY)}
        async with running_bot(
            database_url, slack, settings, clock=clock, playbooks=library
        ) as running:
            await seed_slack_community(running.bot, playbooks=("monday",))
            async with running.bot.store.transaction() as tx:
                community = (await tx.directory.communities())[0]
                community.timezone = "Europe/Paris"
            clock.advance(timedelta(hours=1, seconds=5))
            await running.bot.scheduler.tick()

            async def asked() -> set[str] | None:
                posted = slack.calls_to("chat.postMessage")
                found = {str(c.args.get("channel")) for c in posted if c.ok}
                return found if len(found) >= 3 else None

            channels = await wait_for(asked, within=10)
    assert channels == set(humans), "a DM to every person of the channel, none to a bot"


@pytest.fixture
async def slack() -> Any:
    async with FakeSlackApi() as fake:
        fake.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        yield fake
