"""Golden tests: every Teams activity shape → neutral events, as reviewed in
tests/fixtures/teams/expected.json (regenerate with ANIMATEUR_REGOLD=1, review the diff)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.teams.normalize import command_text, to_events
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
