"""Teams activities (wire JSON, as botbuilder serializes them) → neutral events. Pure.

A community on Teams is one channel of a team: the channel a command was sent from (the
General channel's id is the team's, so a community declared there, as every community was
before channels were told apart, keeps the team's id). Commands are messages to the bot
(``help``…), in a 1:1 chat or with an @mention; in a team, their channel is the one they were
sent in. Which team a channel belongs to stays in this adapter (see platform.py).

With the resource-specific consent ``ChannelMessage.Read.Group`` (see package.py) Teams sends
every message of the team's channels: each is recorded in the channel it was posted in, with
its id, its thread (a reply's conversation id ends
with ``;messageid=<the thread's first message>``) and the question flag read from its text,
which is then dropped. Edits (``messageUpdate``), deletions (``messageDelete``) and reactions
(``messageReaction``) follow. Teams does not say who wrote the message a reply or a reaction is
about: the runtime knows it from the message's own record.

Here: which events an activity makes, for membership and installation changes and clicks and
submits on the bot's cards; message activities are messages.py's, reading an activity's parts
(tenant, team, channel, sender…) activity.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.teams.activity import (
    BOT_PREFIX,
    NAME_CHARS,
    Activity,
    event_fields,
    is_personal,
    profile,
    sender_profile,
    team_of,
)
from adapters.teams.messages import changed_event, message_event, reaction_events
from bot.vocabulary import events as ev

#: The verbs our cards use (Action.Execute ``verb``, or ``verb`` in an Action.Submit's data).
VERB_CHOICE, VERB_ANSWER, VERB_HOME = "animateur.choice", "animateur.answer", "animateur.home"
#: a form's submit: every input's value comes in the data, under the input's id
VERB_FORM = "animateur.form"
ANSWER_INPUT = "answer"
#: the one invoke the bot answers: a click or submit on one of its cards (Action.Execute)
CARD_ACTION = "adaptiveCard/action"
#: what a card's data carries besides its inputs' values
_NOT_INPUTS = frozenset({"callback", "verb"})


def to_events(activity: Activity) -> list[ev.Event]:
    """Everything an activity means; an empty list when it means nothing to us."""
    kind = activity.get("type")
    bot_id = (activity.get("recipient") or {}).get("id")
    if kind == "conversationUpdate":
        return _membership(activity, bot_id)
    if kind == "installationUpdate":
        return _installation(activity)
    member = sender_profile(activity)
    if member is None or member.user_id == bot_id:
        return []
    if kind in ("message", "messageReaction", "messageUpdate", "messageDelete") and (
        member.user_id.startswith(BOT_PREFIX)
    ):
        return []  # another bot's (or app's) doing is no person's activity
    if kind == "invoke" and activity.get("name") == CARD_ACTION:
        action = (activity.get("value") or {}).get("action") or {}
        event = _card_event(activity, member, action.get("verb"), action.get("data") or {})
        return [event] if event else []
    if kind == "message":
        value = activity.get("value")
        if isinstance(value, Mapping) and value.get("verb"):
            event = _card_event(activity, member, value.get("verb"), value)
            return [event] if event else []
        return [message_event(activity, member)]
    if kind == "messageReaction":
        return reaction_events(activity, member)
    if kind in ("messageUpdate", "messageDelete"):
        event = changed_event(activity, member)
        return [event] if event else []
    return []


def _membership(activity: Activity, bot_id: str | None) -> list[ev.Event]:
    team = team_of(activity) or (activity.get("conversation") or {}).get("id", "")
    events: list[ev.Event] = []
    for added in activity.get("membersAdded") or []:
        if _other_bot(added, bot_id):
            continue  # another bot (or app) added: never a member
        if added.get("id") == bot_id:
            name = ((activity.get("channelData") or {}).get("team") or {}).get("name") or ""
            name = str(name)[:NAME_CHARS]
            events.append(ev.AppInstalled(**event_fields(activity, ":bot-added"), name=name))
        else:
            events.append(
                ev.MemberJoined(
                    **event_fields(activity, f":added:{added.get('id')}"),
                    channel=team,
                    member=profile(added),
                )
            )
    for removed in activity.get("membersRemoved") or []:
        if removed.get("id") != bot_id and not _other_bot(removed, bot_id):
            events.append(
                ev.MemberLeft(
                    **event_fields(activity, f":removed:{removed.get('id')}"),
                    channel=team,
                    member=profile(removed),
                )
            )
    return events


def _other_bot(account: Mapping[str, Any], bot_id: str | None) -> bool:
    """Whether ``account`` is a bot's other than this one (bots' ids start with ``28:``)."""
    account_id = str(account.get("id") or "")
    return account_id != bot_id and account_id.startswith(BOT_PREFIX)


def _installation(activity: Activity) -> list[ev.Event]:
    action = str(activity.get("action") or "")
    member = sender_profile(activity)
    personal = is_personal(activity)
    if action.startswith("add"):
        return [ev.AppInstalled(**event_fields(activity), member=member if personal else None)]
    if action.startswith("remove") and personal and member is not None:
        return [ev.AppRemoved(**event_fields(activity), member=member)]
    return []


def _card_event(
    activity: Activity, member: ev.MemberProfile, verb: Any, data: Mapping[str, Any]
) -> ev.Event | None:
    callback = data.get("callback")
    if not isinstance(callback, str) or not callback:
        return None
    conversation = str((activity.get("conversation") or {}).get("id", ""))
    reply_to = activity.get("replyToId")
    message = ev.MessageRef(conversation, str(reply_to)) if reply_to else None
    if verb == VERB_CHOICE:
        return ev.ButtonClicked(
            **event_fields(activity),
            member=member,
            callback=callback,
            value=str(data.get("value", "")),
            message=message,
        )
    if verb == VERB_HOME:  # its value says a home card's toggle from a ritual DM's stop
        return ev.ButtonClicked(
            **event_fields(activity),
            member=member,
            callback=callback,
            value=str(data.get("value", "")),
            message=message,
        )
    if verb == VERB_ANSWER:
        values = {"answer": str(data.get(ANSWER_INPUT) or "")}
    elif verb == VERB_FORM:
        values = {k: v for k, v in data.items() if k not in _NOT_INPUTS and isinstance(v, str)}
    else:
        return None
    return ev.FormSubmitted(
        **event_fields(activity), member=member, callback=callback, values=values, message=message
    )
