"""Neutral actions → Slack Web API calls with Block Kit. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.slack.normalize import (
    ANSWER_ACTION,
    ANSWER_BLOCK,
    ANSWER_INPUT,
    ANSWER_MODAL,
    CHOICE_PREFIX,
    HOME_PREFIX,
)
from bot.vocabulary import actions as act

SECTION_LIMIT = 3000  # characters of text in one section block
BUTTON_LABEL_LIMIT = 75


@dataclass(frozen=True, slots=True)
class SlackCall:
    method: str
    args: dict[str, Any] = field(default_factory=dict)


def escape(text: str) -> str:
    """Slack's three control characters; the rest of mrkdwn (*bold*, _it_) stays."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = BUTTON_LABEL_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def sections(text: str) -> list[dict[str, Any]]:
    """One section per 3000 characters, cut at line ends where possible."""
    body, blocks = escape(text), []
    while body:
        cut = len(body) if len(body) <= SECTION_LIMIT else body.rfind("\n", 0, SECTION_LIMIT)
        cut = cut if cut > 0 else SECTION_LIMIT
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:cut]}})
        body = body[cut:].lstrip("\n")
    return blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": " "}}]


def _button(label: str, action_id: str, value: str, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(label),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style in ("primary", "danger"):
        button["style"] = style
    return button


def question_blocks(action: act.AskQuestion) -> list[dict[str, Any]]:
    if action.choices:
        buttons = [
            _button(c.label, f"{CHOICE_PREFIX}{i}", c.value) for i, c in enumerate(action.choices)
        ]
    else:
        label = action.answer_label or "Answer"
        buttons = [_button(label, ANSWER_ACTION, action.placeholder, "primary")]
    # the callback rides in block_id: it comes back with every click on these buttons
    return [
        *sections(action.text),
        {"type": "actions", "block_id": action.callback[:255], "elements": buttons},
    ]


def answer_modal(
    question: str, placeholder: str, submit: str, metadata: str, title: str = "Animateur"
) -> dict[str, Any]:
    """The modal a free-text answer is typed in (opened with the click's trigger_id)."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ANSWER_INPUT,
        "multiline": True,
        "max_length": 3000,
    }
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return {
        "type": "modal",
        "callback_id": ANSWER_MODAL,
        "private_metadata": metadata[:3000],
        "title": _plain(title, 24),
        "submit": _plain(submit or "Send", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": ANSWER_BLOCK,
                "label": _plain(question, 2000),
                "element": element,
            }
        ],
    }


def home_view(action: act.PublishHome) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(action.title, 150)}]
    for section in action.sections:
        if section.title:
            blocks += [{"type": "divider"}, {"type": "header", "text": _plain(section.title, 150)}]
        if section.text:
            blocks += sections(section.text)
        if section.buttons:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        _button(b.label, f"{HOME_PREFIX}{i}", b.callback, b.style)
                        for i, b in enumerate(section.buttons)
                    ],
                }
            )
    return {"type": "home", "blocks": blocks[:100]}


def _post(channel: str, text: str, **extra: Any) -> SlackCall:
    args = {"channel": channel, "text": text, "blocks": sections(text), **extra}
    return SlackCall("chat.postMessage", args)


def render(action: act.Action) -> SlackCall:
    """The one Web API call that performs ``action`` (``text`` is the notification fallback)."""
    match action:
        case act.SendDirectMessage(user_id=user, text=text):
            return _post(user, text)  # to a user id: Slack opens the DM with the app
        case act.PostToCommunity(channel=channel, text=text):
            return _post(channel, text)
        case act.ReplyInThread(channel=channel, thread=thread, text=text):
            return _post(channel, text, thread_ts=thread)
        case act.AskQuestion():
            return _post(action.user_id, action.text, blocks=question_blocks(action))
        case act.UpdateMessage(message=message, text=text):
            args = {"ts": message.message_id, **_post(message.channel, text).args}
            return SlackCall("chat.update", args)
        case act.RespondPrivately(user_id=user, channel=channel, text=text):
            return SlackCall("chat.postEphemeral", {**_post(channel, text).args, "user": user})
        case act.PublishHome():
            return SlackCall(
                "views.publish", {"user_id": action.user_id, "view": home_view(action)}
            )
        case act.NotifyFacilitators():
            raise ValueError("NotifyFacilitators is fanned out into DMs before delivery")
