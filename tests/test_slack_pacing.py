"""A fan-out goes at the pace Slack takes: after Slack's first 429 on chat.postMessage, the
workspace's posts are paced at what Slack took in the second before, instead of bursting into
the limit again after every pause (through the real sender, against the fake Web API limiting
posts per second)."""

from __future__ import annotations

import asyncio

from adapters.slack.sender import SlackSender
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from tests.fakes.slack_api import FakeSlackApi

WORKSPACE = WorkspaceRef("slack", "T0001")
#: Posts a second the fake takes; the DMs sent: six seconds' worth.
LIMIT, DMS = 10, 60


async def token(team: str) -> str | None:
    return "xoxb-1" if team == "T0001" else None


async def test_after_a_429_the_workspace_posts_at_the_pace_slack_took() -> None:
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        slack.enforce_rate("chat.postMessage", per_second=LIMIT)
        sender = SlackSender(token, slack.api_url)
        try:
            for i in range(DMS):  # each DM as soon as the previous one was taken
                dm = act.SendDirectMessage(user_id=f"U{i:04d}", text="Bienvenue")
                while (outcome := await sender.send(WORKSPACE, dm)).status != "sent":
                    assert outcome.status == "deferred", outcome
                    await asyncio.sleep(outcome.retry_after or 0.1)
        finally:
            await sender.close()
    taken = [c for c in slack.calls_to("chat.postMessage") if c.status == 200]
    assert sorted(c.args["channel"] for c in taken) == [f"U{i:04d}" for i in range(DMS)]
    # bursting after each pause would meet the limit every second: 5 refusals here; paced,
    # the first one (and one or two more if the machine delays some posts, not others)
    assert slack.rate_violations <= 3, f"{slack.rate_violations} posts refused"
