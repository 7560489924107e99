"""Neutral actions as Teams activities, and Bot Connector failures as send outcomes."""

from __future__ import annotations

from types import SimpleNamespace

from adapters.teams.cards import render
from adapters.teams.errors import classify
from bot.vocabulary import actions as act
from bot.vocabulary.events import MessageRef


def content(activity: dict[str, object]) -> dict[str, object]:
    attachments = activity["attachments"]
    assert isinstance(attachments, list)
    found: dict[str, object] = attachments[0]["content"]
    return found


def test_a_question_is_a_card_with_execute_buttons_carrying_the_callback() -> None:
    activity = render(
        act.AskQuestion(
            user_id="29:1",
            text="Accept?",
            callback="run:r1:charter",
            choices=(act.Choice("accept", "Yes"), act.Choice("decline", "No")),
        )
    )
    card = content(activity)
    assert activity["summary"] == "Accept?"
    assert [(a["verb"], a["data"]) for a in card["actions"]] == [  # type: ignore[index, union-attr]
        ("animateur.choice", {"callback": "run:r1:charter", "value": "accept"}),
        ("animateur.choice", {"callback": "run:r1:charter", "value": "decline"}),
    ]


def test_a_free_text_question_has_a_required_input() -> None:
    card = content(
        render(
            act.AskQuestion(
                user_id="29:1",
                text="Why?",
                callback="run:r1:why",
                placeholder="because…",
                submit_label="Envoyer",
            )
        )
    )
    question, field = card["body"]  # type: ignore[misc]
    assert question["text"] == "Why?"
    assert (field["type"], field["id"], field["placeholder"]) == (
        "Input.Text",
        "answer",
        "because…",
    )
    [send] = card["actions"]  # type: ignore[misc]
    assert (send["title"], send["verb"]) == ("Envoyer", "animateur.answer")


def test_an_update_replaces_the_card_without_buttons() -> None:
    card = content(render(act.UpdateMessage(message=MessageRef("a:1", "17"), text="Done → Yes")))
    assert "actions" not in card and card["body"][0]["text"] == "Done → Yes"  # type: ignore[index]


def test_plain_messages_stay_plain_text() -> None:
    assert render(act.SendDirectMessage(user_id="29:1", text="*Hi*")) == {
        "type": "message",
        "text": "*Hi*",
        "textFormat": "markdown",
    }


def failure(status: int | None, code: str = "", retry_after: str | None = None) -> Exception:
    exc = Exception("connector said no")
    headers = {"Retry-After": retry_after} if retry_after else {}
    exc.response = SimpleNamespace(status_code=status, headers=headers)  # type: ignore[attr-defined]
    exc.error = SimpleNamespace(error=SimpleNamespace(code=code))  # type: ignore[attr-defined]
    return exc


def test_connector_failures_map_to_outcomes() -> None:
    assert classify(failure(429, "Throttled", "3")).status == "retry"
    assert classify(failure(429, "Throttled", "3")).retry_after == 3.0
    for status in (412, 502, 504):
        assert classify(failure(status)).status == "retry"
    assert classify(failure(403, "ConversationBlockedByUser")).status == "blocked"
    assert classify(failure(403, "MessageWritesBlocked")).status == "blocked"
    assert classify(failure(401)).status == "retry", "our own credentials: retried, not revoked"
    assert classify(failure(404, "ConversationNotFound")).status == "permanent"
    assert classify(failure(None)).status == "retry", "network trouble is worth retrying"
