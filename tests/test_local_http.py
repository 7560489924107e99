"""End to end through the real HTTP server and the local platform's JSON API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import Answer
from tests.conftest import LiveServer, wait_for


async def test_a_member_joining_gets_one_welcome_dm_in_their_locale_then_the_flow_goes_on(
    live_server: LiveServer,
) -> None:
    join = {"type": "member_joined", "channel": "C-data", "user": "U-bob", "id": "join-1"}
    status, body = await live_server.post_event(**join)
    assert (status, body["status"]) == (202, "processed")
    status, body = await live_server.post_event(**join)
    assert (status, body["status"]) == (202, "duplicate")

    async def question_shown() -> list[dict[str, object]]:
        return [m for m in await live_server.messages(user="U-bob") if m["choices"]]

    [charter] = await wait_for(question_shown)
    dms = await live_server.messages(user="U-bob")
    assert len(dms) == 2, "exactly one welcome DM and the charter question"
    assert dms[0]["text"].startswith("Welcome to *Data & IA*, Bob Smith!")
    assert [c["label"] for c in charter["choices"]] == ["I accept", "I don't accept"]

    status, _ = await live_server.post_event(
        type="button_clicked", user="U-bob", message_id=charter["id"], value="accept"
    )
    assert status == 202

    async def free_text_question() -> list[dict[str, object]]:
        return [m for m in await live_server.messages(user="U-bob") if m["free_text"]]

    [expectations] = await wait_for(free_text_question)
    assert expectations["text"] == "Thank you! What do you expect from this community?"
    updated = next(m for m in await live_server.messages(user="U-bob") if m["id"] == charter["id"])
    assert updated["choices"] == [] and updated["text"].endswith("→ I accept")

    status, _ = await live_server.post_event(
        type="answer_submitted",
        user="U-bob",
        message_id=expectations["id"],
        answer="Learn how other teams ship ML models",
    )
    assert status == 202
    await wait_for(
        lambda: _last_text_contains(live_server, "U-bob", "I'll help you introduce yourself")
    )
    async with live_server.bot.store.transaction() as tx:
        rows = (await tx.session.execute(select(Answer).order_by(Answer.id))).scalars().all()
    assert [(a.key, a.value) for a in rows] == [
        ("charter", "accept"),
        ("expectations", "Learn how other teams ship ML models"),
    ]


async def _last_text_contains(server: LiveServer, user: str, fragment: str) -> bool:
    dms = await server.messages(user=user)
    return bool(dms) and fragment in str(dms[-1]["text"])


async def test_community_setup_is_a_form_in_the_playground(live_server: LiveServer) -> None:
    status, _ = await live_server.post_event(
        type="command", channel="C-data", user="U-dan", command="community", args="setup"
    )
    assert status == 202
    [offered] = await wait_for(lambda: _with_form(live_server, "U-dan"))
    assert offered["ephemeral_in"] == "C-data" and offered["submit_label"] == "Save"
    values = {f["name"]: f["value"] for f in offered["form"]["fields"]}
    assert (values["name"], values["facilitators"], values["target"]) == (
        "Data & IA",
        "U-dan",
        "60",
    )

    status, _ = await live_server.post_event(
        type="form_submitted",
        user="U-dan",
        message_id=offered["id"],
        values=values | {"objective": "Ship ML faster together", "unknown": "ignored"},
    )
    assert status == 202
    await wait_for(lambda: _last_text_contains(live_server, "U-dan", "updated: objective."))
    async with live_server.bot.store.transaction() as tx:
        community = (await tx.directory.communities())[0]
    assert community.objective == "Ship ML faster together"

    status, body = await live_server.post_event(
        type="form_submitted", user="U-dan", message_id="m999", values={}
    )
    assert status == 409 and body["error"] == "message 'm999' has no open form"


async def _with_form(server: LiveServer, user: str) -> list[dict[str, Any]]:
    return [m for m in await server.messages(user=user) if m["form"]]
