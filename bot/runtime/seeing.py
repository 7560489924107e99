"""What the bot sees of a community's conversation, recorded as metadata (never text): who
posted, replied or reacted, in which thread, to whom, when (the platform's time), whether a
message asks a question (and which experts' topics its words match: the words go no
further) — and the bot's own posts, so replies to them count. Edits keep a
message's record, deletions and reactions taken back stop it counting. Direct messages with the
bot are never community activity; bots are never members nor activity."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.vocabulary import actions as act
from bot.vocabulary.events import (
    ACTIVITY_KIND,
    Event,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from storage.activity import NewActivity
from storage.outbox import Claimed
from storage.privacy_messages import ERASED
from storage.store import Transaction
from storage.tables import (
    BOT_AUTHOR,
    BOT_POST,
    REACTION,
    ActivityRecord,
    Community,
    Delivery,
    Member,
    Workspace,
)

log = logging.getLogger(__name__)


async def record(
    tx: Transaction,
    workspace: Workspace,
    event: Event,
    member: Member | None,
    community: Community | None,
) -> None:
    """Record what ``event`` shows of the conversation (within the event's transaction)."""
    assert workspace.id is not None
    if isinstance(event, MessagePosted) and event.is_direct:
        community = None  # a conversation with the bot, wherever it happens
    where = community.id if community is not None else None
    match event:
        case MessageEdited() if where is not None:
            await tx.pulse.edited(where, event.message_id, event.is_question)
            if event.is_question:  # the experts follow the new words (none: not a question)
                await tx.experts.rematch(workspace.id, where, event.message_id, event.words)
            return
        case MessageDeleted() if where is not None:
            await tx.pulse.deleted(where, event.message_id, event.occurred_at)
            return
        case ReactionRemoved() if where is not None and member is not None:
            await tx.pulse.reaction_removed(
                where,
                member.user_id,
                event.message_id,
                event.reaction[:REACTION],
                event.occurred_at,
            )
            return
        case MessageEdited() | MessageDeleted() | ReactionRemoved():
            return  # outside a community: nothing counted to adjust
    kind = ACTIVITY_KIND.get(type(event))
    if kind is None or member is None:
        return
    row = NewActivity(
        workspace_id=workspace.id,
        community_id=where,
        user_id=member.user_id,
        kind=kind,
        channel=getattr(event, "channel", None),
        occurred_at=event.occurred_at,
    )
    new_message = False  # a message with its id: recorded unless it already is (one statement)
    if where is not None and isinstance(event, MessagePosted):
        new_message = bool(event.message_id)  # an empty id names no message
        reply = event.thread is not None and event.thread != event.message_id
        row.message_id = event.message_id
        row.is_reply = reply
        row.is_question = event.is_question and not reply
        if reply:
            assert event.thread is not None
            row.thread_id = event.thread
            row.parent_author = await _author(tx, where, event.thread, event.parent_author)
    elif where is not None and isinstance(event, ReactionAdded):
        row.reaction = event.reaction[:REACTION]
        row.target_id = event.message_id
        row.target_author = await _author(tx, where, event.message_id, event.target_author)
    if not new_message:
        await tx.activity.record(row)
    elif not await tx.activity.record_message(row):
        log.info("a message already recorded is not counted again")
        return
    if where is None:
        return
    await tx.pulse.counted(row)
    if row.is_question and row.message_id and isinstance(event, MessagePosted):
        # the experts whose topics the question's words hold (the words are dropped here)
        await tx.experts.match_question(workspace.id, where, row.message_id, event.words)


async def _author(
    tx: Transaction, community_id: int, message_id: str, said: str | None
) -> str | None:
    """Who wrote a message: the bot when it is one of its own posts, else who the platform
    said, else who the stored message says."""
    stored = await tx.pulse.message(community_id, message_id)
    if stored is not None and stored.kind == BOT_POST:
        return BOT_AUTHOR
    return said or (stored.user_id if stored is not None else None)


def may_record_bot_post(delivery: Delivery | Claimed, platform_ref: str | None) -> bool:
    """Whether this sent delivery may be a bot post to record (a post or reply in a channel,
    not erased while it was being sent: where it went is gone then)."""
    if not platform_ref or delivery.action.get("type") not in ("PostToCommunity", "ReplyInThread"):
        return False
    return not delivery.action.get(ERASED)


async def record_bot_post(
    tx: Transaction, delivery: Delivery, platform_ref: str | None, at: datetime
) -> None:
    """The bot posted in a channel (``platform_ref``: where the platform says it landed): in a
    community's channel it is recorded as a bot post, so replies to it count."""
    if not platform_ref or not may_record_bot_post(delivery, platform_ref):
        return
    action = act.action_from_dict(delivery.action)
    assert isinstance(action, act.PostToCommunity | act.ReplyInThread)
    community = await tx.directory.community_by_channel(delivery.workspace_id, action.channel)
    if community is None or community.id is None:
        return
    # a platform may name the message with its channel first ("C042:1733.0001")
    message_id = platform_ref.removeprefix(f"{action.channel}:")
    thread = action.thread if isinstance(action, act.ReplyInThread) else None
    await tx.activity.record(
        ActivityRecord(
            workspace_id=delivery.workspace_id,
            community_id=community.id,
            user_id=BOT_AUTHOR,
            kind=BOT_POST,
            channel=action.channel,
            occurred_at=at,
            message_id=message_id,
            thread_id=thread,
            is_reply=thread is not None,
        )
    )
