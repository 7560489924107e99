"""Correctly signed but malformed Slack requests, made by hand: each answered 4xx with a reason
(or a harmless 200 where Slack would otherwise retry or show the member an error), never 5xx,
never an error in the log — and the well-formed ones around them still processed."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from storage.tables import Community, Member, ProcessedEvent, Workspace
from tests.conftest import wait_for
from tests.slack_support import (
    TEAM,
    LogTrap,
    SlackBot,
    fixture,
    seeded_slack_bot,
    trapped_logs,
)

Payload = dict[str, Any]


@pytest_asyncio.fixture
async def slack_bot(database_url: str) -> AsyncIterator[SlackBot]:
    async with seeded_slack_bot(database_url) as running:
        yield running


@pytest.fixture
def logs() -> Iterator[LogTrap]:
    with trapped_logs() as trap:
        yield trap


def event(change: Callable[[Payload], Any] = lambda _: None) -> Payload:
    body = fixture("event_member_joined_channel")
    change(body)
    return body


def action(change: Callable[[Payload], Any] = lambda _: None) -> Payload:
    body = fixture("block_actions")
    change(body)
    return body


def submission(change: Callable[[Payload], Any] = lambda _: None) -> Payload:
    body = fixture("view_submission")
    change(body)
    return body


def command(**fields: str) -> dict[str, str]:
    return fixture("command_help") | fields


def _walk(body: Any, name: str) -> Any:
    return body[int(name)] if isinstance(body, list) else body[name]


def _set(path: str, value: Any) -> Callable[[Payload], None]:
    """Sets ``path`` (``actions.0.action_id``: lists by index) to ``value``."""

    def change(body: Any) -> None:
        *parents, last = path.split(".")
        for name in parents:
            body = _walk(body, name)
        body[int(last) if isinstance(body, list) else last] = value

    return change


def _drop(path: str) -> Callable[[Payload], None]:
    def change(body: Any) -> None:
        *parents, last = path.split(".")
        for name in parents:
            body = _walk(body, name)
        del body[int(last) if isinstance(body, list) else last]

    return change


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

#: (name, body, content type, expected status, a word the reason must contain)
MALFORMED: list[tuple[str, bytes, str, int, str]] = [
    ("broken JSON", b'{"type": "event_callback", "event": {', JSON, 400, "JSON"),
    ("a JSON list", b"[1, 2]", JSON, 400, "object"),
    ("a JSON string", b'"event_callback"', JSON, 400, "object"),
    ("not UTF-8", b'{"type": "\xff\xfe"}', JSON, 400, "UTF-8"),
    ("nested too deep", b"[" * 5000 + b"]" * 5000, JSON, 400, "JSON"),
    ("nested deep objects", ('{"a":' * 60 + "1" + "}" * 60).encode(), JSON, 400, "nesting"),
    ("another content type", b"type=event_callback", "text/plain", 415, "content type"),
    ("broken payload=", b"payload=%7Bnot+json", FORM, 400, "JSON"),
    ("payload= a list", b"payload=%5B1%5D", FORM, 400, "object"),
    ("no type", b'{"token": "x"}', JSON, 400, "type"),
    ("an unknown type", b'{"type": "launch_rockets"}', JSON, 400, "type"),
    ("a type that is a list", b'{"type": ["event_callback"]}', JSON, 400, "type"),
]


def _json(body: Payload) -> bytes:
    return json.dumps(body).encode()


def _form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def _interaction(body: Payload) -> bytes:
    return _form({"payload": json.dumps(body)})


#: (name, body, content type, expected status, a word the reason must contain)
SHAPES: list[tuple[str, bytes, str, int, str]] = [
    ("no event", _json(event(_drop("event"))), JSON, 400, "event"),
    ("event a string", _json(event(_set("event", "member_joined_channel"))), JSON, 400, "event"),
    ("event with no type", _json(event(_drop("event.type"))), JSON, 400, "event.type"),
    ("event type a number", _json(event(_set("event.type", 7))), JSON, 400, "event.type"),
    ("event user an object", _json(event(_set("event.user", {"x": 1}))), JSON, 400, "user"),
    ("event user a number", _json(event(_set("event.user", 12))), JSON, 400, "event.user"),
    ("a joiner without channel", _json(event(_drop("event.channel"))), JSON, 400, "channel"),
    ("no team", _json(event(_drop("team_id"))), JSON, 400, "team_id"),
    ("team an object", _json(event(_set("team_id", {"id": "T0001"}))), JSON, 400, "team_id"),
    ("an id with spaces", _json(event(_set("event.user", "U 0002"))), JSON, 400, "event.user"),
    ("a huge id", _json(event(_set("event.channel", "C" * 5000))), JSON, 400, "channel"),
    ("no event_id", _json(event(_drop("event_id"))), JSON, 400, "event_id"),
    ("event_id a list", _json(event(_set("event_id", []))), JSON, 400, "event_id"),
    ("a huge event_id", _json(event(_set("event_id", "E" * 300))), JSON, 400, "event_id"),
    ("authorizations a string", _json(event(_set("authorizations", "x"))), JSON, 400, "auth"),
    ("authorization a list", _json(event(_set("authorizations", [[]]))), JSON, 400, "auth"),
    ("event_time a string", _json(event(_set("event_time", "soon"))), JSON, 400, "event_time"),
    (
        "reaction item a string",
        _json(
            fixture("event_reaction_added")
            | {"event": fixture("event_reaction_added")["event"] | {"item": "x"}}
        ),
        JSON,
        400,
        "event.item",
    ),
    (
        "url_verification without challenge",
        _json({"type": "url_verification", "token": "x"}),
        JSON,
        400,
        "challenge",
    ),
    ("command without user", _form(command(user_id="")), FORM, 400, "user_id"),
    ("command without trigger", _form(command(trigger_id="")), FORM, 400, "trigger_id"),
    ("command with a huge team", _form(command(team_id="T" * 200)), FORM, 400, "team_id"),
    ("another command", _form(command(command="/other")), FORM, 400, "command"),
    ("actions empty", _interaction(action(_set("actions", []))), FORM, 400, "actions"),
    ("action a string", _interaction(action(_set("actions", ["x"]))), FORM, 400, "actions[0]"),
    ("action without id", _interaction(action(_drop("actions.0.action_id"))), FORM, 400, "id"),
    ("action id a number", _interaction(action(_set("actions.0.action_id", 3))), FORM, 400, "id"),
    ("clicker missing", _interaction(action(_drop("user"))), FORM, 400, "user"),
    ("clicker id an object", _interaction(action(_set("user.id", {}))), FORM, 400, "user.id"),
    ("container a list", _interaction(action(_set("container", []))), FORM, 400, "container"),
    ("no view", _interaction(submission(_drop("view"))), FORM, 400, "view"),
    ("view state a list", _interaction(submission(_set("view.state", []))), FORM, 400, "state"),
    (
        "values of a list",
        _interaction(submission(_set("view.state.values", {"answer_block": []}))),
        FORM,
        400,
        "values",
    ),
    (
        "metadata a number",
        _interaction(submission(_set("view.private_metadata", 5))),
        FORM,
        400,
        "private_metadata",
    ),
    ("no callback_id", _interaction(submission(_drop("view.callback_id"))), FORM, 400, "callback"),
]


@pytest.mark.parametrize(
    ("name", "body", "content_type", "status", "reason"),
    MALFORMED + SHAPES,
    ids=[case[0] for case in MALFORMED + SHAPES],
)
async def test_a_malformed_signed_request_is_refused_with_its_reason(
    slack_bot: SlackBot,
    logs: LogTrap,
    name: str,
    body: bytes,
    content_type: str,
    status: int,
    reason: str,
) -> None:
    reply = await slack_bot.post(body, content_type)
    assert (reply.status, reason.lower() in reply.body.lower()) == (status, True), reply.body
    assert logs.failures() == []
    # nothing of it was recorded…
    async with slack_bot.bot.store.transaction() as tx:
        assert (await tx.session.execute(select(ProcessedEvent))).first() is None
    # …and the endpoint still answers
    verification = {"type": "url_verification", "token": "x", "challenge": "c-1"}
    assert (await slack_bot.event(verification)).json() == {"challenge": "c-1"}
    assert logs.failures() == []


#: Requests Slack may send that the bot has nothing to do with: acknowledged, nothing done.
HARMLESS: list[tuple[str, bytes, str]] = [
    ("an event not handled", _json(event(_set("event.type", "channel_created"))), JSON),
    ("an event not handled, any shape", _json(event(_set("event", {"type": "x", "c": 1}))), JSON),
    (
        "rate limited",
        _json({"type": "app_rate_limited", "team_id": TEAM, "minute_rate_limited": 1}),
        JSON,
    ),
    (
        "a view closed",
        _interaction({"type": "view_closed", "view": {}, "user": {"id": "U1"}}),
        FORM,
    ),
    ("an options request", _interaction({"type": "block_suggestion", "action_id": "x"}), FORM),
    ("a click on a link button", _interaction(action(_set("actions.0.action_id", "lnk"))), FORM),
    (
        "a submitted view not ours",
        _interaction(submission(_set("view.callback_id", "someone.else"))),
        FORM,
    ),
]


@pytest.mark.parametrize(("name", "body", "content_type"), HARMLESS, ids=[c[0] for c in HARMLESS])
async def test_what_the_bot_does_not_handle_is_acknowledged_and_ignored(
    slack_bot: SlackBot, logs: LogTrap, name: str, body: bytes, content_type: str
) -> None:
    reply = await slack_bot.post(body, content_type)
    assert reply.status == 200
    assert logs.failures() == []
    async with slack_bot.bot.store.transaction() as tx:
        assert (await tx.session.execute(select(ProcessedEvent))).first() is None
    verification = {"type": "url_verification", "token": "x", "challenge": "c-1"}
    assert (await slack_bot.event(verification)).json() == {"challenge": "c-1"}


async def test_nul_characters_are_removed_and_the_rest_kept(
    slack_bot: SlackBot, logs: LogTrap
) -> None:
    slack_bot.slack.add_user(TEAM, "U0009", "dan", locale="en-GB", tz="Europe/London")
    url = slack_bot.slack.response_url()
    setup = command(
        user_id="U0009", text='community setup objective="ship\x00 it"', response_url=url
    )
    assert (await slack_bot.form(setup)).status == 200
    [answer] = await wait_for(lambda: _some(slack_bot.slack.responses))
    assert str(answer["text"]).startswith("Data updated: objective")
    submitted = submission()
    submitted["user"]["id"] = "U0002"
    submitted["view"]["state"]["values"]["answer_block"]["answer_input"]["value"] = "a\x00b"
    submitted["view"]["private_metadata"] = json.dumps({"callback": "run:deadbeef:expectations"})
    assert (await slack_bot.interaction(submitted)).status == 200
    async with slack_bot.bot.store.transaction() as tx:
        [community] = (await tx.session.execute(select(Community))).scalars().all()
        names = (await tx.session.execute(select(Member.user_id))).scalars().all()
    assert community.objective == "ship it"
    assert "U0002" in names, "the submission was processed"
    assert logs.failures() == []


async def _some(found: list[Any]) -> list[Any] | None:
    return found or None


async def test_a_submission_with_a_huge_trigger_is_processed_once(
    slack_bot: SlackBot, logs: LogTrap
) -> None:
    """Event keys are stored (255 characters at most): a long one is kept as its digest."""
    submitted = submission()
    submitted["trigger_id"] = "9" * 250
    submitted["view"]["id"] = "V" + "0" * 60
    for _ in range(2):
        assert (await slack_bot.interaction(submitted)).status == 200
    async with slack_bot.bot.store.transaction() as tx:
        keys = (await tx.session.execute(select(ProcessedEvent.key))).scalars().all()
        workspaces = (await tx.session.execute(select(Workspace))).scalars().all()
    assert len(keys) == 1 and len(keys[0]) <= 255
    assert [w.external_id for w in workspaces] == [TEAM]
    assert logs.failures() == []


async def test_a_command_saying_payload_is_answered(slack_bot: SlackBot, logs: LogTrap) -> None:
    """Bolt reads a form body containing the word "payload" as an interaction: the edge hands
    it the command as JSON."""
    url = slack_bot.slack.response_url()
    assert (await slack_bot.form(command(text="language payload", response_url=url))).status == 200
    [answer] = await wait_for(lambda: _some(slack_bot.slack.responses))
    assert str(answer["text"]).startswith("Usage: /animateur language")
    assert logs.failures() == []
