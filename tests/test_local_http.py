"""End to end through the real HTTP server and the local platform's JSON API."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.vocabulary import events as ev
from storage.tables import Answer
from tests.conftest import LiveServer, local_server, wait_for
from tests.dispatched import of_type, record_dispatched


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


async def test_replies_reactions_edits_and_deletions_reach_the_dispatcher_and_show(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched = record_dispatched(monkeypatch)
    async with local_server(database_url) as server:
        status, body = await server.post_event(
            type="message_posted", channel="C-data", user="U-bob", text="Qui utilise dbt ? 🤔"
        )
        assert (status, body["status"]) == (202, "processed")
        question = body["message_id"]
        _, body = await server.post_event(
            type="message_posted", channel="C-data", user="U-alice", text="Moi ! Pourquoi ?",
            thread=question,
        )  # fmt: skip
        reply = body["message_id"]
        _, body = await server.post_event(
            type="message_posted", channel="C-data", user="U-bob", text="Merci", thread=reply
        )
        second_reply = body["message_id"]
        for kind in ("reaction_added", "reaction_added", "reaction_removed"):
            status, _ = await server.post_event(
                type=kind, channel="C-data", user="U-alice", reaction="tada", message_id=question
            )
            assert status == 202
        await server.post_event(
            type="reaction_added", channel="C-data", user="U-dan", reaction="+1", message_id=reply
        )
        await server.post_event(
            type="message_edited", user="U-alice", message_id=reply, text="Moi, depuis un an."
        )
        await server.post_event(type="message_deleted", user="U-bob", message_id=second_reply)

        shown = {m["id"]: m for m in await server.messages(channel="C-data")}
        assert shown[reply]["thread"] == shown[second_reply]["thread"] == question
        assert shown[reply]["text"] == "Moi, depuis un an." and shown[reply]["edited_at"]
        assert shown[reply]["reactions"] == {"+1": ["U-dan"]}
        assert shown[question]["reactions"] == {}, "added, added again (once), removed"
        assert shown[second_reply]["deleted"] and shown[second_reply]["text"] == ""

    workspace = ev.WorkspaceRef("local", "demo")
    seen = [
        (type(e).__name__, getattr(e, "message_id", None), getattr(e, "thread", None))
        for e in dispatched
    ]
    assert seen == [
        ("MessagePosted", question, None),
        ("MessagePosted", reply, question),
        ("MessagePosted", second_reply, question),
        ("ReactionAdded", question, None),
        ("ReactionAdded", question, None),
        ("ReactionRemoved", question, None),
        ("ReactionAdded", reply, None),
        ("MessageEdited", reply, None),
        ("MessageDeleted", second_reply, None),
    ]
    posted = of_type(dispatched, ev.MessagePosted)
    assert [(p.member.user_id, p.parent_author, p.is_question) for p in posted] == [
        ("U-bob", None, True),
        ("U-alice", "U-bob", False),  # a reply is no question, whatever it ends with
        ("U-bob", "U-bob", False),
    ]
    assert all(e.workspace == workspace and e.channel == "C-data" for e in posted)
    reacted = of_type(dispatched, ev.ReactionAdded)
    assert [(r.member.user_id, r.reaction, r.target_author) for r in reacted] == [
        ("U-alice", "tada", "U-bob"),
        ("U-alice", "tada", "U-bob"),
        ("U-dan", "+1", "U-alice"),
    ]
    [edited] = of_type(dispatched, ev.MessageEdited)
    assert (edited.member.user_id, edited.channel, edited.is_question) == (
        "U-alice",
        "C-data",
        False,
    )
    [deleted] = of_type(dispatched, ev.MessageDeleted)
    assert deleted.member == ev.MemberProfile("U-bob")


async def test_a_reply_reaction_or_edit_on_no_message_of_the_channel_is_refused(
    live_server: LiveServer,
) -> None:
    _, body = await live_server.post_event(
        type="message_posted", channel="C-data", user="U-bob", text="Bonjour"
    )
    mine = body["message_id"]
    refusals = [
        ({"type": "message_posted", "channel": "C-data", "text": "?", "thread": "m999"},
         "message 'm999' is not in channel 'C-data'"),
        ({"type": "message_posted", "channel": "C-other", "text": "?", "thread": mine},
         f"message '{mine}' is not in channel 'C-other'"),
        ({"type": "reaction_added", "channel": "C-data", "reaction": "tada",
          "message_id": "m999"}, "message 'm999' is not in channel 'C-data'"),
        ({"type": "message_edited", "message_id": mine, "text": "pas à toi"},
         f"message '{mine}' is no message of yours in a channel"),
        ({"type": "message_deleted", "message_id": mine},
         f"message '{mine}' is no message of yours in a channel"),
    ]  # fmt: skip
    for event, error in refusals:
        status, body = await live_server.post_event(user="U-alice", **event)
        assert (status, body["error"]) == (409, error)
    status, body = await live_server.post_event(
        type="reaction_added", channel="C-data", user="U-alice", reaction="Not An Emoji!",
        message_id=mine,
    )  # fmt: skip
    assert status == 400 and body["problems"][0]["field"] == "reaction"
    [shown] = await live_server.messages(channel="C-data")
    assert (shown["text"], shown["reactions"]) == ("Bonjour", {})
