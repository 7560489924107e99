"""Neutral actions → Slack Web API calls with Block Kit. Pure: no I/O."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.slack.normalize import (
    ANSWER_ACTION,
    ANSWER_MODAL,
    BLOCK_SUFFIX,
    CHOICE_PREFIX,
    FORM_ACTION,
    HOME_PREFIX,
    INPUT_SUFFIX,
    STOP_ACTION,
    modal_metadata,
)
from bot.vocabulary import actions as act
from bot.vocabulary.events import MessageRef

log = logging.getLogger(__name__)

SECTION_LIMIT = 3000  # characters of text in one section block
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
INPUT_LIMIT = 3000  # characters a plain_text_input holds
HOME_BLOCKS = 100  # blocks a view holds
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


@dataclass(frozen=True, slots=True)
class SlackCall:
    method: str
    args: dict[str, Any] = field(default_factory=dict)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: A link to a Slack message as the runtime writes it in a text (adapters/slack/links.py),
#: ``[label](https://…slack.com/archives/…)``, once escaped: its label and address hold no
#: ``<``, ``>`` nor ``|`` that would end Slack's link. Only links to Slack's own archives
#: become links: a member's text placed in a bot message (a kudos reason, an answer, a name)
#: may hold ``[a trusted label](https://elsewhere)``, which must stay plain text — a disguised
#: address would otherwise carry the bot's authority.
_LINK = re.compile(r"\[([^\]\n|]+)\]\((https://(?:[a-z0-9-]+\.)*slack\.com/archives/[^\s)|]+)\)")


def mrkdwn(text: str) -> str:
    """``text`` escaped, its ``[label](url)`` links to Slack messages written as Slack's
    ``<url|label>``; any other ``[label](url)`` stays as it was written."""
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", escape(text))


def escape(text: str) -> str:
    """Slack's three control characters; the rest of mrkdwn (*bold*, _it_) stays, and so do
    mentions of Slack users (``<@U123>``: Slack shows their name)."""
    out, at = [], 0
    for found in act.MENTION.finditer(text):
        if not _SLACK_USER.fullmatch(found.group(1)):
            continue
        out += [_escaped(text[at : found.start()]), f"<@{found.group(1)}>"]
        at = found.end()
    return "".join([*out, _escaped(text[at:])])


def _plain(text: str, limit: int = BUTTON_LABEL_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def sections(text: str) -> list[dict[str, Any]]:
    """One section per 3000 characters, cut at line ends where possible."""
    body, blocks = mrkdwn(text), []
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
        "value": value[:BUTTON_VALUE_LIMIT],
    }
    if style in ("primary", "danger"):
        button["style"] = style
    return button


def with_stop(blocks: list[dict[str, Any]], stop: act.HomeButton | None) -> list[dict[str, Any]]:
    """``blocks``, then the ritual's stop button: a home button, so a click on it is
    normalized like one (its value is the callback)."""
    if stop is None:
        return blocks
    button = _button(stop.label, STOP_ACTION, stop.callback, stop.style)
    return [*blocks, {"type": "actions", "elements": [button]}]


def question_blocks(action: act.AskQuestion) -> list[dict[str, Any]]:
    if action.choices:
        buttons = [
            _button(c.label, f"{CHOICE_PREFIX}{i}", c.value) for i, c in enumerate(action.choices)
        ]
    else:
        label = action.answer_label or "Answer"
        buttons = [_button(label, ANSWER_ACTION, action.placeholder, "primary")]
    # the callback rides in block_id: it comes back with every click on these buttons
    blocks = [
        *sections(action.text),
        {"type": "actions", "block_id": action.callback[:255], "elements": buttons},
    ]
    return with_stop(blocks, action.stop)


def _input_block(form_field: act.FormField, *, optional: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": f"{form_field.name}{INPUT_SUFFIX}",
        "multiline": form_field.multiline,
        "max_length": INPUT_LIMIT,
    }
    if form_field.value:
        element["initial_value"] = form_field.value[:INPUT_LIMIT]
    if form_field.hint:
        element["placeholder"] = _plain(form_field.hint, 150)
    return {
        "type": "input",
        "block_id": f"{form_field.name}{BLOCK_SUFFIX}",
        "label": _plain(form_field.label, 2000),
        "optional": optional,
        "element": element,
    }


def form_modal(
    title: str,
    submit: str,
    fields: Sequence[act.FormField],
    metadata: str,
    *,
    optional: bool = True,
) -> dict[str, Any]:
    """A modal with one text input per field (opened with a click's trigger_id); its
    submission comes back as a FormSubmitted with one value per field."""
    return {
        "type": "modal",
        "callback_id": ANSWER_MODAL,
        "private_metadata": metadata[:3000],
        "title": _plain(title or "Animateur", 24),
        "submit": _plain(submit or "Send", 24),
        "blocks": [_input_block(f, optional=optional) for f in fields[:100]],
    }


def answer_modal(question: str, placeholder: str, submit: str, metadata: str) -> dict[str, Any]:
    """The modal a free-text answer is typed in: one required field, ``answer``."""
    answer = act.FormField("answer", question, multiline=True, hint=placeholder)
    return form_modal("Animateur", submit, [answer], metadata, optional=False)


def form_button_value(action: act.OpenForm) -> str:
    """The form, carried in its button's value (a private message cannot be read back).

    Within Slack's limit: the longest prefilled values are left out first (an empty field keeps
    its current value)."""
    fields = list(action.fields)
    while True:
        value = json.dumps(
            {"title": action.title, "submit": action.submit_label, "fields": [*map(_pack, fields)]},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        longest = max(range(len(fields)), key=lambda i: len(fields[i].value), default=None)
        if len(value) <= BUTTON_VALUE_LIMIT or longest is None or not fields[longest].value:
            return value
        fields[longest] = replace(fields[longest], value="")


def _pack(form_field: act.FormField) -> list[Any]:
    f = form_field
    return [f.name, f.label, f.value, f.multiline, f.hint]


def form_from_button(value: str) -> tuple[str, str, list[act.FormField]] | None:
    """Title, submit label and fields of a form button's value; None if it is not one."""
    try:
        data = json.loads(value)
        fields = [act.FormField(*packed) for packed in data["fields"]]
        return str(data["title"]), str(data["submit"]), fields
    except (json.JSONDecodeError, KeyError, TypeError):
        return None


def modal_for_click(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The modal a click on an answer or form button opens; None for a broken click."""
    action = (body.get("actions") or [{}])[0]
    callback = str(action.get("block_id", ""))
    if action.get("action_id") == FORM_ACTION:
        form = form_from_button(str(action.get("value") or ""))
        if form is None:
            return None
        title, submit, fields = form
        return form_modal(title, submit, fields, modal_metadata(callback, None))
    container = body.get("container") or {}
    message = MessageRef(container.get("channel_id", ""), container.get("message_ts", ""))
    question = (body.get("message") or {}).get("text") or ""
    submit = "Envoyer" if action.get("text", {}).get("text") == "Répondre" else "Send"
    metadata = modal_metadata(callback, message)
    return answer_modal(question, str(action.get("value") or ""), submit, metadata)


def form_blocks(action: act.OpenForm) -> list[dict[str, Any]]:
    """The private message offering the form: its text, and the button opening it."""
    button = _button(action.open_label, FORM_ACTION, form_button_value(action), "primary")
    return [
        *sections(action.text),
        {"type": "actions", "block_id": action.callback[:255], "elements": [button]},
    ]


#: a link button's action id: Slack still sends its click, acknowledged and ignored
LINK_ACTION = "animateur.link."


def home_element(button: act.HomeButton, index: int) -> dict[str, Any]:
    """A home button: a link button (``url``) opens the address, others call back."""
    if button.url:
        element = _button(button.label, f"{LINK_ACTION}{index}", "", button.style)
        del element["value"]
        return {**element, "url": button.url[:3000]}
    return _button(button.label, f"{HOME_PREFIX}{index}", button.callback, button.style)


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
                    "elements": [home_element(b, i) for i, b in enumerate(section.buttons)],
                }
            )
    if len(blocks) > HOME_BLOCKS:
        # the runtime keeps the home under the limit: if it still overflows, say so, never cut
        # silently
        log.warning("app home over Slack's block limit: shortened", extra={"blocks": len(blocks)})
        said = escape(action.shortened or "…")[:SECTION_LIMIT]
        notice = {"type": "context", "elements": [{"type": "mrkdwn", "text": said}]}
        blocks = [*blocks[: HOME_BLOCKS - 1], notice]
    return {"type": "home", "blocks": blocks}


def _post(channel: str, text: str, **extra: Any) -> SlackCall:
    # the fallback text is mrkdwn too (the notification, the screen reader): escaped like blocks
    args = {"channel": channel, "text": mrkdwn(text), "blocks": sections(text), **extra}
    return SlackCall("chat.postMessage", args)


def render(action: act.Action) -> SlackCall:
    """The one Web API call that performs ``action`` (``text`` is the notification fallback)."""
    match action:
        case act.SendDirectMessage(user_id=user, text=text, stop=stop):
            # to a user id: Slack opens the DM with the app
            return _post(user, text, blocks=with_stop(sections(text), stop))
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
        case act.OpenForm(user_id=user, channel=channel, text=text):
            args = _post(channel, text, blocks=form_blocks(action)).args
            return SlackCall("chat.postEphemeral", {**args, "user": user})
        case act.PublishHome():
            return SlackCall(
                "views.publish", {"user_id": action.user_id, "view": home_view(action)}
            )
        case act.MessageGroup(text=text):
            # posted in the group DM conversations.open gives (the sender fills the channel)
            return _post("", text)
        case act.NotifyFacilitators():
            raise ValueError("NotifyFacilitators is fanned out into DMs before delivery")
