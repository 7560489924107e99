"""The early warning and the weekly digest to a community's facilitators link the question
left unanswered for more than 48 h, as each platform spells a link to a message — through the
real stacks: the question and the member come in through Bolt / botbuilder, the DMs go out
through the Slack Web API / the Bot Connector (fakes on loopback).

Tuesday 2026-12-08 10:00 UTC (the community's working hours, UTC, and its digest's week): the
question was asked on Thursday 12-04 at 10:00, and nobody answered."""

from __future__ import annotations

from datetime import UTC, datetime

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
    fixture,
    joined_envelope,
    running_bot,
    seed_slack_community,
)
from tests.teams_support import TEAM as GENERAL
from tests.teams_support import TENANT, activity, running_teams_bot, seed_team_community

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
ASKED = datetime(2026, 12, 4, 10, tzinfo=UTC)
#: the seeded community's facilitator (on Slack and on Teams alike)
SLACK_FACILITATOR = TEAMS_FACILITATOR = "U0009"
#: who joins the Slack community (U0003 asks the question)
MEMBERS = ("U0003", "U0004", "U0005", "U0006", "U0007")
WARNED, DIGEST = "Early warning for *Data*:", "Weekly pulse of *Data* — week 2026-W50"


async def unanswered(bot: Animateur, workspace: WorkspaceRef, channel: str) -> int:
    async with bot.store.read() as tx:
        found = await tx.directory.workspace(workspace)
        assert found is not None and found.id is not None
        community = await tx.directory.community_by_channel(found.id, channel)
        assert community is not None and community.id is not None
        return len(await tx.pulse_queries.questions(community.id, ASKED, NOW))


async def look(bot: Animateur, clock: ManualClock) -> int:
    """The hourly look at the community's pulse, on the bot's own link builders."""
    watch = PulseWatch(
        bot.store,
        clock,
        bot.engine.playbooks,
        on_enqueued=bot.worker.wake,
        links=bot.message_links,
    )
    return await watch.run_due()


async def test_slack_warning_and_digest_link_the_question_on_the_workspace_s_address(
    database_url: str,
) -> None:
    clock = ManualClock(NOW)
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        for user in MEMBERS:
            slack.add_user(TEAM, user, user.lower())
        slack.add_user(TEAM, SLACK_FACILITATOR, "dan")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings, clock=clock) as running:
            await seed_slack_community(running.bot)
            workspace = WorkspaceRef("slack", TEAM)
            for user in MEMBERS:  # five members: the question figures are shown
                joined = await running.event(joined_envelope(user, f"Ev-join-{user}"))
                assert joined.status == 200
            question = fixture("event_message_question")  # "Quelqu'un a déjà … ?" by U0003
            ts = f"{ASKED.timestamp():.0f}.000150"
            question["event"] |= {"ts": ts, "event_ts": ts}
            assert (await running.event(question)).status == 200
            await wait_for(lambda: unanswered(running.bot, workspace, CHANNEL))

            assert await look(running.bot, clock) == 2  # the warning, and Tuesday's digest

            posts = await slack.wait_for_call("chat.postMessage", count=1)
            to_dan = await wait_for(lambda: _dms(slack, SLACK_FACILITATOR, 2), within=10)
    # auth.test told the workspace's address (https://acme.slack.com/): the link is there,
    # the ts without its dot, written as Slack's <url|label> in the text and the blocks
    link = "<https://acme.slack.com/archives/C0001/p1796378400000150|question of 2026-12-04>"
    for call in to_dan:
        said = "".join(b["text"]["text"] for b in call.args["blocks"] if b["type"] == "section")
        assert link in said and link in call.args["text"], said
    assert {c.args["text"].split("\n")[0] for c in to_dan} == {WARNED, DIGEST}
    # the member who asked got no such link (the welcome DM is theirs: no question's link)
    assert posts and all(
        "archives" not in str(c.args)
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") != SLACK_FACILITATOR
    )


async def _dms(slack: FakeSlackApi, user: str, count: int) -> list[object] | None:
    sent = [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == user and c.ok]
    return sent if len(sent) >= count else None


async def test_teams_warning_and_digest_carry_the_deep_link_with_tenant_and_group(
    database_url: str,
) -> None:
    clock = ManualClock(NOW)
    async with (
        FakeBotConnector() as connector,
        running_teams_bot(database_url, connector, clock=clock) as teams,
    ):
        await teams.install_in_team()  # channelData.team.aadGroupId: the team's group, kept
        await seed_team_community(teams.bot)
        workspace = WorkspaceRef("teams", TENANT)
        for user in ("29:1abc", *(f"29:{n}" for n in range(4))):  # Ada, the asker, and 4 more
            assert (await teams.add_member(user, user))[0] == 201
        message_id = f"{ASKED.timestamp() * 1000:.0f}"
        question = activity(
            "message_channel_question",
            connector,
            id=message_id,
            timestamp="2026-12-04T10:00:00.000Z",
        )
        question["conversation"]["id"] = f"{GENERAL};messageid={message_id}"
        assert (await teams.post(question))[0] == 201
        await wait_for(lambda: unanswered(teams.bot, workspace, GENERAL))

        assert await look(teams.bot, clock) == 2

        async def two() -> list[dict[str, object]] | None:
            sent = teams.messages_to(TEAMS_FACILITATOR)
            return sent if len(sent) >= 2 else None

        to_facilitator = await wait_for(two, within=10)
    link = (
        "(https://teams.microsoft.com/l/message/19:team-general@thread.tacv2/1796378400000"
        "?tenantId=tid-0001&groupId=0c5e7a9d-2b4f-4e6a-8c1d-3f5b7d9e1a2c"
        "&parentMessageId=1796378400000&teamName=Communaut%C3%A9%20Animateur"
        "&createdTime=1796378400000)"
    )
    for message in to_facilitator:
        assert f"[question of 2026-12-04]{link}" in str(message["text"]), message["text"]
    assert {str(m["text"]).split("\n")[0] for m in to_facilitator} == {WARNED, DIGEST}
