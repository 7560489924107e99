"""Neutral actions rendered into Slack Web API calls (Block Kit)."""

from __future__ import annotations

from adapters.slack.blocks import SECTION_LIMIT, answer_modal, render
from bot.vocabulary import actions as act
from bot.vocabulary.events import MessageRef


def test_text_is_escaped_but_keeps_mrkdwn() -> None:
    call = render(act.SendDirectMessage(user_id="U1", text="*Hi* <script> & co"))
    assert call.method == "chat.postMessage" and call.args["channel"] == "U1"
    assert call.args["blocks"][0]["text"]["text"] == "*Hi* &lt;script&gt; &amp; co"
    assert call.args["text"] == "*Hi* <script> & co"


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
