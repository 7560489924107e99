"""A facilitator of many communities, member of as many: the Slack App Home stays within
Slack's 100 blocks by design — a few communities at a glance, then a line saying how many
more there are and where to see them — instead of being cut without a word."""

from __future__ import annotations

import json
import logging

import pytest

from adapters.slack.blocks import home_view
from bot.runtime.clock import ManualClock
from bot.settings import SlackSettings
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from storage.tables import Community
from tests.dashboard_support import links
from tests.fakes.slack_api import FakeSlackApi
from tests.home_support import History, at
from tests.slack_support import BOT_USER, SECRET, TEAM, TOKEN, running_bot
from tests.test_home_golden import buttons_of, open_home

COMMUNITIES = 40


async def test_a_facilitator_of_forty_communities_gets_a_home_within_slacks_limit(
    database_url: str,
) -> None:
    clock = ManualClock(at(11, 2, 9))
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0009", "dan", locale="en-US", tz="Europe/Paris")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings, clock=clock) as running:
            bot = running.bot
            bot.dispatcher.dashboard = links(clock)
            async with bot.store.transaction() as tx:
                workspace = await tx.directory.ensure_workspace(
                    WorkspaceRef("slack", TEAM), clock(), "Acme"
                )
                assert workspace.id is not None
                for n in range(COMMUNITIES):
                    community = await tx.directory.add_community(
                        Community(
                            workspace_id=workspace.id,
                            channel_id=f"C{n:04d}",
                            name=f"Guild {n}",
                            objective="",
                            charter="",
                            facilitators=["U0009"],
                            created_at=clock(),
                        )
                    )
                    assert community.id is not None
                    await tx.directory.set_playbook(community.id, "checkin", True, clock())
            for n in range(COMMUNITIES):  # Dan is in every one of them
                history = History(bot, clock, WorkspaceRef("slack", TEAM), f"C{n:04d}")
                await history.joined("U0009", at(11, 2, 10))

            view = await open_home(running, "U0009")
            assert len(view["blocks"]) <= 100
            shown = json.dumps(view, ensure_ascii=False)
            assert "You facilitate: Guild 0" in shown
            assert "…and 35 more communities you facilitate: open the dashboard" in shown
            assert "…and 32 more communities you are in" in shown
            assert "Guild 39" not in shown
            # the dashboard stays one click away: each glance's button and the index's
            dashboards = [b["url"] for b in buttons_of(view) if "url" in b]
            assert len(dashboards) == 6


def test_a_home_still_too_long_is_shortened_with_a_notice_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sections = tuple(act.HomeSection(title=f"Part {n}", text="some text") for n in range(60))
    home = act.PublishHome(user_id="U1", title="Home", sections=sections, shortened="Shortened.")
    with caplog.at_level(logging.WARNING, logger="adapters.slack.blocks"):
        blocks = home_view(home)["blocks"]
    assert len(blocks) == 100
    assert blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Shortened."}]}
    assert any("block limit" in r.getMessage() for r in caplog.records)
    short = home_view(act.PublishHome(user_id="U1", title="Home", sections=sections[:3]))["blocks"]
    assert len(short) == 1 + 3 * 3 and "Shortened" not in json.dumps(short)
