"""Golden tests: every Slack payload shape → the neutral event (or nothing), as reviewed in
tests/fixtures/slack/expected.json. Regenerate with ANIMATEUR_REGOLD=1 and review the diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import normalize
from bot.vocabulary import events as ev
from tests.builders import event_as_data
from tests.golden import Golden

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
BOT_USER = "UBOT0001"
#: Interactions carry no timestamp of their own: normalization stamps "now".
STAMPED_NOW = {
    "command_escaped_mention",
    "command_help",
    "block_actions",
    "block_actions_stop",
    "view_submission",
    "view_submission_form",
}


def normalized(name: str) -> Any:
    body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if name.startswith("event_") or name == "url_verification":
        event = normalize.from_event(body, BOT_USER)
    elif name.startswith("command_"):
        event = normalize.from_command(body)
    elif name.startswith("block_actions"):
        event = normalize.from_block_action(body, body["actions"][0])
    elif name.startswith("view_submission"):
        event = normalize.from_view_submission(body)
    else:
        raise AssertionError(f"no normalizer for fixture {name}")
    if event is None:
        return None
    return event_as_data(event, with_time=name not in STAMPED_NOW)


GOLDEN = Golden(FIXTURES, normalized)


def test_every_fixture_has_a_reviewed_expectation() -> None:
    GOLDEN.refresh_if_asked()
    assert GOLDEN.reviewed_names() == GOLDEN.names


@pytest.mark.parametrize("name", GOLDEN.names)
def test_payload_normalizes_as_reviewed(name: str) -> None:
    assert normalized(name) == GOLDEN.expected(name)


def test_the_bots_own_join_is_ignored() -> None:
    body = json.loads((FIXTURES / "event_member_joined_channel.json").read_text("utf-8"))
    body["event"]["user"] = BOT_USER
    assert normalize.from_event(body, BOT_USER) is None


def test_a_modal_with_broken_metadata_is_refused() -> None:
    body = json.loads((FIXTURES / "view_submission.json").read_text("utf-8"))
    body["view"]["private_metadata"] = "{not json"
    assert normalize.from_view_submission(body) is None


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("facilitator add <@U0042|zoe>", "facilitator add <@U0042>"),
        ("facilitator add <@U0042>", "facilitator add <@U0042>"),
        ("facilitator add <@W0042|Zoé Martin>", "facilitator add <@W0042>"),
        ("see <#C0002|data-ia> and <#C0003|>", "see <#C0002> and <#C0003>"),
        ("<!here> <!subteam^S0001|@facilitators>", "@here @facilitators"),
        ("<https://wiki.example.com/a?b=1&amp;c=2>", "https://wiki.example.com/a?b=1&c=2"),
        ("<http://example.com|example.com> <mailto:a@b.org|a@b.org>", "example.com a@b.org"),
        ('name="R&amp;D &lt;3 &gt; all" &amp;lt;', 'name="R&D <3 > all" &lt;'),
        ("plain words, no escapes", "plain words, no escapes"),
        ("a lone < or > stays", "a lone < or > stays"),
    ],
)
def test_an_escaped_command_reads_as_typed_with_mentions_as_ids(sent: str, typed: str) -> None:
    assert normalize.command_text(sent) == typed


def test_an_event_in_a_channel_shared_with_another_organisation_is_for_our_workspace() -> None:
    body = json.loads((FIXTURES / "event_message.json").read_text("utf-8"))
    body |= {"team_id": "T0777", "is_ext_shared_channel": True}
    body["event"]["team"] = "T0777"
    body["authorizations"] = [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}]
    event = normalize.from_event(body, BOT_USER)
    assert event is not None and event.workspace.external_id == "T0001"


def test_a_threads_first_message_is_top_level_and_may_be_a_question() -> None:
    """Slack gives a message that started a thread its own ts as thread_ts."""
    body = json.loads((FIXTURES / "event_message_question.json").read_text("utf-8"))
    body["event"]["thread_ts"] = body["event"]["ts"]
    event = normalize.from_event(body, BOT_USER)
    assert isinstance(event, ev.MessagePosted)
    assert (event.thread, event.parent_author, event.is_question) == (None, None, True)


def test_a_reply_without_its_parents_author_says_so() -> None:
    body = json.loads((FIXTURES / "event_message_thread_reply.json").read_text("utf-8"))
    del body["event"]["parent_user_id"]
    event = normalize.from_event(body, BOT_USER)
    assert isinstance(event, ev.MessagePosted)
    assert (event.thread, event.parent_author) == ("1700000200.000100", None)


def test_the_bots_own_messages_and_edits_are_ignored() -> None:
    posted = json.loads((FIXTURES / "event_message.json").read_text("utf-8"))
    edited = json.loads((FIXTURES / "event_message_changed.json").read_text("utf-8"))
    assert normalize.from_event(posted, BOT_USER) is not None
    assert normalize.from_event(edited, BOT_USER) is not None
    posted["event"]["user"] = BOT_USER
    edited["event"]["message"]["user"] = BOT_USER
    assert normalize.from_event(posted, BOT_USER) is None
    assert normalize.from_event(edited, BOT_USER) is None


def test_edits_and_deletions_in_a_direct_message_are_no_community_activity() -> None:
    for name in ("event_message_changed", "event_message_deleted"):
        body = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
        assert normalize.from_event(body, BOT_USER) is not None
        body["event"] |= {"channel": "D0002", "channel_type": "im"}
        assert normalize.from_event(body, BOT_USER) is None


def test_a_reaction_to_a_file_is_no_reaction_to_a_message() -> None:
    body = json.loads((FIXTURES / "event_reaction_added.json").read_text("utf-8"))
    body["event"]["item"] = {"type": "file", "file": "F0001"}
    assert normalize.from_event(body, BOT_USER) is None
