"""Teams message activities → neutral events: commands to the bot, messages posted in a
channel (or a chat), their edits and deletions, and reactions to them. Pure.

A message's text is read for a command's words (mentions resolved from the activity's entities)
or, for a channel message, for the question flag and its words, then dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from adapters.teams.activity import (
    THREAD_MARK,
    Activity,
    channel_of,
    event_fields,
    is_personal,
    stamped_at,
)
from bot.vocabulary import events as ev
from bot.vocabulary.questions import is_question
from bot.vocabulary.words import question_words

_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
#: Markup a message's text may carry (Teams sends HTML for formatted messages).
_TAG = re.compile(r"<[^<>]{0,2000}>")
#: Code in a formatted message: no words of the question's.
_CODE = re.compile(r"<(code|pre)\b[^<>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)
#: channelData.eventType of the activities that change a message
EDITED, UNDELETED, SOFT_DELETED = "editMessage", "undeleteMessage", "softDeleteMessage"


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


def message_event(activity: Activity, member: ev.MemberProfile) -> ev.Event:
    words = command_text(activity)
    if words is not None:
        parts = words.split()
        return ev.CommandInvoked(
            **event_fields(activity),
            channel=channel_of(activity),
            member=member,
            name=(parts[0].lower().lstrip("/") if parts else "help"),
            args=tuple(parts[1:]),
        )
    thread = _thread(activity)
    asks = thread is None and is_question(plain_text(activity))
    return ev.MessagePosted(
        **event_fields(activity),
        channel=channel_of(activity),
        member=member,
        thread=thread,
        is_direct=is_personal(activity),
        message_id=str(activity.get("id") or "") or None,
        is_question=asks,
        words=_words(activity) if asks else frozenset(),
    )


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


def changed_event(activity: Activity, member: ev.MemberProfile) -> ev.Event | None:
    """An edit, undeletion or deletion of a channel message (a 1:1 chat's are not community
    activity). An undeleted message is there again: an edit of it, with its text."""
    message_id = str(activity.get("id") or "")
    if not message_id or (activity.get("conversation") or {}).get("conversationType") != "channel":
        return None
    event_type = (activity.get("channelData") or {}).get("eventType")
    # each edit is an activity of its own, with the message's id: told apart by its time
    stamped = stamped_at(activity)
    stamp = stamped.isoformat() if stamped else ""
    if activity.get("type") == "messageDelete" and event_type == SOFT_DELETED:
        return ev.MessageDeleted(
            **event_fields(activity, ":deleted"),
            channel=channel_of(activity),
            message_id=message_id,
            member=member,
        )
    if activity.get("type") == "messageUpdate" and event_type in (EDITED, UNDELETED):
        suffix = ":edited:" if event_type == EDITED else ":undeleted:"
        asks = _thread(activity) is None and is_question(plain_text(activity))
        return ev.MessageEdited(
            **event_fields(activity, suffix + stamp),
            channel=channel_of(activity),
            member=member,
            message_id=message_id,
            is_question=asks,
            words=_words(activity) if asks else frozenset(),
        )
    return None


def reaction_events(activity: Activity, member: ev.MemberProfile) -> list[ev.Event]:
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
                    **event_fields(activity, f":{key}:{index}"),
                    channel=channel,
                    member=member,
                    reaction=str(reaction.get("type", "")),
                    message_id=target,
                )
            )
    return out
