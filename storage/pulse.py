"""The community's pulse, kept at ingest: each member's posts, replies and reactions per day, who
interacted with whom per day, and one row per question with its first answer — adjusted when a
message is edited or deleted and a reaction taken back, so a report reads these rollups and
never the history. Metadata only: no message text reaches this module."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.activity import ActivityRow
from storage.prepared import prepared
from storage.tables import (
    BOT_AUTHOR,
    BOT_POST,
    MESSAGE_POSTED,
    REACTION_ADDED,
    ActivityRecord,
    PulseMemberDay,
    PulsePair,
    PulseQuestion,
    QuestionMatch,
)
from storage.upsert import insert_missing, upsert_adding

#: What a message can be: a person's, or the bot's own post.
MESSAGES = (MESSAGE_POSTED, BOT_POST)
#: Rows purged at most per statement (old history goes in steps, never one long lock).
PURGE_BATCH = 5000


def day_of(at: datetime) -> date:
    return at.astimezone(UTC).date()


def interacting(author: str, other: str | None) -> tuple[str, str] | None:
    """The unordered pair of two people who interacted; None for oneself or the bot."""
    if not other or not author or other == author:  # the bot's author is empty
        return None
    return (author, other) if author < other else (other, author)


def _locked(query: SelectOfScalar[ActivityRecord]) -> SelectOfScalar[ActivityRecord]:
    """Activity rows read to be changed: locked until the transaction ends and read afresh
    (PostgreSQL; SQLite's write transaction is alone), so that the retention purge deleting
    them meanwhile either waits or leaves nothing to change — never an UPDATE of a row gone."""
    return query.with_for_update().execution_options(populate_existing=True)


def _message_query() -> SelectOfScalar[ActivityRecord]:
    """The latest message with the platform id bound as ``message_id`` in the community bound
    as ``community_id``."""
    return (
        select(ActivityRecord)
        .where(
            ActivityRecord.community_id == bindparam("community_id"),
            ActivityRecord.message_id == bindparam("message_id"),
            col(ActivityRecord.kind).in_(MESSAGES),
        )
        .order_by(col(ActivityRecord.id).desc())
        .limit(1)
    )


class Pulse:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- messages -------------------------------------------------------------------------

    async def message(
        self, community_id: int, message_id: str, *, lock: bool = False
    ) -> ActivityRecord | None:
        """The stored message (a person's or the bot's) with this platform id, deleted or not
        (the latest, should a platform ever give an id again); ``lock``: to change it, its row
        locked and read afresh (see ``_locked``)."""
        values = {"community_id": community_id, "message_id": message_id}
        if lock:
            query = _locked(_message_query())
        else:  # on every message in a community: built once (storage.prepared)
            query = prepared(self._s, ("pulse_message",), lambda _dialect: _message_query())
        return (await self._s.execute(query, values)).scalars().first()

    async def counted(self, record: ActivityRow) -> None:
        """Count a community's new post, reply or reaction (already stored): the member's day,
        the pair it makes, the question it asks or answers."""
        assert record.community_id is not None
        day = day_of(record.occurred_at)
        if record.kind == MESSAGE_POSTED:
            reply = int(record.is_reply)
            await self._bump_day(record, day, posts=1 - reply, replies=reply)
            await self._bump_pair(record.community_id, day, record.user_id, record.parent_author, 1)
            if record.is_question and record.message_id:
                await self._ask(record)
            elif record.is_reply and record.thread_id:
                await self._answered(record)
        elif record.kind == REACTION_ADDED:
            await self._bump_day(record, day, reactions=1)
            await self._bump_pair(record.community_id, day, record.user_id, record.target_author, 1)

    async def edited(self, community_id: int, message_id: str, is_question: bool) -> bool:
        """A message was edited: its record stays; a top-level one asks a question or no longer
        does as its new text says. False when the message is unknown here."""
        record = await self.message(community_id, message_id, lock=True)
        if record is None or record.kind != MESSAGE_POSTED:
            return False
        if record.deleted_at is not None:  # an edit of a deleted message: Teams undeleted it
            await self._restored(record, is_question)
            return True
        if record.is_reply or record.is_question == is_question:
            return True
        record.is_question = is_question
        if is_question:
            await self._ask(record)
        else:
            await self._unask(community_id, message_id)
        return True

    async def deleted(self, community_id: int, message_id: str, at: datetime) -> bool:
        """A message was deleted: it stops counting (the member's day, the pair, the question it
        asked; the answer it was, the next reply then answering). False when unknown here."""
        record = await self.message(community_id, message_id, lock=True)
        if record is None or record.deleted_at is not None:
            return False
        record.deleted_at = at
        await self._s.flush()
        # the reactions to it go with it (those taken back before stay taken back)
        for reaction in await self._reactions_to(community_id, message_id, None):
            reaction.deleted_at = at
            await self._uncount_reaction(reaction, -1)
        await self._s.flush()
        if record.kind != MESSAGE_POSTED:
            return True
        day = day_of(record.occurred_at)
        reply = int(record.is_reply)
        await self._bump_day(record, day, posts=reply - 1, replies=-reply)
        await self._bump_pair(community_id, day, record.user_id, record.parent_author, -1)
        if record.is_question:
            await self._unask(community_id, message_id)
        elif record.is_reply and record.thread_id:
            question = await self._question(community_id, record.thread_id)
            if question is not None and question.first_answer_by == record.user_id:
                await self._settle_first_answer(question)
        return True

    async def _restored(self, record: ActivityRecord, is_question: bool) -> None:
        """A deleted message is back (a Teams undelete): it counts again, with its question,
        its answer and the reactions that went with it."""
        assert record.community_id is not None and record.message_id is not None
        gone_at = record.deleted_at
        record.deleted_at = None
        record.is_question = is_question and not record.is_reply
        for reaction in await self._reactions_to(record.community_id, record.message_id, gone_at):
            reaction.deleted_at = None
            await self._uncount_reaction(reaction, 1)
        await self._s.flush()
        await self.counted(record)

    async def _reactions_to(
        self, community_id: int, message_id: str, deleted_at: datetime | None
    ) -> list[ActivityRecord]:
        """The reactions to a message still counting (``deleted_at`` None), or those that
        stopped counting at that moment (with the message)."""
        query = select(ActivityRecord).where(
            ActivityRecord.community_id == community_id,
            ActivityRecord.target_id == message_id,
            ActivityRecord.kind == REACTION_ADDED,
            (
                col(ActivityRecord.deleted_at).is_(None)
                if deleted_at is None
                else col(ActivityRecord.deleted_at) == deleted_at
            ),
        )
        return list((await self._s.execute(_locked(query))).scalars().all())

    async def _uncount_reaction(self, reaction: ActivityRecord, by: int) -> None:
        assert reaction.community_id is not None
        day = day_of(reaction.occurred_at)
        await self._bump_day(reaction, day, reactions=by)
        await self._bump_pair(
            reaction.community_id, day, reaction.user_id, reaction.target_author, by
        )

    async def reaction_removed(
        self, community_id: int, user_id: str, target_id: str, reaction: str, at: datetime
    ) -> bool:
        """A member took a reaction back: their latest such reaction stops counting."""
        query = (
            select(ActivityRecord)
            .where(
                ActivityRecord.community_id == community_id,
                ActivityRecord.target_id == target_id,
                ActivityRecord.user_id == user_id,
                ActivityRecord.reaction == reaction,
                ActivityRecord.kind == REACTION_ADDED,
                col(ActivityRecord.deleted_at).is_(None),
            )
            .order_by(col(ActivityRecord.occurred_at).desc())
            .limit(1)
        )
        record = (await self._s.execute(_locked(query))).scalars().first()
        if record is None:
            return False
        record.deleted_at = at
        await self._s.flush()
        day = day_of(record.occurred_at)
        await self._bump_day(record, day, reactions=-1)
        await self._bump_pair(community_id, day, user_id, record.target_author, -1)
        return True

    # -- questions ------------------------------------------------------------------------

    async def _question(
        self, community_id: int, message_id: str, *, lock: bool = False
    ) -> PulseQuestion | None:
        """The question; ``lock``: its row locked until the transaction ends (PostgreSQL; on
        SQLite the write transaction already is alone), read afresh — two replies recorded at
        once must not both keep theirs as the first answer."""
        query = select(PulseQuestion).where(
            PulseQuestion.community_id == community_id, PulseQuestion.message_id == message_id
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self._s.execute(query)).scalars().first()

    async def _ask(self, record: ActivityRow) -> None:
        assert record.community_id is not None and record.message_id is not None
        await insert_missing(
            self._s,
            PulseQuestion,
            {
                "community_id": record.community_id,
                "message_id": record.message_id,
                "channel": record.channel or "",
                "asker": record.user_id,
                "asked_at": record.occurred_at,
            },
            ("community_id", "message_id"),
        )
        question = await self._question(record.community_id, record.message_id)
        assert question is not None
        await self._settle_first_answer(question)  # replies may be there already (an edit)

    async def _unask(self, community_id: int, message_id: str) -> None:
        """The message asks no question (any more): the question goes, with the experts its
        words matched."""
        for model in (PulseQuestion, QuestionMatch):
            await self._s.execute(
                delete(model).where(
                    col(model.community_id) == community_id,
                    col(model.message_id) == message_id,
                )
            )

    async def _answered(self, reply: ActivityRow) -> None:
        """A reply answers its thread's question when its author is not the asker (nor a bot)
        and it is the earliest such reply."""
        assert reply.community_id is not None and reply.thread_id is not None
        question = await self._question(reply.community_id, reply.thread_id, lock=True)
        if question is None or reply.user_id in (question.asker, BOT_AUTHOR):
            return
        if question.first_answer_at is None or reply.occurred_at < question.first_answer_at:
            question.first_answer_at, question.first_answer_by = reply.occurred_at, reply.user_id
            await self._s.flush()

    async def _settle_first_answer(self, question: PulseQuestion) -> None:
        """The question's first answer, from the replies stored in its thread."""
        query = (
            select(ActivityRecord.occurred_at, ActivityRecord.user_id)
            .where(
                ActivityRecord.community_id == question.community_id,
                ActivityRecord.thread_id == question.message_id,
                ActivityRecord.kind == MESSAGE_POSTED,
                col(ActivityRecord.is_reply),
                col(ActivityRecord.deleted_at).is_(None),
                col(ActivityRecord.user_id).not_in([question.asker, BOT_AUTHOR]),
            )
            .order_by(col(ActivityRecord.occurred_at))
            .limit(1)
        )
        first = (await self._s.execute(query)).first()
        question.first_answer_at = first[0] if first else None
        question.first_answer_by = first[1] if first else None
        await self._s.flush()

    # -- rollups --------------------------------------------------------------------------

    async def _bump_day(
        self,
        record: ActivityRow,
        day: date,
        posts: int = 0,
        replies: int = 0,
        reactions: int = 0,
    ) -> None:
        values: dict[str, Any] = {
            "community_id": record.community_id,
            "user_id": record.user_id,
            "day": day,
            "posts": posts,
            "replies": replies,
            "reactions": reactions,
        }
        await upsert_adding(
            self._s,
            PulseMemberDay,
            values,
            ("community_id", "user_id", "day"),
            ("posts", "replies", "reactions"),
        )

    async def _bump_pair(
        self, community_id: int, day: date, author: str, other: str | None, delta: int
    ) -> None:
        pair = interacting(author, other)
        if pair is None:
            return
        await upsert_adding(
            self._s,
            PulsePair,
            {
                "community_id": community_id,
                "day": day,
                "member_a": pair[0],
                "member_b": pair[1],
                "interactions": delta,
            },
            ("community_id", "day", "member_a", "member_b"),
            ("interactions",),
        )

    # -- retention ------------------------------------------------------------------------

    async def purge_before(self, community_id: int | None, cutoff: datetime) -> int:
        """Forget one batch of the raw activity older than ``cutoff`` in a community (None: out
        of any community); the rollups stay. Returns how many rows went."""
        where = (
            col(ActivityRecord.community_id).is_(None)
            if community_id is None
            else col(ActivityRecord.community_id) == community_id
        )
        ids = (
            select(ActivityRecord.id)
            .where(where, col(ActivityRecord.occurred_at) < cutoff)
            .limit(PURGE_BATCH)
        )
        result = await self._s.execute(
            delete(ActivityRecord).where(col(ActivityRecord.id).in_(ids.scalar_subquery()))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
