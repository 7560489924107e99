"""Golden tests: every Teams activity shape → neutral events, as reviewed in
tests/fixtures/teams/expected.json (regenerate with ANIMATEUR_REGOLD=1, review the diff)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.teams.messages import command_text, plain_text
from adapters.teams.normalize import to_events
from bot.vocabulary import events as ev
from tests.builders import event_as_data
from tests.golden import Golden

FIXTURES = Path(__file__).parent / "fixtures" / "teams"


def activity(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


def normalized(name: str) -> list[dict[str, Any]]:
    return [event_as_data(e) for e in to_events(activity(name))]


GOLDEN = Golden(FIXTURES, normalized)


def test_every_fixture_has_a_reviewed_expectation() -> None:
    GOLDEN.refresh_if_asked()
    assert GOLDEN.reviewed_names() == GOLDEN.names


@pytest.mark.parametrize("name", GOLDEN.names)
def test_activity_normalizes_as_reviewed(name: str) -> None:
    assert normalized(name) == GOLDEN.expected(name)


def test_a_channel_message_without_mention_is_no_command() -> None:
    message = activity("message_channel_mention")
    message["entities"] = []
    message["text"] = "just chatting"
    assert command_text(message) is None
    [event] = to_events(message)
    assert type(event).__name__ == "MessagePosted"


def test_the_bots_own_activities_are_ignored() -> None:
    message = activity("message_personal")
    message["from"] = message["recipient"]
    assert to_events(message) == []


def _mention(text: str, user: str, name: str) -> dict[str, Any]:
    """A mention entity as Teams sends it with a message."""
    return {"type": "mention", "text": text, "mentioned": {"id": user, "name": name}}


def test_a_mentioned_member_becomes_their_id_and_the_bot_mention_goes() -> None:
    message = activity("message_channel_mention_user")
    assert command_text(message) == "facilitator add 29:1zoe"


def test_a_full_name_split_into_two_mentions_is_one_member() -> None:
    """Teams may send ``<at>Zoe</at> <at>Martin</at>``, two entities for one person."""
    message = activity("message_channel_mention_user")
    message["text"] = "<at>Animateur</at> facilitator add <at>Zoe</at> <at>Martin</at>"
    bot = message["entities"][0]
    message["entities"] = [
        bot,
        _mention("<at>Zoe</at>", "29:1zoe", "Zoe"),
        _mention("<at>Martin</at>", "29:1zoe", "Martin"),
    ]
    assert command_text(message) == "facilitator add 29:1zoe"


def test_two_members_with_the_same_name_keep_their_own_ids_in_order() -> None:
    message = activity("message_personal")
    message["text"] = "community setup sponsors=<at>Sam</at>,<at>Sam</at>"
    message["entities"] = [
        _mention("<at>Sam</at>", "29:1sam-a", "Sam"),
        _mention("<at>Sam</at>", "29:1sam-b", "Sam"),
    ]
    assert command_text(message) == "community setup sponsors=29:1sam-a,29:1sam-b"


def test_a_mention_no_entity_names_keeps_its_name() -> None:
    """Only the entities say who is mentioned (the sender writes the text): without one, the
    name stays, and the command says it is no person."""
    message = activity("message_channel_mention")
    message["text"] = "<at>Animateur</at> facilitator add <at>Zoe</at>"
    assert command_text(message) == "facilitator add Zoe"


def test_an_entity_for_another_text_does_not_name_this_mention() -> None:
    message = activity("message_channel_mention_user")
    message["text"] = "<at>Animateur</at> facilitator add <at>Zoe</at>"
    assert command_text(message) == "facilitator add Zoe"


def test_edits_and_deletions_in_a_personal_chat_are_no_community_activity() -> None:
    for name in ("message_update_edit", "message_delete"):
        changed = activity(name)
        assert len(to_events(changed)) == 1
        changed["conversation"] = {"conversationType": "personal", "id": "a:1chat"}
        assert to_events(changed) == []


def test_an_edited_reply_is_never_a_question() -> None:
    edited = activity("message_update_undelete")
    [event] = to_events(edited)
    assert isinstance(event, ev.MessageEdited) and event.is_question
    edited["id"] = "1709545330250"  # a reply in the thread of the conversation's message
    [event] = to_events(edited)
    assert isinstance(event, ev.MessageEdited) and not event.is_question


def test_a_reaction_that_names_no_message_is_dropped() -> None:
    reaction = activity("message_reaction_removed")
    assert len(to_events(reaction)) == 1
    del reaction["replyToId"]
    assert to_events(reaction) == []


def test_mentions_read_as_the_names_they_show_and_markup_is_no_text() -> None:
    message = activity("message_channel_question")
    assert plain_text(message).split() == [
        "Quelqu’un",
        "a",
        "déjà",
        "branché",
        "dbt",
        "sur",
        "le",
        "lac",
        "de",
        "données",
        "?",
    ]
    message["text"] = "<p>Anyone using <b>dbt</b>&nbsp;?</p>"
    [event] = to_events(message)
    assert isinstance(event, ev.MessagePosted) and event.is_question
