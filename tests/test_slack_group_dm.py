"""A message to a group on Slack: one group DM with them all (``conversations.open`` with their
user ids, then one post in the conversation it gives), posted by the delivery of the group's
first member; the others' deliveries send nothing more. Through the real sender, against the
fake Web API."""

from __future__ import annotations

from adapters.slack.sender import SlackSender
from bot.runtime.clock import ManualClock
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from storage.outbox import Outgoing
from tests.builders import T0, joined
from tests.builders import WORKSPACE as LOCAL
from tests.conftest import Harness
from tests.fakes.slack_api import FakeSlackApi

WORKSPACE = WorkspaceRef("slack", "T0001")
GROUP = ("U0ADA", "U0BEA", "U0CY")
TEXT = "👋 <@U0ADA|Ada>, <@U0BEA|Bea>, <@U0CY|Cy> — you are this round's intro <in> Data & IA!"


async def token(team: str) -> str | None:
    return "xoxb-1" if team == "T0001" else None


async def any_token(team: str) -> str | None:
    return "xoxb-1"


async def test_one_group_dm_for_the_group_naming_them_as_slack_mentions() -> None:
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        sender = SlackSender(token, slack.api_url)
        try:
            outcomes = [
                await sender.send(WORKSPACE, act.MessageGroup(user_ids=GROUP, text=TEXT, to=user))
                for user in GROUP
            ]
        finally:
            await sender.close()
    assert [o.status for o in outcomes] == ["sent"] * 3
    [opened] = slack.calls_to("conversations.open")
    assert opened.args["users"] == "U0ADA,U0BEA,U0CY"
    channel = opened.response["channel"]["id"]
    assert slack.group_dms[channel] == list(GROUP)
    [posted] = slack.calls_to("chat.postMessage")
    assert posted.args["channel"] == channel
    assert posted.args["text"] == (
        "👋 <@U0ADA>, <@U0BEA>, <@U0CY> — you are this round's intro &lt;in&gt; Data &amp; IA!"
    )
    assert outcomes[0].platform_ref == f"{channel}:{posted.response['ts']}"


async def test_a_group_slack_refuses_is_not_retried() -> None:
    nine = tuple(f"U0{i:03d}" for i in range(9))
    async with FakeSlackApi() as slack:
        slack.add_team("T0001", "xoxb-1")
        sender = SlackSender(token, slack.api_url)
        try:
            outcome = await sender.send(
                WORKSPACE, act.MessageGroup(user_ids=nine, text="hello", to=nine[0])
            )
        finally:
            await sender.close()
    assert (outcome.status, outcome.error) == ("permanent", "too_many_users")
    assert slack.calls_to("chat.postMessage") == []


async def test_when_the_first_of_a_group_stopped_intros_the_next_one_carries_the_group_dm(
    database_url: str,
) -> None:
    """Each member's delivery of the group reads who may still get it: Ada stopped intros
    between the grouping and the send, so Bea's delivery opens the group DM with Bea and Cy —
    never Ada — and posts it once; nobody is left without it."""
    async with FakeSlackApi() as slack:
        slack.add_team("demo", "xoxb-1")
        sender = SlackSender(any_token, slack.api_url)
        harness = Harness.create(database_url, ManualClock(T0), senders={"local": sender})
        try:
            await harness.seed()
            for user in GROUP:
                await harness.dispatcher.handle(joined(user))
            async with harness.store.transaction() as tx:
                workspace = await tx.directory.workspace(LOCAL)
                assert workspace is not None and workspace.id is not None
                ada = await tx.directory.member(workspace.id, "U0ADA")
                assert ada is not None
                ada.opted_out = ["intros"]
                group = [
                    Outgoing(
                        act.action_to_dict(act.MessageGroup(user_ids=GROUP, text=TEXT, to=u)),
                        u,
                        None,
                        "intros",
                    )
                    for u in GROUP
                ]
                await tx.outbox.enqueue_all(group, workspace_id=workspace.id, now=T0)
            await harness.worker.drain()
            deliveries = {
                d.recipient: d.status
                for d in await harness.deliveries()
                if d.action["type"] == "MessageGroup"
            }
        finally:
            await sender.close()
            await harness.store.close()
    assert deliveries == {"U0ADA": "skipped", "U0BEA": "sent", "U0CY": "sent"}
    [opened] = [c for c in slack.calls_to("conversations.open") if "," in c.args["users"]]
    assert opened.args["users"] == "U0BEA,U0CY"
    channel = opened.response["channel"]["id"]
    [posted] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel]
    assert posted.args["text"].startswith("👋 <@U0ADA>, <@U0BEA>, <@U0CY>")  # as written
