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
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.vocabulary import events as ev
from bot.vocabulary.questions import is_question
from bot.vocabulary.words import question_words

Activity = Mapping[str, Any]

#: The verbs our cards use (Action.Execute ``verb``, or ``verb`` in an Action.Submit's data).
VERB_CHOICE, VERB_ANSWER, VERB_HOME = "animateur.choice", "animateur.answer", "animateur.home"
#: a form's submit: every input's value comes in the data, under the input's id
VERB_FORM = "animateur.form"
ANSWER_INPUT = "answer"
#: the one invoke the bot answers: a click or submit on one of its cards (Action.Execute)
CARD_ACTION = "adaptiveCard/action"
#: what a card's data carries besides its inputs' values
_NOT_INPUTS = frozenset({"callback", "verb"})
_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
#: Markup a message's text may carry (Teams sends HTML for formatted messages).
_TAG = re.compile(r"<[^<>]{0,2000}>")
#: Code in a formatted message: no words of the question's.
_CODE = re.compile(r"<(code|pre)\b[^<>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)
#: Bot accounts' ids (people's start with ``29:``).
BOT_PREFIX = "28:"
#: A channel message's conversation id names its thread: ``19:…@thread.tacv2;messageid=<id>``.
THREAD_MARK = ";messageid="
#: channelData.eventType of the activities that change a message
EDITED, UNDELETED, SOFT_DELETED = "editMessage", "undeleteMessage", "softDeleteMessage"
#: what storage keeps of a member's profile; longer values are cut (names) or dropped
NAME_CHARS, LOCALE_CHARS, TIMEZONE_CHARS = 200, 16, 64


def tenant_of(activity: Activity) -> str:
    channel_data = activity.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return str(tenant or (activity.get("conversation") or {}).get("tenantId") or "")


def team_of(activity: Activity) -> str | None:
    team = ((activity.get("channelData") or {}).get("team") or {}).get("id")
    return str(team) if team else None


def is_personal(activity: Activity) -> bool:
    return (activity.get("conversation") or {}).get("conversationType") == "personal"


def _stamped(activity: Activity) -> datetime | None:
    """When Teams says the activity happened (None: it does not say, or not readably)."""
    raw = activity.get("timestamp")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return None


def _when(activity: Activity) -> datetime:
    return _stamped(activity) or datetime.now(UTC)


def is_chatter(activity: Activity) -> bool:
    """The conversation of a team going on (a member's channel message that is no command to
    the bot, a reaction, an edit, a deletion): nothing to answer, nowhere new to write."""
    kind = activity.get("type")
    if kind in ("messageReaction", "messageUpdate", "messageDelete"):
        return True
    return (
        kind == "message"
        and (activity.get("conversation") or {}).get("conversationType") == "channel"
        and not isinstance(activity.get("value"), Mapping)
        and command_text(activity) is None
    )


def _client_info(activity: Activity) -> Mapping[str, Any]:
    for entity in activity.get("entities") or []:
        if entity.get("type") == "clientInfo":
            return dict(entity)
    return {}


def _bounded(value: Any, chars: int) -> str | None:
    """A profile detail, or None when there is none or it is too long to be real."""
    return value if isinstance(value, str) and 0 < len(value) <= chars else None


def _profile(account: Mapping[str, Any], info: Mapping[str, Any] | None = None) -> ev.MemberProfile:
    name = account.get("name")
    return ev.MemberProfile(
        str(account.get("id")),
        name[:NAME_CHARS] if isinstance(name, str) and name else None,
        _bounded((info or {}).get("locale"), LOCALE_CHARS),
        _bounded((info or {}).get("timezone"), TIMEZONE_CHARS),
    )


def sender_profile(activity: Activity) -> ev.MemberProfile | None:
    sender = activity.get("from") or {}
    if not sender.get("id"):
        return None
    return _profile(sender, _client_info(activity))


def _common(activity: Activity, suffix: str = "") -> ev.EventFields:
    return ev.EventFields(
        workspace=ev.WorkspaceRef("teams", tenant_of(activity)),
        key=f"activity:{activity.get('id')}{suffix}",
        occurred_at=_when(activity),
    )


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
        return [_message(activity, member)]
    if kind == "messageReaction":
        return _reactions(activity, member)
    if kind in ("messageUpdate", "messageDelete"):
        event = _changed(activity, member)
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
            events.append(ev.AppInstalled(**_common(activity, ":bot-added"), name=name))
        else:
            events.append(
                ev.MemberJoined(
                    **_common(activity, f":added:{added.get('id')}"),
                    channel=team,
                    member=_profile(added),
                )
            )
    for removed in activity.get("membersRemoved") or []:
        if removed.get("id") != bot_id and not _other_bot(removed, bot_id):
            events.append(
                ev.MemberLeft(
                    **_common(activity, f":removed:{removed.get('id')}"),
                    channel=team,
                    member=_profile(removed),
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
        return [ev.AppInstalled(**_common(activity), member=member if personal else None)]
    if action.startswith("remove") and personal and member is not None:
        return [ev.AppRemoved(**_common(activity), member=member)]
    return []


def command_text(activity: Activity) -> str | None:
    """The command words of a message to the bot, else None (a plain channel message).

    The bot's own mention is removed; another member's (``<at>Zoe</at>``) becomes their user id,
    read from the activity's mention entities (never from the text, which the sender wrote)."""
    text = str(activity.get("text") or "")
    bot_id = (activity.get("recipient") or {}).get("id")
    mentions = [e for e in activity.get("entities") or [] if e.get("type") == "mention"]
    mentioned = any((e.get("mentioned") or {}).get("id") == bot_id for e in mentions)
    if not (is_personal(activity) or mentioned):
        return None
    return " ".join(_resolve_mentions(text, mentions, bot_id).split())


def _resolve_mentions(text: str, mentions: list[Mapping[str, Any]], bot_id: Any) -> str:
    """Each ``<at>…</at>`` in ``text`` replaced by the id of the mention entity whose ``text`` it
    is (entities are taken in order, each once): nothing for the bot, the user id for anyone
    else, the name itself when no entity names it. In place, so ``sponsors=<at>Sam</at>`` stays
    one word. Teams may split one mention of a full name into several (``<at>Zoe</at>
    <at>Martin</at>``, the same id): they make one id."""
    unused = list(mentions)
    parts: list[str] = []
    last_id: str | None = None  # the id just written, while only spaces follow it
    position = 0
    for match in _MENTION.finditer(text):
        between = text[position : match.start()]
        position = match.end()
        entity = next((e for e in unused if e.get("text") == match.group(0)), None)
        if entity is not None:
            unused.remove(entity)
        who = ((entity or {}).get("mentioned") or {}).get("id")
        if isinstance(who, str) and who and who == last_id and not between.strip():
            continue  # the rest of the same person's name
        parts.append(between)
        if not isinstance(who, str) or not who:
            parts.append(match.group(1))
            last_id = None
        elif who == bot_id:
            last_id = None
        else:
            parts.append(who)
            last_id = who
    parts.append(text[position:])
    return "".join(parts)


def _message(activity: Activity, member: ev.MemberProfile) -> ev.Event:
    words = command_text(activity)
    if words is not None:
        parts = words.split()
        return ev.CommandInvoked(
            **_common(activity),
            channel=channel_of(activity),
            member=member,
            name=(parts[0].lower().lstrip("/") if parts else "help"),
            args=tuple(parts[1:]),
        )
    thread = _thread(activity)
    asks = thread is None and is_question(plain_text(activity))
    return ev.MessagePosted(
        **_common(activity),
        channel=channel_of(activity),
        member=member,
        thread=thread,
        is_direct=is_personal(activity),
        message_id=str(activity.get("id") or "") or None,
        is_question=asks,
        words=_words(activity) if asks else frozenset(),
    )


def channel_of(activity: Activity) -> str:
    """Where a message (a command, a reaction, an edit…) is: its channel in a team (the General
    channel's id is the team's), else its conversation (a 1:1 or group chat); never a thread."""
    channel = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
    conversation = str((activity.get("conversation") or {}).get("id", ""))
    return str(channel or team_of(activity) or conversation.partition(THREAD_MARK)[0])


def _thread(activity: Activity) -> str | None:
    """The id of the thread's first message when ``activity`` is a reply in a channel."""
    if (activity.get("conversation") or {}).get("conversationType") != "channel":
        return None
    conversation = str((activity.get("conversation") or {}).get("id", ""))
    root = conversation.partition(THREAD_MARK)[2].strip()
    return root if root and root != str(activity.get("id") or "") else None


def plain_text(activity: Activity) -> str:
    """A message's text as people read it: mentions as the names they show, no markup."""
    text = str(activity.get("text") or "")
    text = _MENTION.sub(lambda found: f" {found.group(1)} ", text)
    return html.unescape(_TAG.sub(" ", text))


def _words(activity: Activity) -> frozenset[str]:
    """A question's words: no mentions, no code, no markup (links go in ``question_words``)."""
    text = str(activity.get("text") or "")
    text = _CODE.sub(" ", _MENTION.sub(" ", text))
    return question_words(html.unescape(_TAG.sub(" ", text)))


def _changed(activity: Activity, member: ev.MemberProfile) -> ev.Event | None:
    """An edit, undeletion or deletion of a channel message (a 1:1 chat's are not community
    activity). An undeleted message is there again: an edit of it, with its text."""
    message_id = str(activity.get("id") or "")
    if not message_id or (activity.get("conversation") or {}).get("conversationType") != "channel":
        return None
    event_type = (activity.get("channelData") or {}).get("eventType")
    # each edit is an activity of its own, with the message's id: told apart by its time
    stamped = _stamped(activity)
    stamp = stamped.isoformat() if stamped else ""
    if activity.get("type") == "messageDelete" and event_type == SOFT_DELETED:
        return ev.MessageDeleted(
            **_common(activity, ":deleted"),
            channel=channel_of(activity),
            message_id=message_id,
            member=member,
        )
    if activity.get("type") == "messageUpdate" and event_type in (EDITED, UNDELETED):
        suffix = ":edited:" if event_type == EDITED else ":undeleted:"
        asks = _thread(activity) is None and is_question(plain_text(activity))
        return ev.MessageEdited(
            **_common(activity, suffix + stamp),
            channel=channel_of(activity),
            member=member,
            message_id=message_id,
            is_question=asks,
            words=_words(activity) if asks else frozenset(),
        )
    return None


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
            **_common(activity),
            member=member,
            callback=callback,
            value=str(data.get("value", "")),
            message=message,
        )
    if verb == VERB_HOME:  # its value says a home card's toggle from a ritual DM's stop
        return ev.ButtonClicked(
            **_common(activity),
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
        **_common(activity), member=member, callback=callback, values=values, message=message
    )


def _reactions(activity: Activity, member: ev.MemberProfile) -> list[ev.Event]:
    """Each reaction added or removed; Teams names the message (``replyToId``), not its
    author."""
    channel = channel_of(activity)
    target = str(activity.get("replyToId") or "")
    if not target:
        return []
    out: list[ev.Event] = []
    for key, cls in (
        ("reactionsAdded", ev.ReactionAdded),
        ("reactionsRemoved", ev.ReactionRemoved),
    ):
        for index, reaction in enumerate(activity.get(key) or []):
            out.append(
                cls(
                    **_common(activity, f":{key}:{index}"),
                    channel=channel,
                    member=member,
                    reaction=str(reaction.get("type", "")),
                    message_id=target,
                )
            )
    return out
