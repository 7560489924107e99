"""Where a facilitator opens a message, as each platform spells it: Teams' deep link (with the
team's group id when known, else the channel), Slack's permalink (the workspace's own address
when known), the playground; and Slack writing the runtime's ``[label](url)`` as its own link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.local.links import LocalMessageLinks
from adapters.slack.blocks import render
from adapters.slack.links import SlackMessageLinks
from adapters.teams.links import TeamsMessageLinks, group_entries
from bot.runtime.message_links import MessageLinkBook, labelled
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessagePlace

TENANT = "tid-0001"
GENERAL = "19:team-general@thread.tacv2"
RITUALS = "19:rituals-7f3a2c@thread.tacv2"
GROUP = "0c5e7a9d-2b4f-4e6a-8c1d-3f5b7d9e1a2c"
TEAMS = WorkspaceRef("teams", TENANT)


class References:
    """A ReferenceStore in memory."""

    def __init__(self, entries: Mapping[str, dict[str, Any]]) -> None:
        self.entries = dict(entries)

    async def save(self, workspace: WorkspaceRef, entries: Mapping[str, dict[str, Any]]) -> None:
        self.entries |= entries

    async def get(self, workspace: WorkspaceRef, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    async def any(self, workspace: WorkspaceRef) -> dict[str, Any] | None:
        return None

    async def with_prefix(self, workspace: WorkspaceRef, prefix: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.entries.items() if k.startswith(prefix)}


def known_team() -> References:
    """What the bot keeps once added to the team: each channel's team, the team's group."""
    added = {
        "channelData": {
            "team": {"id": GENERAL, "aadGroupId": GROUP, "name": "Communauté Animateur"},
            "tenant": {"id": TENANT},
        }
    }
    return References(
        {f"team:{RITUALS}": {"id": GENERAL}, f"team:{GENERAL}": {"id": GENERAL}}
        | group_entries(added)
    )


async def test_a_teams_channel_message_links_to_it_with_tenant_group_and_thread() -> None:
    links = TeamsMessageLinks(known_team())

    root = await links.url(TEAMS, MessagePlace(RITUALS, "1733400000000"))
    assert root == (
        "https://teams.microsoft.com/l/message/19:rituals-7f3a2c@thread.tacv2/1733400000000"
        f"?tenantId={TENANT}&groupId={GROUP}&parentMessageId=1733400000000"
        "&teamName=Communaut%C3%A9%20Animateur&createdTime=1733400000000"
    )
    # a reply: its own id in the path, its thread's first message as the parent
    reply = await links.url(TEAMS, MessagePlace(RITUALS, "1733400099000", "1733400000000"))
    assert "/1733400099000?" in reply
    assert "parentMessageId=1733400000000&" in reply and "createdTime=1733400099000" in reply


async def test_without_the_team_s_group_id_a_teams_link_opens_the_channel() -> None:
    # the bot heard from the channel, but nothing that named the team's group yet
    links = TeamsMessageLinks(References({f"team:{RITUALS}": {"id": GENERAL}}))

    url = await links.url(TEAMS, MessagePlace(RITUALS, "1733400000000"))

    assert url == (
        "https://teams.microsoft.com/l/channel/19:rituals-7f3a2c@thread.tacv2/channel"
        f"?tenantId={TENANT}"
    )
    unknown = await TeamsMessageLinks(References({})).url(TEAMS, MessagePlace(RITUALS, "1"))
    assert (
        unknown.startswith("https://teams.microsoft.com/l/channel/19:rituals")
        and "groupId" not in unknown
    )


def test_only_an_activity_naming_the_group_keeps_it() -> None:
    without = {"channelData": {"team": {"id": GENERAL}, "tenant": {"id": TENANT}}}
    assert group_entries(without) == {}  # never overwrites the group id known before
    assert group_entries({"type": "message"}) == {}


async def test_a_slack_message_links_to_its_permalink_on_the_workspace_when_known() -> None:
    slack = WorkspaceRef("slack", "T0001")
    place = MessagePlace("C0001", "1733400000.000100")

    anywhere = await SlackMessageLinks().url(slack, place)
    assert anywhere == "https://slack.com/archives/C0001/p1733400000000100"

    own = SlackMessageLinks(lambda team: "https://acme.slack.com/" if team == "T0001" else None)
    assert await own.url(slack, place) == "https://acme.slack.com/archives/C0001/p1733400000000100"
    reply = await own.url(slack, MessagePlace("C0001", "1733400050.000200", "1733400000.000100"))
    assert reply == (
        "https://acme.slack.com/archives/C0001/p1733400050000200"
        "?thread_ts=1733400000.000100&cid=C0001"
    )


async def test_the_playground_links_to_itself() -> None:
    links = LocalMessageLinks("http://127.0.0.1:3000/")
    url = await links.url(WorkspaceRef("local", "demo"), MessagePlace("C-data", "p3"))
    assert url == "http://127.0.0.1:3000/playground"


async def test_the_book_adds_each_unanswered_question_s_link_and_names_the_others() -> None:
    book = MessageLinkBook({"slack": SlackMessageLinks()})
    figures: dict[str, Any] = {
        "questions_28d": {
            "unanswered_links": [
                {"channel": "C0001", "message_id": "1.2", "asked_at": "2026-12-05T10:00:00Z"}
            ]
        }
    }
    await book.add_urls(WorkspaceRef("slack", "T0001"), figures)
    [question] = figures["questions_28d"]["unanswered_links"]
    assert question["url"] == "https://slack.com/archives/C0001/p12"
    assert labelled([question], lambda q: f"question of {q['asked_at'][:10]}") == (
        "[question of 2026-12-05](https://slack.com/archives/C0001/p12)"
    )
    # a platform with no builder: no link, the question named by its place
    other = {"channel": "C9", "message_id": "m1", "asked_at": "2026-12-05T10:00:00Z"}
    await book.add_urls(
        WorkspaceRef("local", "demo"), {"questions_28d": {"unanswered_links": [other]}}
    )
    assert "url" not in other
    assert labelled([other], lambda q: "x") == "C9 m1"


def test_slack_writes_a_markdown_link_as_its_own_and_still_escapes_the_rest() -> None:
    said = (
        "See [question of 2026-12-05](https://acme.slack.com/archives/C1/p1?t=1&c=2) <b> & "
        "[not](javascript:1)"
    )
    call = render(act.SendDirectMessage(user_id="U0009", text=said))

    expected = (
        "See <https://acme.slack.com/archives/C1/p1?t=1&amp;c=2|question of 2026-12-05> "
        "&lt;b&gt; &amp; [not](javascript:1)"
    )
    assert call.args["text"] == expected
    assert call.args["blocks"][0]["text"]["text"] == expected


def test_a_member_s_text_cannot_disguise_a_link_in_a_bot_message() -> None:
    """A kudos reason (or an answer, a name) is placed in the bot's messages: a markdown link
    in it stays as typed — only the runtime's links to Slack messages become links."""
    said = (
        "🙌 Ada thanks Bea: “[https://acme.slack.com/benefits](https://evil.example/login) "
        "thanks!” — see [the question](https://slack.com/archives/C1/p1733000000000100)"
    )
    call = render(act.PostToCommunity(channel="C1", text=said))

    assert call.args["text"] == (
        "🙌 Ada thanks Bea: “[https://acme.slack.com/benefits](https://evil.example/login) "
        "thanks!” — see <https://slack.com/archives/C1/p1733000000000100|the question>"
    )
