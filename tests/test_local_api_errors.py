"""Bad input to the local API gets a clear error and changes nothing."""

from __future__ import annotations

import json

from tests.conftest import LiveServer


async def test_health_reports_the_database(live_server: LiveServer) -> None:
    async with live_server.http.get(f"{live_server.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": "ok"}


JSON = {"Content-Type": "application/json"}


async def test_a_body_that_is_not_json_is_refused(live_server: LiveServer) -> None:
    async with live_server.http.post(
        f"{live_server.url}/local/events", data=b"{not json", headers=JSON
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "the body must be a JSON object"


async def test_a_body_not_sent_as_json_is_refused_so_no_web_page_can_post_events(
    live_server: LiveServer,
) -> None:
    """A page on any website can make the browser post a form (text/plain, urlencoded) to the
    playground without asking: such a post injects nothing."""
    event = json.dumps({"type": "member_joined", "user": "U-eve", "channel": "C-data"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        async with live_server.http.post(
            f"{live_server.url}/local/events", data=event.encode(), headers=headers
        ) as response:
            assert response.status == 415, content_type
            assert "Content-Type: application/json" in (await response.json())["error"]
    async with live_server.http.get(f"{live_server.url}/local/directory") as response:
        assert "U-eve" not in [m["id"] for m in (await response.json())["members"]]

    async with live_server.http.post(
        f"{live_server.url}/local/events", data=event.encode(), headers=JSON
    ) as response:
        assert response.status == 202
    async with live_server.http.get(f"{live_server.url}/local/directory") as response:
        assert "U-eve" in [m["id"] for m in (await response.json())["members"]]


async def test_an_unknown_event_type_names_the_accepted_ones(live_server: LiveServer) -> None:
    status, body = await live_server.post_event(type="member_teleported", user="U-bob")
    assert status == 400 and body["error"] == "invalid event"
    [problem] = body["problems"]
    assert "member_joined" in problem["problem"] and "answer_submitted" in problem["problem"]


async def test_missing_and_malformed_fields_are_each_named(live_server: LiveServer) -> None:
    status, body = await live_server.post_event(type="member_joined", user="U bob!")
    assert status == 400
    fields = {p["field"] for p in body["problems"]}
    assert fields == {"channel", "user"}
    assert await live_server.messages(user="U bob!") == []


async def test_clicking_a_message_without_an_open_question_is_a_conflict(
    live_server: LiveServer,
) -> None:
    status, body = await live_server.post_event(
        type="button_clicked", user="U-bob", message_id="m999", value="accept"
    )
    assert status == 409 and body["error"] == "message 'm999' has no open question"


async def test_messages_need_exactly_one_of_user_or_channel(live_server: LiveServer) -> None:
    async with live_server.http.get(f"{live_server.url}/local/messages") as response:
        assert response.status == 400
        assert "exactly one of" in (await response.json())["error"]


async def test_member_posts_show_in_the_channel_feed(live_server: LiveServer) -> None:
    status, _ = await live_server.post_event(
        type="message_posted", channel="C-data", user="U-chloe", text="Bonjour à tous"
    )
    assert status == 202
    [post] = await live_server.messages(channel="C-data")
    assert (post["author"], post["text"]) == ("U-chloe", "Bonjour à tous")
