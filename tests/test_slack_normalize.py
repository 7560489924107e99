"""Golden tests: every Slack payload shape → the neutral event (or nothing), as reviewed in
tests/fixtures/slack/expected.json. Regenerate with ANIMATEUR_REGOLD=1 and review the diff."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
EXPECTED = FIXTURES / "expected.json"
BOT_USER = "UBOT0001"
#: Interactions carry no timestamp of their own: normalization stamps "now".
STAMPED_NOW = {"command_help", "block_actions", "view_submission"}


def as_data(event: Any, stamped_now: bool) -> Any:
    if event is None:
        return None
    data = {"type": type(event).__name__, **dataclasses.asdict(event)}
    if stamped_now:
        assert isinstance(data.pop("occurred_at"), datetime)
    else:
        data["occurred_at"] = data["occurred_at"].isoformat()
    data["workspace"] = f"{event.workspace.platform}:{event.workspace.external_id}"
    if "values" in data:
        data["values"] = dict(data["values"])
    if "args" in data:
        data["args"] = list(data["args"])
    return data


def normalized(name: str) -> Any:
    body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if name.startswith("event_") or name == "url_verification":
        event = normalize.from_event(body, BOT_USER)
    elif name.startswith("command_"):
        event = normalize.from_command(body)
    elif name == "block_actions":
        event = normalize.from_block_action(body, body["actions"][0])
    elif name == "view_submission":
        event = normalize.from_view_submission(body)
    else:
        raise AssertionError(f"no normalizer for fixture {name}")
    return as_data(event, name in STAMPED_NOW)


NAMES = sorted(p.stem for p in FIXTURES.glob("*.json") if p != EXPECTED)


def test_every_fixture_has_a_reviewed_expectation() -> None:
    if os.environ.get("ANIMATEUR_REGOLD"):
        golden = {name: normalized(name) for name in NAMES}
        EXPECTED.write_text(json.dumps(golden, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert sorted(json.loads(EXPECTED.read_text("utf-8"))) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_payload_normalizes_as_reviewed(name: str) -> None:
    expected = json.loads(EXPECTED.read_text("utf-8"))[name]
    assert normalized(name) == expected


def test_the_bots_own_join_is_ignored() -> None:
    body = json.loads((FIXTURES / "event_member_joined_channel.json").read_text("utf-8"))
    body["event"]["user"] = BOT_USER
    assert normalize.from_event(body, BOT_USER) is None


def test_a_modal_with_broken_metadata_is_refused() -> None:
    body = json.loads((FIXTURES / "view_submission.json").read_text("utf-8"))
    body["view"]["private_metadata"] = "{not json"
    assert normalize.from_view_submission(body) is None
