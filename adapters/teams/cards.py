"""Neutral actions → Teams activities (wire JSON) with Adaptive Cards. Pure.

Buttons are ``Action.Execute`` (universal actions): a click arrives as an ``adaptiveCard/action``
invoke carrying the verb and data below, answered at once with a fresh card.
"""

from __future__ import annotations

import html
import re
from typing import Any

from adapters.teams.markup import plain_html, plain_links
from adapters.teams.normalize import ANSWER_INPUT, VERB_ANSWER, VERB_CHOICE, VERB_FORM, VERB_HOME
from bot.vocabulary import actions as act

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return content


def text_block(text: str, *, bold: bool = False, size: str = "") -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": plain_links(text), "wrap": True}
    if bold:
        block["weight"] = "Bolder"
    if size:
        block["size"] = size
    return block


def execute(title: str, verb: str, data: dict[str, Any], style: str = "") -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style in ("positive", "destructive"):
        action["style"] = style
    return action


#: what a mention shows when the person's name is unknown (Teams needs a text to show)
MENTIONED = "@"


def message(text: str) -> dict[str, Any]:
    """A plain message activity (Teams renders its markdown subset); people named in it
    (``<@id|name>``) become Teams mentions: ``<at>name</at>`` and its mention entity. Other
    links and tags show as typed (markup.py)."""
    entities: list[dict[str, Any]] = []
    out: list[str] = []
    start = 0

    def at(found: re.Match[str]) -> str:
        shown = f"<at>{html.escape(found.group(2) or MENTIONED)}</at>"
        mentioned = {"id": found.group(1), "name": found.group(2) or MENTIONED}
        entities.append({"type": "mention", "text": shown, "mentioned": mentioned})
        return shown

    body = plain_links(text)
    for found in act.MENTION.finditer(body):
        out += [plain_html(body[start : found.start()]), at(found)]
        start = found.end()
    activity: dict[str, Any] = {
        "type": "message",
        "text": "".join([*out, plain_html(body[start:])]),
        "textFormat": "markdown",
    }
    return activity | ({"entities": entities} if entities else {})


def with_card(content: dict[str, Any], summary: str) -> dict[str, Any]:
    return {
        "type": "message",
        "summary": summary[:200],
        "attachments": [{"contentType": CARD_TYPE, "content": content}],
    }


def home_button(button: act.HomeButton) -> dict[str, Any]:
    """A home button (also a ritual DM's stop button): its click comes back as the home's."""
    if button.url:
        return {"type": "Action.OpenUrl", "title": button.label, "url": button.url}
    style = "destructive" if button.style == "danger" else ""
    data = {"callback": button.callback} | ({"value": button.value} if button.value else {})
    return execute(button.label, VERB_HOME, data, style)


def with_stop(actions: list[dict[str, Any]], stop: act.HomeButton | None) -> list[dict[str, Any]]:
    return actions if stop is None else [*actions, home_button(stop)]


def question_card(action: act.AskQuestion) -> dict[str, Any]:
    body = [text_block(action.text)]
    if action.choices:
        buttons = [
            execute(c.label, VERB_CHOICE, {"callback": action.callback, "value": c.value})
            for c in action.choices
        ]
    else:
        body.append(
            {
                "type": "Input.Text",
                "id": ANSWER_INPUT,
                "isMultiline": True,
                "maxLength": 3000,
                "placeholder": action.placeholder,
                "isRequired": True,
            }
        )
        buttons = [
            execute(
                action.submit_label or "Send",
                VERB_ANSWER,
                {"callback": action.callback},
                "positive",
            )
        ]
    return card(body, with_stop(buttons, action.stop))


def text_input(form_field: act.FormField) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": form_field.name,
        "label": form_field.label,
        "value": form_field.value,
        "placeholder": form_field.hint,
        "isMultiline": form_field.multiline,
        "maxLength": 3000,
    }


def form_card(action: act.OpenForm) -> dict[str, Any]:
    """One input per field, prefilled; the submit sends them all (Action.Execute data)."""
    body = [text_block(action.title, bold=True, size="Medium"), text_block(action.text)]
    body += [text_input(f) for f in action.fields]
    submit = execute(action.submit_label, VERB_FORM, {"callback": action.callback}, "positive")
    return card(body, [submit])


def home_card(action: act.PublishHome) -> dict[str, Any]:
    body: list[dict[str, Any]] = [text_block(action.title, bold=True, size="Large")]
    for section in action.sections:
        container: list[dict[str, Any]] = []
        if section.title:
            container.append(text_block(section.title, bold=True, size="Medium"))
        if section.text:
            container.append(text_block(section.text))
        if section.buttons:
            container.append(
                {"type": "ActionSet", "actions": [home_button(b) for b in section.buttons]}
            )
        body.append({"type": "Container", "separator": bool(section.title), "items": container})
    return card(body)


def render(action: act.Action) -> dict[str, Any]:
    """The activity to send (or, for UpdateMessage, to put in place of the old one)."""
    match action:
        case act.SendDirectMessage(text=text, stop=act.HomeButton() as stop):
            # the text as usual, and under it a card holding only the stop button
            stop_card = {"contentType": CARD_TYPE, "content": card([], [home_button(stop)])}
            return {**message(text), "attachments": [stop_card]}
        case act.SendDirectMessage(text=text) | act.PostToCommunity(text=text):
            return message(text)
        case act.MessageGroup(text=text):
            # Teams has no group chat opened by a bot: each member gets it in their 1:1
            return message(text)
        case act.ReplyInThread(text=text) | act.RespondPrivately(text=text):
            return message(text)
        case act.AskQuestion():
            return with_card(question_card(action), action.text)
        case act.UpdateMessage(text=text):
            return with_card(card([text_block(text)]), text)
        case act.PublishHome():
            return with_card(home_card(action), action.title)
        case act.OpenForm():
            return with_card(form_card(action), action.title)
        case act.NotifyFacilitators():
            raise ValueError("NotifyFacilitators is fanned out into DMs before delivery")
