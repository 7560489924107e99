"""Neutral actions rendered into Slack Web API calls (Block Kit)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from adapters.slack import normalize
from adapters.slack.blocks import (
    SECTION_LIMIT,
    answer_modal,
    form_button_value,
    form_from_button,
    form_modal,
    modal_for_click,
    render,
)
from bot.vocabulary import actions as act
from bot.vocabulary.events import MessageRef
from tests.builders import setup_form

FIXTURES = Path(__file__).parent / "fixtures" / "slack"


def test_text_is_escaped_but_keeps_mrkdwn() -> None:
    call = render(act.SendDirectMessage(user_id="U1", text="*Hi* <script> & co"))
    assert call.method == "chat.postMessage" and call.args["channel"] == "U1"
    assert call.args["blocks"][0]["text"]["text"] == "*Hi* &lt;script&gt; &amp; co"
    assert call.args["text"] == "*Hi* &lt;script&gt; &amp; co", "the notification too"


def test_long_text_is_split_into_sections_at_line_ends() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(80))
    blocks = render(act.PostToCommunity(channel="C1", text=text)).args["blocks"]
    assert len(blocks) == 3
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks)
    assert "\n".join(b["text"]["text"] for b in blocks) == text


def test_a_question_with_choices_carries_its_callback_in_the_block_id() -> None:
    call = render(
        act.AskQuestion(
            user_id="U1",
            text="Accept?",
            callback="run:r1:charter",
            choices=(act.Choice("accept", "Yes"), act.Choice("decline", "No")),
        )
    )
    actions = call.args["blocks"][-1]
    assert actions["type"] == "actions" and actions["block_id"] == "run:r1:charter"
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("animateur.choice.0", "accept", "Yes"),
        ("animateur.choice.1", "decline", "No"),
    ]


def test_a_free_text_question_offers_an_answer_button() -> None:
    call = render(
        act.AskQuestion(
            user_id="U1",
            text="Why?",
            callback="run:r1:why",
            placeholder="because…",
            answer_label="Répondre",
        )
    )
    [button] = call.args["blocks"][-1]["elements"]
    assert (button["action_id"], button["text"]["text"], button["value"]) == (
        "animateur.answer",
        "Répondre",
        "because…",
    )


def test_the_answer_modal_keeps_its_metadata_and_placeholder() -> None:
    view = answer_modal("Why?", "because…", "Envoyer", '{"callback": "run:r1:why"}')
    assert view["callback_id"] == "animateur.answer_modal"
    assert view["private_metadata"] == '{"callback": "run:r1:why"}'
    [block] = view["blocks"]
    assert block["element"]["placeholder"]["text"] == "because…"
    assert view["submit"]["text"] == "Envoyer"


def test_an_update_and_an_ephemeral_reply() -> None:
    update = render(act.UpdateMessage(message=MessageRef("D1", "17.1"), text="Done"))
    assert (update.method, update.args["channel"], update.args["ts"]) == (
        "chat.update",
        "D1",
        "17.1",
    )
    private = render(act.RespondPrivately(user_id="U1", channel="C1", text="help"))
    assert (private.method, private.args["user"], private.args["channel"]) == (
        "chat.postEphemeral",
        "U1",
        "C1",
    )


def test_the_home_view_has_headers_and_toggle_buttons() -> None:
    home = act.PublishHome(
        user_id="U1",
        title="Animateur",
        sections=(
            act.HomeSection(
                "Data", "• Welcome: on", (act.HomeButton("Stop", "optout:welcome", style="danger"),)
            ),
        ),
    )
    call = render(home)
    assert call.method == "views.publish" and call.args["user_id"] == "U1"
    blocks = call.args["view"]["blocks"]
    assert [b["type"] for b in blocks] == ["header", "divider", "header", "section", "actions"]
    [button] = blocks[-1]["elements"]
    assert (button["value"], button["style"]) == ("optout:welcome", "danger")


STOP = act.HomeButton("Stop “Welcome”", "optout:welcome", style="danger")


def clicked(call_blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    """The block_actions payload of a click on the button ``action_id`` in a DM."""
    block = next(
        b
        for b in call_blocks
        if b["type"] == "actions" and b["elements"][0]["action_id"] == action_id
    )
    payload: dict[str, Any] = json.loads((FIXTURES / "block_actions.json").read_text("utf-8"))
    payload["actions"] = [{**block["elements"][0], "block_id": block.get("block_id", "b1")}]
    return payload


def test_a_ritual_dm_ends_with_its_stop_button_which_clicks_like_a_home_button() -> None:
    blocks = render(act.SendDirectMessage(user_id="U1", text="Hello", stop=STOP)).args["blocks"]
    assert [b["type"] for b in blocks] == ["section", "actions"]
    [button] = blocks[-1]["elements"]
    assert (button["text"]["text"], button["style"]) == ("Stop “Welcome”", "danger")
    payload = clicked(blocks, button["action_id"])
    event = normalize.from_block_action(payload, payload["actions"][0])
    assert event is not None
    assert (event.callback, event.value) == ("optout:welcome", "")
    assert event.message == MessageRef("D0001", "1700000000.000100"), "a click in a message"


def test_a_dm_without_stop_button_is_text_only() -> None:
    call = render(act.SendDirectMessage(user_id="U1", text="Hello"))
    assert call.args["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}]


def test_a_question_keeps_its_buttons_first_and_the_stop_button_last() -> None:
    call = render(
        act.AskQuestion(
            user_id="U1",
            text="Accept?",
            callback="run:r1:charter",
            choices=(act.Choice("accept", "Yes"),),
            stop=STOP,
        )
    )
    question, stop = call.args["blocks"][-2:]
    assert question["block_id"] == "run:r1:charter"
    assert [e["text"]["text"] for e in question["elements"]] == ["Yes"]
    assert [e["value"] for e in stop["elements"]] == ["optout:welcome"]


FORM = setup_form("setup:C1", reply_to="https://hooks.slack.com/commands/T1/1/x")


def test_a_form_is_a_private_message_whose_button_opens_a_prefilled_modal() -> None:
    call = render(FORM)
    assert (call.method, call.args["user"], call.args["channel"]) == (
        "chat.postEphemeral",
        "U1",
        "C1",
    )
    [button] = call.args["blocks"][-1]["elements"]
    assert button["text"]["text"] == "Open the form"

    view = modal_for_click(clicked(call.args["blocks"], button["action_id"]))
    assert view is not None
    assert (view["title"]["text"], view["submit"]["text"]) == ("Community setup", "Save")
    inputs = [
        (b["label"]["text"], b["element"].get("initial_value"), b["element"]["multiline"])
        for b in view["blocks"]
    ]
    assert inputs == [
        ("Name", "Data", False),
        ("Charter", "Be kind", True),
        ("Target engagement (%)", "60", False),
    ]
    assert view["blocks"][2]["element"]["placeholder"]["text"] == "0 to 100"
    assert all(b["optional"] for b in view["blocks"]), "an emptied field is left unchanged"


def test_a_submitted_form_modal_gives_every_value() -> None:
    view = form_modal("Setup", "Save", FORM.fields, '{"callback": "setup:C1"}')
    submission = json.loads((FIXTURES / "view_submission.json").read_text("utf-8"))
    submission["view"]["private_metadata"] = view["private_metadata"]
    submission["view"]["state"]["values"] = {
        b["block_id"]: {b["element"]["action_id"]: {"type": "plain_text_input", "value": v}}
        for b, v in zip(view["blocks"], ["Data & AI", None, "70"], strict=True)
    }
    event = normalize.from_view_submission(submission)
    assert event is not None and event.callback == "setup:C1"
    assert dict(event.values) == {"name": "Data & AI", "charter": "", "target": "70"}


def test_a_form_too_big_for_its_button_leaves_out_the_longest_values() -> None:
    long_charter = act.FormField("charter", "Charter", "x" * 5000, multiline=True)
    form = replace(FORM, fields=(FORM.fields[0], long_charter, FORM.fields[2]))
    value = form_button_value(form)
    assert len(value) <= 2000
    found = form_from_button(value)
    assert found is not None
    assert [(f.name, f.value) for f in found[2]] == [
        ("name", "Data"),
        ("charter", ""),
        ("target", "60"),
    ], "left empty: unchanged when submitted"
