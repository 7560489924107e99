"""Neutral actions as Teams activities, and Bot Connector failures as send outcomes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from adapters.teams.cards import render
from adapters.teams.errors import classify
from adapters.teams.normalize import to_events
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from bot.vocabulary.events import MessageRef
from tests.builders import setup_form

FIXTURES = Path(__file__).parent / "fixtures" / "teams"


def content(activity: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = activity["attachments"][0]["content"]
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
    assert [(a["verb"], a["data"]) for a in card["actions"]] == [
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
    question, field = card["body"]
    assert question["text"] == "Why?"
    assert (field["type"], field["id"], field["placeholder"]) == (
        "Input.Text",
        "answer",
        "because…",
    )
    [send] = card["actions"]
    assert (send["title"], send["verb"]) == ("Envoyer", "animateur.answer")


def test_an_update_replaces_the_card_without_buttons() -> None:
    card = content(render(act.UpdateMessage(message=MessageRef("a:1", "17"), text="Done → Yes")))
    assert "actions" not in card and card["body"][0]["text"] == "Done → Yes"


def test_plain_messages_stay_plain_text() -> None:
    assert render(act.SendDirectMessage(user_id="29:1", text="*Hi*")) == {
        "type": "message",
        "text": "*Hi*",
        "textFormat": "markdown",
    }


def test_a_member_s_words_cannot_disguise_a_link_or_a_tag_in_a_bot_message() -> None:
    """A kudos reason, an answer or a name is placed in the bot's messages: only the runtime's
    links to Teams messages stay links; any other shows its real address, tags show as typed."""
    deep = "https://teams.microsoft.com/l/message/19:g@thread.tacv2/17?tenantId=t&groupId=g"
    said = (
        "🙌 <@29:1ada|Ada> thanks Bea: “[HR portal](https://evil.example/login) and "
        f'<a href="https://evil.example">benefits</a>” — see [the question]({deep})'
    )
    sent = render(act.PostToCommunity(channel="19:g@thread.tacv2", text=said))

    assert sent["text"] == (
        "🙌 <at>Ada</at> thanks Bea: “HR portal (https://evil.example/login) and "
        '&lt;a href="https://evil.example"&gt;benefits&lt;/a&gt;” — '
        f"see [the question]({deep})"
    )
    assert sent["entities"][0]["mentioned"] == {"id": "29:1ada", "name": "Ada"}
    asked = act.AskQuestion(user_id="29:1", text="[Sign in](https://evil.example)", callback="c")
    card_text = render(asked)
    assert card_text["attachments"][0]["content"]["body"][0]["text"] == (
        "Sign in (https://evil.example)"
    )


STOP = act.HomeButton("Stop “Welcome”", "optout:welcome", style="danger")


def invoked(action: dict[str, Any], **inputs: str) -> ev.Event:
    """What a click on ``action`` (an Action.Execute) in a 1:1 chat comes back as."""
    activity = json.loads((FIXTURES / "invoke_adaptive_card_action.json").read_text("utf-8"))
    activity["value"]["action"] = {**action, "data": {**action["data"], **inputs}}
    [event] = to_events(activity)
    return event


def test_a_ritual_dm_keeps_its_text_and_gets_a_stop_button_clicking_like_a_home_one() -> None:
    activity = render(act.SendDirectMessage(user_id="29:1", text="*Hi*", stop=STOP))
    assert (activity["text"], activity["textFormat"]) == ("*Hi*", "markdown")
    [stop] = content(activity)["actions"]
    assert (stop["title"], stop["style"]) == ("Stop “Welcome”", "destructive")
    event = invoked(stop)
    assert isinstance(event, ev.ButtonClicked) and event.callback == "optout:welcome"
    assert event.message is not None, "a click in a message"


def test_a_questions_stop_button_comes_after_its_choices() -> None:
    card = content(
        render(
            act.AskQuestion(
                user_id="29:1",
                text="Accept?",
                callback="run:r1:charter",
                choices=(act.Choice("accept", "Yes"),),
                stop=STOP,
            )
        )
    )
    assert [a["title"] for a in card["actions"]] == ["Yes", "Stop “Welcome”"]


def test_a_form_is_a_card_of_prefilled_inputs_whose_submit_brings_them_all() -> None:
    form = setup_form("setup:19:team")
    card = content(render(form))
    inputs = [b for b in card["body"] if b["type"] == "Input.Text"]
    assert [(i["id"], i["label"], i["value"], i["isMultiline"]) for i in inputs] == [
        ("name", "Name", "Data", False),
        ("charter", "Charter", "Be kind", True),
        ("target", "Target engagement (%)", "60", False),
    ]
    assert inputs[2]["placeholder"] == "0 to 100"
    [submit] = card["actions"]
    assert submit["title"] == "Save"
    event = invoked(submit, name="Data & AI", charter="Be kind", target="")
    assert isinstance(event, ev.FormSubmitted) and event.callback == "setup:19:team"
    assert dict(event.values) == {"name": "Data & AI", "charter": "Be kind", "target": ""}


def failure(status: int | None, code: str = "", retry_after: str | None = None) -> Exception:
    exc = Exception("connector said no")
    headers = {"Retry-After": retry_after} if retry_after else {}
    exc.response = SimpleNamespace(status_code=status, headers=headers)  # type: ignore[attr-defined]
    exc.error = SimpleNamespace(error=SimpleNamespace(code=code))  # type: ignore[attr-defined]
    return exc


def test_connector_failures_map_to_outcomes() -> None:
    throttled = classify(failure(429, "Throttled", "3"))
    assert (throttled.status, throttled.retry_after) == ("deferred", 3.0), "spends no attempt"
    assert throttled.error == "ratelimited"
    for status in (412, 502, 504):
        assert classify(failure(status)).status == "retry"
    assert classify(failure(403, "ConversationBlockedByUser")).status == "blocked"
    assert classify(failure(403, "MessageWritesBlocked")).status == "blocked"
    assert classify(failure(401)).status == "retry", "our own credentials: retried, not revoked"
    assert classify(failure(404, "ConversationNotFound")).status == "permanent"
    assert classify(failure(None)).status == "retry", "network trouble is worth retrying"
