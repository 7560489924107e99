"""Experts: the topics members say they know (per workspace), the experts whose topics a
question's words matched at ingest (the words themselves are never stored), the experts asked
about a question (a daily cap counts them), and a question's ``solved`` mark.

A topic matches a question when every word of it is among the question's words (both folded by
``bot.vocabulary.words``). A question looks up only the topics whose first word it has
(``head``, indexed): one statement, whatever the number of topics in the workspace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, literal, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.vocabulary.words import topic_words
from storage.tables import (
    CommunityMember,
    ExpertAsk,
    ExpertTopic,
    Member,
    PulseQuestion,
    QuestionMatch,
)
from storage.types import UTCDateTime
from storage.upsert import insert_all_missing


class Experts:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- topics ---------------------------------------------------------------------------

    async def topics(self, workspace_id: int, user_id: str) -> list[str]:
        """The member's topics, in alphabetical order."""
        query = (
            select(ExpertTopic.topic)
            .where(ExpertTopic.workspace_id == workspace_id, ExpertTopic.user_id == user_id)
            .order_by(col(ExpertTopic.topic))
        )
        return list((await self._s.execute(query)).scalars().all())

    async def add_topic(self, workspace_id: int, user_id: str, topic: str, now: datetime) -> bool:
        """Declare a folded ``topic`` (with at least one word); False when it was already."""
        words = topic_words(topic)
        assert words, "a topic has a word"
        row = {
            "workspace_id": workspace_id,
            "user_id": user_id,
            "topic": topic,
            "head": words[0],
            "created_at": now,
        }
        unique = ("workspace_id", "user_id", "topic")
        return await insert_all_missing(self._s, ExpertTopic, [row], unique) > 0

    async def remove_topic(self, workspace_id: int, user_id: str, topic: str) -> bool:
        """Withdraw a topic; False when the member had not declared it."""
        result = await self._s.execute(
            delete(ExpertTopic).where(
                col(ExpertTopic.workspace_id) == workspace_id,
                col(ExpertTopic.user_id) == user_id,
                col(ExpertTopic.topic) == topic,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def community_topics(self, community_id: int) -> list[tuple[str, Member]]:
        """The topics of the members present in the community, with who declared each
        (topic, then user id order)."""
        query = (
            select(ExpertTopic.topic, Member)
            .join(
                CommunityMember,
                (col(CommunityMember.workspace_id) == col(ExpertTopic.workspace_id))
                & (col(CommunityMember.user_id) == col(ExpertTopic.user_id)),
            )
            .join(
                Member,
                (col(Member.workspace_id) == col(ExpertTopic.workspace_id))
                & (col(Member.user_id) == col(ExpertTopic.user_id)),
            )
            .where(CommunityMember.community_id == community_id, col(CommunityMember.present))
            .order_by(col(ExpertTopic.topic), col(ExpertTopic.user_id))
        )
        return [(str(topic), member) for topic, member in (await self._s.execute(query)).all()]

    # -- a question's matches -------------------------------------------------------------

    async def match_question(
        self, workspace_id: int, community_id: int, message_id: str, words: Collection[str]
    ) -> int:
        """Record the experts present in the community whose topics ``words`` (a question's,
        folded) hold entirely; returns how many (expert, topic) matched. Two statements at
        most: the topics that may match, then the matches."""
        if not words:
            return 0
        query = (
            select(ExpertTopic.user_id, ExpertTopic.topic)
            .join(
                CommunityMember,
                (col(CommunityMember.workspace_id) == col(ExpertTopic.workspace_id))
                & (col(CommunityMember.user_id) == col(ExpertTopic.user_id)),
            )
            .where(
                ExpertTopic.workspace_id == workspace_id,
                col(ExpertTopic.head).in_(sorted(words)),
                CommunityMember.community_id == community_id,
                col(CommunityMember.present),
            )
        )
        found = [
            {"community_id": community_id, "message_id": message_id, "expert": u, "topic": t}
            for u, t in (await self._s.execute(query)).all()
            if set(topic_words(t)) <= set(words)
        ]
        unique = ("community_id", "message_id", "expert", "topic")
        await insert_all_missing(self._s, QuestionMatch, found, unique)
        return len(found)

    async def matches(
        self, workspace_id: int, community_id: int, message_id: str
    ) -> dict[str, list[str]]:
        """The experts a question matched who are still in the community, with the matched
        topics they still declare."""
        query = (
            select(QuestionMatch.expert, QuestionMatch.topic)
            .join(
                ExpertTopic,
                (col(ExpertTopic.user_id) == col(QuestionMatch.expert))
                & (col(ExpertTopic.topic) == col(QuestionMatch.topic)),
            )
            .join(
                CommunityMember,
                (col(CommunityMember.community_id) == col(QuestionMatch.community_id))
                & (col(CommunityMember.user_id) == col(QuestionMatch.expert)),
            )
            .where(
                col(CommunityMember.present),
                QuestionMatch.community_id == community_id,
                QuestionMatch.message_id == message_id,
                ExpertTopic.workspace_id == workspace_id,
            )
            .order_by(col(QuestionMatch.expert), col(QuestionMatch.topic))
        )
        found: dict[str, list[str]] = defaultdict(list)
        for expert, topic in (await self._s.execute(query)).all():
            found[str(expert)].append(str(topic))
        return dict(found)

    async def rematch(
        self, workspace_id: int, community_id: int, message_id: str, words: Collection[str]
    ) -> int:
        """A message edited into a question, or a question edited: the experts its new words
        match replace those before (nothing when it asks no question)."""
        if await self.question(community_id, message_id) is None:
            return 0
        await self.forget_matches(community_id, message_id)
        return await self.match_question(workspace_id, community_id, message_id, words)

    async def forget_matches(self, community_id: int, message_id: str) -> None:
        """A message no longer asks a question: the experts it matched go with it."""
        await self._s.execute(
            delete(QuestionMatch).where(
                col(QuestionMatch.community_id) == community_id,
                col(QuestionMatch.message_id) == message_id,
            )
        )

    # -- questions ------------------------------------------------------------------------

    async def question(self, community_id: int, message_id: str) -> PulseQuestion | None:
        """The question asked by this message in the community (None: no question)."""
        query = select(PulseQuestion).where(
            PulseQuestion.community_id == community_id, PulseQuestion.message_id == message_id
        )
        return (await self._s.execute(query)).scalars().first()

    async def mark_solved(self, community_id: int, message_id: str, now: datetime) -> bool:
        """The asker says the question is solved (once: a second mark keeps the first time);
        False when there is no such question."""
        result = await self._s.execute(
            update(PulseQuestion)
            .where(
                col(PulseQuestion.community_id) == community_id,
                col(PulseQuestion.message_id) == message_id,
            )
            .values(
                solved=True,
                # typed: inside coalesce the bind would skip UTCDateTime (an offset kept as is)
                solved_at=func.coalesce(col(PulseQuestion.solved_at), literal(now, UTCDateTime())),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- asks -----------------------------------------------------------------------------

    async def asked_about(self, community_id: int, message_id: str) -> set[str]:
        """The experts already asked about this question."""
        query = select(ExpertAsk.expert).where(
            ExpertAsk.community_id == community_id, ExpertAsk.message_id == message_id
        )
        return set((await self._s.execute(query)).scalars().all())

    async def asks_since(
        self, workspace_id: int, experts: Sequence[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """When each of ``experts`` was asked (any community of the workspace) since ``since``."""
        if not experts:
            return {}
        query = select(ExpertAsk.expert, ExpertAsk.asked_at).where(
            ExpertAsk.workspace_id == workspace_id,
            col(ExpertAsk.expert).in_(list(experts)),
            col(ExpertAsk.asked_at) >= since,
        )
        found: dict[str, list[datetime]] = defaultdict(list)
        for expert, at in (await self._s.execute(query)).all():
            found[str(expert)].append(at)
        return dict(found)

    async def record_asked(
        self,
        workspace_id: int,
        community_id: int,
        message_id: str,
        experts: Sequence[str],
        now: datetime,
    ) -> None:
        """``experts`` were asked about the question now (one ask per expert and question)."""
        rows: list[dict[str, object]] = [
            {
                "workspace_id": workspace_id,
                "community_id": community_id,
                "message_id": message_id,
                "expert": expert,
                "asked_at": now,
            }
            for expert in experts
        ]
        await insert_all_missing(self._s, ExpertAsk, rows, ("community_id", "message_id", "expert"))
