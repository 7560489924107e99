"""Malformed events on POST /local/events (the real aiohttp server, the seeded demo workspace):
always a 2xx or a 4xx with a reason, never a 5xx or a traceback. Hypothesis mutates a valid
event of every type the README lists, acting on messages the bot really showed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given

from tests.conftest import LiveServer, wait_for
from tests.fuzz_support import FUZZ, answered_cleanly, capturing_errors, mutated, poster

#: every key a local event may carry, for mutations that add one
EVENT_KEYS = [
    "type", "workspace", "user", "id", "name", "locale", "timezone", "channel", "text", "thread",
    "reaction", "message_id", "command", "args", "value", "answer", "values",
]  # fmt: skip
OUTBOUND = ("bot.runtime.delivery",)


async def _shown(server: LiveServer, user: str, part: str) -> dict[str, Any]:
    async def offered() -> list[dict[str, Any]]:
        return [m for m in await server.messages(user=user) if m[part]]

    found: list[dict[str, Any]] = await wait_for(offered, within=10)
    return found[-1]


async def _events(server: LiveServer) -> dict[str, dict[str, Any]]:
    """One valid event of each type, on messages the bot showed (a question, a form)."""
    await server.post_event(type="member_joined", channel="C-data", user="U-bob")
    question = await _shown(server, "U-bob", "choices")
    await server.post_event(type="command", channel="C-data", user="U-dan", command="community",
                            args="setup")  # fmt: skip
    form = await _shown(server, "U-dan", "form")
    _, posted = await server.post_event(type="message_posted", channel="C-data", user="U-bob",
                                        text="Bonjour ?")  # fmt: skip
    post = posted["message_id"]
    return {
        "member_joined": {"type": "member_joined", "channel": "C-data", "user": "U-eve",
                          "name": "Eve", "locale": "fr", "timezone": "Europe/Paris"},
        "message_posted": {"type": "message_posted", "channel": "C-data", "user": "U-bob",
                           "text": "Bonjour", "thread": "m1"},
        "reaction_added": {"type": "reaction_added", "channel": "C-data", "user": "U-bob",
                           "reaction": "tada", "message_id": post},
        "reaction_removed": {"type": "reaction_removed", "channel": "C-data", "user": "U-bob",
                             "reaction": "tada", "message_id": post},
        "message_edited": {"type": "message_edited", "user": "U-bob", "message_id": post,
                           "text": "Bonjour à tous ?"},
        "message_deleted": {"type": "message_deleted", "user": "U-bob", "message_id": post},
        "command": {"type": "command", "channel": "C-data", "user": "U-dan", "command": "rituals",
                    "args": "list"},
        "button_clicked": {"type": "button_clicked", "user": "U-bob", "message_id": question["id"],
                           "value": "accept"},
        "answer_submitted": {"type": "answer_submitted", "user": "U-bob",
                             "message_id": question["id"], "answer": "Learn"},
        "stop_clicked": {"type": "stop_clicked", "user": "U-bob", "message_id": question["id"]},
        "form_submitted": {"type": "form_submitted", "user": "U-dan", "message_id": form["id"],
                           "values": {f["name"]: f["value"] for f in form["form"]["fields"]}},
        "home_opened": {"type": "home_opened", "user": "U-dan"},
    }  # fmt: skip


JSON = {"Content-Type": "application/json"}


async def _post_raw(server: LiveServer, raw: bytes) -> tuple[int, Any]:
    async with server.http.post(f"{server.url}/local/events", data=raw, headers=JSON) as response:
        return response.status, await response.json()


async def test_json_nested_too_deep_is_refused(live_server: LiveServer) -> None:
    raw = '{"type": "command", "values": ' + "[" * 5000 + "1" + "]" * 5000 + "}"
    status, body = await _post_raw(live_server, raw.encode())
    assert status == 400 and "nested deeper" in body["reason"]


async def test_a_nul_in_a_post_a_name_or_an_answer_is_dropped_and_the_rest_is_served(
    live_server: LiveServer,
) -> None:
    """PostgreSQL refuses NUL in text: the edge drops it, the member is served all the same."""
    with capturing_errors(OUTBOUND) as errors:
        status, _ = await live_server.post_event(
            type="message_posted", channel="C-data", user="U-chloe", text="Bon\x00jour"
        )
        assert status == 202
        [post] = await live_server.messages(channel="C-data")
        assert post["text"] == "Bonjour"

        status, _ = await live_server.post_event(
            type="member_joined", channel="C-data", user="U-nul", name="No\x00or", locale="en"
        )
        assert status == 202
        question = await _shown(live_server, "U-nul", "choices")
        welcome = (await live_server.messages(user="U-nul"))[0]
        assert welcome["text"].startswith("Welcome to *Data & IA*, Noor!")

        status, _ = await live_server.post_event(
            type="button_clicked", user="U-nul", message_id=question["id"], value="accept"
        )
        assert status == 202
        free_text = await _shown(live_server, "U-nul", "free_text")
        status, _ = await live_server.post_event(
            type="answer_submitted", user="U-nul", message_id=free_text["id"], answer="M\x00L"
        )
        assert status == 202
        assert errors.take() == []


@pytest.mark.parametrize(
    "kind",
    [
        "member_joined",
        "message_posted",
        "reaction_added",
        "reaction_removed",
        "message_edited",
        "message_deleted",
        "command",
        "button_clicked",
        "answer_submitted",
        "stop_clicked",
        "form_submitted",
        "home_opened",
    ],
)
async def test_mutated_events_never_answer_a_server_error(
    live_server: LiveServer, kind: str
) -> None:
    valid = (await _events(live_server))[kind]
    status, body = await live_server.post_event(**valid)
    assert status in (202, 409), body  # the valid event is served (or its question was taken)
    post = poster(asyncio.get_running_loop(), live_server.http, f"{live_server.url}/local/events")

    @FUZZ
    @given(mutated([valid], EVENT_KEYS))
    def never_a_server_error(payload: dict[str, Any]) -> None:
        status, body = post(payload)
        answered_cleanly(status, body, errors.take())
        if status == 202:
            assert json.loads(body)["status"] in ("processed", "duplicate")

    with capturing_errors(OUTBOUND) as errors:
        await asyncio.to_thread(never_a_server_error)
