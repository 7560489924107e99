"""The adapter contract: the same bundled welcome.yaml, unchanged, behaves the same for a member
on every platform — local, Slack and Teams; and a member's post, a reply in its thread and a
reaction reach the dispatcher as the same neutral events, from each platform's own payloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import or_, select
from sqlmodel import col

from bot.runtime.clock import ManualClock, utc_now
from bot.settings import SlackSettings
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.store import Store
from storage.tables import ActivityRecord, Community, Member, MemberGroup, Run
from tests.conftest import local_server, wait_for
from tests.contract_drivers import Driver, LocalDriver, Shown, SlackDriver, TeamsDriver
from tests.dispatched import record_dispatched
from tests.fakes.bot_connector import FakeBotConnector, teams_member
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import BOT_USER, SECRET, TEAM, TOKEN, running_bot, seed_slack_community
from tests.teams_support import TEAM as TEAMS_TEAM
from tests.teams_support import running_teams_bot, seed_team_community

PLATFORMS = ["local", "slack", "teams"]
#: Seconds a test waits for what the bot does on its own (a tick, a send): ample on a loaded
#: machine, and spent only when something is missing.
SEEN_WITHIN = 30
#: A member id every platform accepts (Teams ids look like this; the others take any id).
MEMBER = "29:1contract"
OTHER = "29:1answerer"
RITUALS = load_library(Path(__file__).parent / "fixtures" / "rituals")


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[ev.Event]:
    """What reaches the dispatcher (asked for before ``driver``: before the bot is built)."""
    return record_dispatched(monkeypatch)


@pytest_asyncio.fixture(params=PLATFORMS)
async def driver(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Driver]:
    if request.param == "local":
        async with local_server(database_url) as server:
            yield LocalDriver(server)
    elif request.param == "slack":
        async with FakeSlackApi() as slack:
            slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
            settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
            async with running_bot(database_url, slack, settings) as running:
                await seed_slack_community(running.bot)
                yield SlackDriver(running)
    elif request.param == "teams":
        async with (
            FakeBotConnector() as connector,
            running_teams_bot(database_url, connector) as running,
        ):
            await seed_team_community(running.bot)
            yield TeamsDriver(running)


async def count(driver: Driver, user: str, n: int) -> list[Shown]:
    async def enough() -> list[Shown] | None:
        shown = await driver.messages(user)
        return shown if len(shown) >= n else None

    found: list[Shown] = await wait_for(enough, within=SEEN_WITHIN)
    return found


async def test_the_welcome_ritual_runs_unchanged(driver: Driver) -> None:
    await driver.join(MEMBER, "Noor", "en-GB")
    welcome, charter = await count(driver, MEMBER, 2)
    assert welcome.text.startswith("Welcome to *Data")
    assert "Noor" in welcome.text
    assert charter.choices == ("I accept", "I don't accept")

    await driver.click(MEMBER, charter, "I accept")
    shown = await count(driver, MEMBER, 3)
    assert shown[1].choices == () and shown[1].text.endswith("→ I accept"), "buttons replaced"
    question = shown[2]
    assert question.free_text
    assert question.text == "Thank you! What do you expect from this community?"

    await driver.answer(MEMBER, question, "Meet people who ship models")
    final = (await count(driver, MEMBER, 4))[3]
    assert "help you introduce yourself" in final.text
    assert await driver.answers() == [
        ("charter", "accept"),
        ("expectations", "Meet people who ship models"),
    ]


async def test_declining_the_charter_tells_the_facilitator(driver: Driver) -> None:
    await driver.join(MEMBER, "Noor", "en-GB")
    charter = (await count(driver, MEMBER, 2))[1]
    await driver.click(MEMBER, charter, "I don't accept")
    final = (await count(driver, MEMBER, 3))[2]
    assert final.text.startswith("Understood. A facilitator of")
    assert await driver.answers() == [("charter", "decline"), ("charter_declined", "yes")]


async def test_the_stop_button_of_a_ritual_dm_opts_the_member_out(driver: Driver) -> None:
    await driver.join(MEMBER, "Noor", "en-GB")
    welcome = (await count(driver, MEMBER, 2))[0]
    assert welcome.stop == "Stop “Welcome”"
    await driver.stop(MEMBER, welcome)
    confirmation = (await count(driver, MEMBER, 3))[2]
    assert confirmation.text == (
        "Done: you will no longer receive Welcome. (optin welcome to resume)"
    )
    assert not confirmation.stop
    assert await driver.opted_out(MEMBER) == ["welcome"]


async def test_a_question_a_reply_in_its_thread_and_a_reaction_are_the_same_events_everywhere(
    dispatched: list[ev.Event], driver: Driver
) -> None:
    question = await driver.post(MEMBER, "Who has shipped a model with dbt? 🤔")
    answer = await driver.reply(OTHER, question, "We did, last spring. Want a demo?")
    await driver.react(OTHER, question, "like" if isinstance(driver, TeamsDriver) else "tada")

    def seen(event: ev.Event) -> tuple[object, ...]:
        """An event with the platform's ids named by what they are."""
        names = {question: "question", answer: "answer", MEMBER: "asker", OTHER: "answerer"}
        match event:
            case ev.MessagePosted():
                return (
                    "posted",
                    names[event.member.user_id],
                    event.channel == driver.channel,
                    names.get(event.message_id or ""),
                    names.get(event.thread or ""),
                    names.get(event.parent_author or ""),
                    event.is_question,
                    event.is_direct,
                )
            case ev.ReactionAdded():
                return (
                    "reacted",
                    names[event.member.user_id],
                    event.channel == driver.channel,
                    names.get(event.message_id),
                    names.get(event.target_author or ""),
                )
        return (type(event).__name__,)

    author = "asker" if driver.names_authors else None
    assert [seen(e) for e in dispatched] == [
        ("posted", "asker", True, "question", None, None, True, False),
        ("posted", "answerer", True, "answer", "question", author, False, False),
        ("reacted", "answerer", True, "question", author),
    ]


async def _store(driver: Driver) -> Store:
    if isinstance(driver, LocalDriver):
        return driver.server.bot.store
    return driver.bot.bot.store  # type: ignore[attr-defined,no-any-return]


async def _switch_on(store: Store, channel: str, playbook: str, at: datetime | None = None) -> None:
    """Switch ``playbook`` on in the channel's community ``at`` that moment (the bot's clock:
    a scheduled ritual fires from when it was switched on, so never a real-time instant)."""
    async with store.transaction() as tx:
        rows = await tx.session.execute(select(Community).where(Community.channel_id == channel))
        for community in rows.scalars().all():
            assert community.id is not None
            await tx.directory.set_playbook(community.id, playbook, True, at or utc_now())


async def _remembered(store: Store, playbook: str, variable: str) -> str:
    async def found() -> str | None:
        async with store.transaction() as tx:
            rows = await tx.session.execute(select(Run).where(Run.playbook == playbook))
            return next((r.variables.get(variable) for r in rows.scalars().all()), None)

    remembered: str = await wait_for(found, within=SEEN_WITHIN)
    return remembered


async def _recorded(store: Store, thread: str, *, replies: int, reactions: int) -> None:
    """Wait until the thread's replies and reactions are all recorded."""

    async def done() -> bool | None:
        async with store.transaction() as tx:
            rows = await tx.session.execute(
                select(ActivityRecord).where(
                    or_(
                        ActivityRecord.thread_id == thread,
                        col(ActivityRecord.target_id).is_not(None),
                    )
                )
            )
            kinds = [r.kind for r in rows.scalars().all()]
        return (
            kinds.count("message_posted") >= replies and kinds.count("reaction_added") >= reactions
        ) or None

    await wait_for(done, within=SEEN_WITHIN)


async def _in_thread(driver: Driver, thread: str) -> list[str]:
    """The bot's texts posted in ``thread`` of the community's channel, as the platform got them."""
    if isinstance(driver, SlackDriver):
        return [
            str(c.args.get("text"))
            for c in driver.bot.slack.calls_to("chat.postMessage")
            if c.args.get("thread_ts") == thread and c.args.get("channel") == driver.channel
        ]
    if isinstance(driver, TeamsDriver):
        return [
            str((c.body or {}).get("text"))
            for c in driver.bot.connector.calls_to("reply_to_activity")
            if c.path.endswith(f"/activities/{thread}")
            and f"/conversations/{driver.channel}/" in c.path
        ]
    assert isinstance(driver, LocalDriver)
    return [
        str(m["text"])
        for m in await driver.server.messages(channel=driver.channel)
        if m.get("thread") == thread and m.get("author") == "bot"
    ]


@pytest_asyncio.fixture(params=PLATFORMS)
async def ritual_driver(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[Driver, ManualClock]]:
    """A driver whose bot runs the test rituals too, on a clock the test moves."""
    clock = ManualClock(utc_now())
    playbooks = {**load_library(), **RITUALS}
    # the drivers' payloads carry old platform times: no retention purge of them meanwhile
    keep = {"activity_retention_days": 100_000}
    if request.param == "local":
        async with local_server(database_url, clock=clock, playbooks=playbooks, **keep) as server:
            yield LocalDriver(server), clock
    elif request.param == "slack":
        async with FakeSlackApi() as slack:
            slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
            settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
            async with running_bot(
                database_url, slack, settings, clock=clock, playbooks=playbooks, **keep
            ) as running:
                await seed_slack_community(running.bot)
                yield SlackDriver(running), clock
    else:
        async with (
            FakeBotConnector() as connector,
            running_teams_bot(
                database_url, connector, clock=clock, playbooks=playbooks, **keep
            ) as running,
        ):
            await seed_team_community(running.bot)
            yield TeamsDriver(running), clock


async def test_a_rituals_post_is_replied_to_reacted_to_and_recapped_in_its_thread(
    ritual_driver: tuple[Driver, ManualClock],
) -> None:
    driver, clock = ritual_driver
    store = await _store(driver)
    await _switch_on(store, driver.channel, "callout")
    await driver.join(OTHER, "Ola", "en-GB")  # on Teams: the app is installed in the team
    await driver.post(MEMBER, "Who has shipped a model with dbt? 🤔")
    call = await _remembered(store, "callout", "call")
    if isinstance(driver, SlackDriver):
        driver.remember_author(call, BOT_USER)
    answer = await driver.reply(OTHER, call, "We did, last spring.")
    await driver.reply(MEMBER, call, "Thanks, I'll ping you")
    await driver.react(MEMBER, answer, "like" if isinstance(driver, TeamsDriver) else "tada")
    await driver.react(OTHER, answer, "like" if isinstance(driver, TeamsDriver) else "tada")
    await _recorded(store, call, replies=2, reactions=2)  # platforms may hand events on later
    assert await _in_thread(driver, call) == [], "no recap before the hour is up"

    clock.now += timedelta(hours=1, minutes=1)

    async def recapped() -> list[str] | None:
        return await _in_thread(driver, call) or None

    # the asker's language is not known: the community's (the local demo's is French)
    expected = (
        "2 personnes, 2 réponses, 1 réactions"
        if isinstance(driver, LocalDriver)
        else "2 people, 2 replies, 1 reactions"
    )
    assert await wait_for(recapped, within=SEEN_WITHIN) == [expected]


@pytest_asyncio.fixture(params=PLATFORMS)
async def tuesday_driver(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[Driver, ManualClock]]:
    """A driver whose bot runs the bundled rituals on a clock the test moves, from a Tuesday
    early morning (UTC)."""
    clock = ManualClock(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    keep = {"activity_retention_days": 100_000}
    if request.param == "local":
        async with local_server(database_url, clock=clock, **keep) as server:
            yield LocalDriver(server), clock
    elif request.param == "slack":
        async with FakeSlackApi() as slack:
            slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
            settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
            async with running_bot(database_url, slack, settings, clock=clock, **keep) as running:
                await seed_slack_community(running.bot)
                yield SlackDriver(running), clock
    else:
        async with (
            FakeBotConnector() as connector,
            running_teams_bot(database_url, connector, clock=clock, **keep) as running,
        ):
            await seed_team_community(running.bot)
            yield TeamsDriver(running), clock


async def _community_zone(store: Store, channel: str) -> ZoneInfo:
    async with store.transaction() as tx:
        rows = await tx.session.execute(select(Community).where(Community.channel_id == channel))
        return ZoneInfo(rows.scalars().first().timezone)  # type: ignore[union-attr]


async def test_the_sharing_challenge_runs_unchanged_prompt_replies_reactions_recap(
    tuesday_driver: tuple[Driver, ManualClock],
) -> None:
    driver, clock = tuesday_driver
    store = await _store(driver)
    await _switch_on(store, driver.channel, "challenge", clock())
    await driver.join(OTHER, "Ola", "en-GB")
    await driver.join(MEMBER, "Noor", "en-GB")
    local = await _community_zone(store, driver.channel)
    clock.now = datetime(2026, 12, 1, 10, 0, 30, tzinfo=local)  # the prompt's time
    prompt = await _remembered(store, "challenge", "challenge")
    if isinstance(driver, SlackDriver):
        driver.remember_author(prompt, BOT_USER)
    first = await driver.reply(OTHER, prompt, "Ctrl+R in the shell saves me hours")
    await driver.reply(OTHER, prompt, "And fzf for everything")
    mine = await driver.reply(MEMBER, prompt, "Snippets in my editor")
    reaction = "like" if isinstance(driver, TeamsDriver) else "tada"
    await driver.react(MEMBER, first, reaction)
    await driver.react(OTHER, mine, reaction)
    await _recorded(store, prompt, replies=3, reactions=2)
    assert await _in_thread(driver, prompt) == [], "no recap before the close"

    clock.now = datetime(2026, 12, 3, 16, 1, tzinfo=local)  # Thursday's close

    async def recapped() -> list[str] | None:
        return await _in_thread(driver, prompt) or None

    # the local demo community speaks French
    expected = (
        "🙌 Merci pour vos partages !\n"
        "• Ola — 2 contributions, 1 réaction\n"
        "• Noor — 1 contribution, 1 réaction\n"
        "3 contributions et 2 réactions en tout. Le classement de la saison : "
        "/animateur leaderboard"
        if isinstance(driver, LocalDriver)
        else "🙌 Thank you for sharing!\n"
        "• Ola — 2 contributions, 1 reaction\n"
        "• Noor — 1 contribution, 1 reaction\n"
        "3 contributions and 2 reactions in all. The season's leaderboard: "
        "/animateur leaderboard"
    )
    assert await wait_for(recapped, within=SEEN_WITHIN) == [expected]


async def _experts_declare(store: Store, channel: str, user: str, topic: str, at: datetime) -> None:
    async with store.transaction() as tx:
        rows = await tx.session.execute(select(Community).where(Community.channel_id == channel))
        community = rows.scalars().first()
        assert community is not None
        await tx.experts.add_topic(community.workspace_id, user, topic, at)


async def _dms(driver: Driver, user: str, start: str, n: int) -> list[Shown]:
    async def enough() -> list[Shown] | None:
        shown = [s for s in await driver.messages(user) if s.text.startswith(start)]
        return shown if len(shown) >= n else None

    found: list[Shown] = await wait_for(enough, within=SEEN_WITHIN)
    return found


async def test_questions_to_experts_run_unchanged_expert_asked_thanked_asker_solved(
    tuesday_driver: tuple[Driver, ManualClock],
) -> None:
    driver, clock = tuesday_driver
    store = await _store(driver)
    await _switch_on(store, driver.channel, "experts", clock())
    await driver.join(OTHER, "Ola", "en-GB")
    await driver.join(MEMBER, "Noor", "en-GB")
    local = await _community_zone(store, driver.channel)
    clock.now = datetime(2026, 12, 1, 10, 0, tzinfo=local)
    await _experts_declare(store, driver.channel, OTHER, "dbt", clock())
    question = await driver.post(MEMBER, "Who has shipped a model with dbt? 🤔")
    await _remembered(store, "experts", "question")  # the run started for the question
    assert not [s for s in await driver.messages(OTHER) if s.text.startswith("🙋")]

    clock.now = datetime(2026, 12, 1, 14, 1, tzinfo=local)  # 4 working hours later
    (asked,) = await _dms(driver, OTHER, "🙋", 1)
    assert asked.text.startswith("🙋 Noor asked a question in ")
    assert "http" in asked.text, "with the link to the thread"
    assert asked.stop == "Stop “Questions to experts”"

    await driver.reply(OTHER, question, "We did, last spring.")
    (thanked,) = await _dms(driver, OTHER, "🙏", 1)
    assert thanked.text.startswith("🙏 Thank you for answering Noor's question in ")
    (solved,) = await _dms(driver, MEMBER, "💬", 1)
    assert solved.text.startswith("💬 Ola answered your question in ")
    assert solved.choices == ("✅ Solved", "Not yet")
    await driver.click(MEMBER, solved, "✅ Solved")
    await _dms(driver, MEMBER, "🎉", 1)
    async with store.transaction() as tx:
        rows = await tx.session.execute(
            select(Community).where(Community.channel_id == driver.channel)
        )
        community = rows.scalars().first()
        assert community is not None and community.id is not None
        found = await tx.experts.question(community.id, question)
        assert found is not None and found.solved


async def _starters(driver: Driver, user: str) -> list[str]:
    """The intros starters ``user`` can read, as the platform got them: on Slack the posts in
    the group DM conversations.open gave for them, elsewhere their own messages."""
    if isinstance(driver, SlackDriver):
        slack = driver.bot.slack
        groups = {
            c.response["channel"]["id"]
            for c in slack.calls_to("conversations.open")
            if c.ok and user in str(c.args.get("users", "")).split(",")
        }
        return [
            str(c.args.get("text"))
            for c in slack.calls_to("chat.postMessage")
            if c.ok and c.args.get("channel") in groups
        ]
    return [s.text for s in await driver.messages(user) if "20 minutes" in s.text]


@pytest_asyncio.fixture(params=PLATFORMS)
async def monday_driver(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[Driver, ManualClock]]:
    """A driver whose bot runs the bundled rituals on a clock the test moves, from a Monday
    early morning (UTC)."""
    clock = ManualClock(datetime(2026, 11, 30, 5, 0, tzinfo=UTC))
    if request.param == "local":
        async with local_server(database_url, clock=clock) as server:
            yield LocalDriver(server), clock
    elif request.param == "slack":
        async with FakeSlackApi() as slack:
            slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
            settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
            async with running_bot(database_url, slack, settings, clock=clock) as running:
                await seed_slack_community(running.bot)
                yield SlackDriver(running), clock
    else:
        async with (
            FakeBotConnector() as connector,
            running_teams_bot(database_url, connector, clock=clock) as running,
        ):
            await seed_team_community(running.bot)
            yield TeamsDriver(running), clock


async def test_intros_group_two_members_start_them_talking_and_ask_if_they_met(
    monday_driver: tuple[Driver, ManualClock],
) -> None:
    driver, clock = monday_driver
    store = await _store(driver)
    await _switch_on(store, driver.channel, "intros", clock())
    await driver.join(OTHER, "Ola", "en-GB")
    await driver.join(MEMBER, "Noor", "en-GB")
    local = await _community_zone(store, driver.channel)
    clock.now = datetime(2026, 11, 30, 10, 0, 30, tzinfo=local)  # the round's time

    async def started() -> dict[str, list[str]] | None:
        seen = {user: await _starters(driver, user) for user in (MEMBER, OTHER)}
        return seen if all(seen.values()) else None

    seen = await wait_for(started, within=SEEN_WITHIN)
    if isinstance(driver, SlackDriver):  # one group DM for both, one post in it
        [opened] = [c for c in driver.bot.slack.calls_to("conversations.open") if c.ok]
        assert sorted(str(opened.args["users"]).split(",")) == sorted([MEMBER, OTHER])
        assert seen[MEMBER] == seen[OTHER] and len(seen[MEMBER]) == 1
        # (Slack shows its own user ids as mentions: this suite's ids are Teams-shaped)
    else:  # each their own message, naming them both
        for user in (MEMBER, OTHER):
            [text] = seen[user]
            assert "Noor" in text and "Ola" in text
    if isinstance(driver, TeamsDriver):  # the names are mentions
        for user in (MEMBER, OTHER):
            messages = driver.bot.messages_to(user)
            [message] = [m for m in messages if "20 minutes" in str(m.get("text"))]
            mentioned = {e["mentioned"]["id"] for e in message.get("entities") or []}
            assert mentioned == {MEMBER, OTHER}

    clock.now += timedelta(days=7)  # a week later: did you meet?

    async def asked(user: str) -> Shown | None:
        shown = await driver.messages(user)
        return next((s for s in shown if s.text.startswith("Did you meet")), None)

    for user, label in ((MEMBER, "Yes, we met"), (OTHER, "Skip next round")):
        question = await wait_for(lambda u=user: asked(u), within=SEEN_WITHIN)  # type: ignore[misc]
        assert question.choices == ("Yes, we met", "Not yet", "Skip next round")
        await driver.click(user, question, label)

    async def kept() -> dict[str, str | None] | None:
        async with store.transaction() as tx:
            rows = (await tx.session.execute(select(MemberGroup))).scalars().all()
        answers = {r.user_id: r.answer for r in rows}
        return answers if None not in answers.values() else None

    assert await wait_for(kept, within=SEEN_WITHIN) == {MEMBER: "yes", OTHER: "skip"}


async def _messages_starting(driver: Driver, user: str, start: str) -> list[Shown]:
    async def found() -> list[Shown] | None:
        shown = [s for s in await driver.messages(user) if s.text.startswith(start)]
        return shown or None

    messages: list[Shown] = await wait_for(found, within=SEEN_WITHIN)
    return messages


async def _member_zone(store: Store, channel: str, user: str) -> ZoneInfo:
    """Where a ritual for each member fires for ``user``: their timezone, else the community's."""

    async def stored() -> Member | None:
        async with store.transaction() as tx:
            rows = await tx.session.execute(select(Member).where(Member.user_id == user))
            return rows.scalars().first()

    member: Member = await wait_for(stored, within=SEEN_WITHIN)
    return ZoneInfo(member.timezone or (await _community_zone(store, channel)).key)


def _roster(driver: Driver, **members: str) -> None:
    """Slack and Teams read a ritual's members from the platform's roster (Slack's
    ``conversations.members``, the team's paged members); ``members``: names by user id."""
    if isinstance(driver, SlackDriver):
        listed = [*members, BOT_USER]
        driver.bot.slack.add_channel(TEAM, driver.channel, "data", listed[0], members=listed)
    elif isinstance(driver, TeamsDriver):
        accounts = [
            {**teams_member(i, name=name), "id": user}
            for i, (user, name) in enumerate(members.items(), 1)
        ]
        for place in (driver.channel, TEAMS_TEAM):
            driver.bot.connector.set_roster(place, accounts)


async def test_the_gentle_nudge_reaches_a_silent_member_privately_with_its_stop_button(
    tuesday_driver: tuple[Driver, ManualClock],
) -> None:
    driver, clock = tuesday_driver
    store = await _store(driver)
    await _switch_on(store, driver.channel, "nudge", clock())
    await driver.join(MEMBER, "Noor", "en-GB")
    _roster(driver, **{MEMBER: "Noor"})
    local = await _member_zone(store, driver.channel, MEMBER)
    clock.now = datetime(2027, 1, 5, 10, 0, 30, tzinfo=local)  # 35 days of silence
    [nudge] = await _messages_starting(driver, MEMBER, "Hi Noor 👋 We have not heard from you")
    assert nudge.text.endswith("Not for you right now? The button below stops these notes.")
    assert nudge.stop == "Stop “Gentle nudges”"


async def _sponsored_by(store: Store, channel: str, sponsor: str) -> None:
    async with store.transaction() as tx:
        rows = await tx.session.execute(select(Community).where(Community.channel_id == channel))
        for community in rows.scalars().all():
            community.sponsors = [sponsor]


async def test_the_sponsor_gets_the_monthly_acts_privately_and_nobody_else(
    tuesday_driver: tuple[Driver, ManualClock],
) -> None:
    driver, clock = tuesday_driver
    store = await _store(driver)
    await _sponsored_by(store, driver.channel, MEMBER)
    await _switch_on(store, driver.channel, "sponsor", clock())
    await driver.join(OTHER, "Ola", "en-GB")
    await driver.join(MEMBER, "Noor", "en-GB")
    _roster(driver, **{MEMBER: "Noor", OTHER: "Ola"})
    local = await _member_zone(store, driver.channel, MEMBER)
    clock.now = datetime(2026, 12, 1, 9, 30, 30, tzinfo=local)  # the first Tuesday
    [acts] = await _messages_starting(driver, MEMBER, "Hello Noor! As a sponsor of *")
    assert "• Share this month's priority with the channel: " in acts.text
    assert acts.stop == "Stop “Sponsors lead by example”"
    assert not [s for s in await driver.messages(OTHER) if "As a sponsor of" in s.text]
