"""A person's erasure (GDPR art. 17) from one workspace: their own rows go, others' rows that
name them lose their name and stay; and what they had opted out of outlives them, under a
keyed hash. Run it in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import col

from storage.groupings import Groupings
from storage.privacy_columns import PERSON_COLUMNS
from storage.privacy_finders import (
    PersonFinders,
    matches_of_their_questions,
    mentions,
    names_part,
    table_of,
)
from storage.privacy_messages import redacted
from storage.privacy_sections import forget_in_variables
from storage.slack_tables import INSTALLATIONS
from storage.tables import (
    ActivityRecord,
    Answer,
    ChampionInvite,
    Community,
    CommunityMember,
    ConversationReference,
    Delivery,
    ExpertAsk,
    ExpertTopic,
    Kudos,
    Member,
    OptOutSuppression,
    ProcessedEvent,
    PulseMemberDay,
    PulsePair,
    PulseQuestion,
    QuestionMatch,
    RitualLaunch,
    Run,
    Workspace,
)


@dataclass
class Erasure:
    """What an erasure removed: rows removed or changed per table, and the communities left
    without a facilitator (channel, name)."""

    counts: dict[str, int] = field(default_factory=dict)
    orphaned: list[tuple[str, str]] = field(default_factory=list)
    #: communities whose last facilitator they were, handed to a successor (channel, name)
    handed: list[tuple[str, str]] = field(default_factory=list)


class PersonErasure(PersonFinders):
    """What :meth:`storage.privacy.Privacy.erase` removes or changes, table by table."""

    async def _name(self, workspace_id: int, user_id: str) -> str:
        query = select(col(Member.display_name)).where(
            col(Member.workspace_id) == workspace_id, col(Member.user_id) == user_id
        )
        return str((await self._s.execute(query)).scalar_one_or_none() or "")

    async def keep_opt_out(
        self,
        workspace_id: int,
        person_keys: Sequence[str],
        opted_out_all: bool,
        opted_out: Sequence[str],
        now: datetime,
    ) -> None:
        """What an erased person had opted out of, under the first of ``person_keys`` (their
        keyed hashes, one per key: older ones go); nothing kept if they had opted out of
        nothing."""
        await self._s.execute(
            delete(OptOutSuppression).where(
                col(OptOutSuppression.workspace_id) == workspace_id,
                col(OptOutSuppression.person_key).in_(list(person_keys)),
            )
        )
        if person_keys and (opted_out_all or opted_out):
            self._s.add(
                OptOutSuppression(
                    workspace_id=workspace_id,
                    person_key=person_keys[0],
                    opted_out_all=opted_out_all,
                    opted_out=list(opted_out),
                    created_at=now,
                )
            )
            await self._s.flush()

    async def erase(self, workspace: Workspace, user_id: str, now: datetime) -> Erasure:
        """Remove ``user_id`` from ``workspace``: their rows go, others' rows lose their name.
        Run it in one transaction."""
        w = workspace.id
        assert w is not None
        uid = user_id
        out = Erasure()
        counts = out.counts
        communities = self._communities(w)
        name = await self._name(w, uid)

        async def run(table: str, statement: Any) -> None:
            result = await self._s.execute(statement)
            counts[table] = counts.get(table, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]

        # others' messages that named them keep their kind, lose their text
        deliveries = table_of(Delivery)
        naming = await self._naming(w, uid, name, deliveries.c.id, deliveries.c.status)
        for action, delivery_id, status in naming:
            values: dict[str, Any] = {"action": redacted(action), "text_erased_at": now}
            if status == "pending":  # never sent now: it named someone erased
                values |= {"status": "skipped", "last_error": "named an erased person"}
            await run(
                "delivery", update(Delivery).where(col(Delivery.id) == delivery_id).values(values)
            )
        await run(
            "delivery",
            delete(Delivery).where(col(Delivery.workspace_id) == w, col(Delivery.recipient) == uid),
        )

        await run(
            "member",
            delete(Member).where(col(Member.workspace_id) == w, col(Member.user_id) == uid),
        )
        await run(
            "communitymember",
            delete(CommunityMember).where(
                col(CommunityMember.workspace_id) == w, col(CommunityMember.user_id) == uid
            ),
        )
        await run(
            "answer",
            delete(Answer).where(col(Answer.workspace_id) == w, col(Answer.user_id) == uid),
        )
        await run("run", delete(Run).where(col(Run.workspace_id) == w, col(Run.subject) == uid))
        # others' runs that remember them (who replied, a thread's tally) forget them
        for other, _ in await self._runs_naming(w, uid):
            other.variables = forget_in_variables(other.variables, uid)
            counts["run"] = counts.get("run", 0) + 1
        await run(
            "activityrecord",
            delete(ActivityRecord).where(
                col(ActivityRecord.workspace_id) == w, col(ActivityRecord.user_id) == uid
            ),
        )
        for column in ("parent_author", "target_author"):
            await run(
                "activityrecord",
                update(ActivityRecord)
                .where(
                    col(ActivityRecord.workspace_id) == w, getattr(ActivityRecord, column) == uid
                )
                .values({column: None}),
            )
        await run(
            "pulsememberday",
            delete(PulseMemberDay).where(
                col(PulseMemberDay.community_id).in_(communities),
                col(PulseMemberDay.user_id) == uid,
            ),
        )
        await run(
            "pulsepair",
            delete(PulsePair).where(
                col(PulsePair.community_id).in_(communities),
                or_(col(PulsePair.member_a) == uid, col(PulsePair.member_b) == uid),
            ),
        )
        # the experts their questions matched go with the questions
        await run(
            "questionmatch",
            delete(QuestionMatch).where(*matches_of_their_questions(communities, uid)),
        )
        await run(
            "pulsequestion",
            delete(PulseQuestion).where(
                col(PulseQuestion.community_id).in_(communities), col(PulseQuestion.asker) == uid
            ),
        )
        await run(
            "experttopic",
            delete(ExpertTopic).where(
                col(ExpertTopic.workspace_id) == w, col(ExpertTopic.user_id) == uid
            ),
        )
        await run(
            "questionmatch",
            delete(QuestionMatch).where(
                col(QuestionMatch.community_id).in_(communities), col(QuestionMatch.expert) == uid
            ),
        )
        await run(
            "expertask",
            delete(ExpertAsk).where(col(ExpertAsk.workspace_id) == w, col(ExpertAsk.expert) == uid),
        )
        # a question they answered stays answered (a community figure), by nobody named
        await run(
            "pulsequestion",
            update(PulseQuestion)
            .where(
                col(PulseQuestion.community_id).in_(communities),
                col(PulseQuestion.first_answer_by) == uid,
            )
            .values(first_answer_by=None),
        )
        # an invitation to facilitate goes, whether they were invited or invited someone
        await run(
            "championinvite",
            delete(ChampionInvite).where(
                col(ChampionInvite.workspace_id) == w,
                or_(col(ChampionInvite.user_id) == uid, col(ChampionInvite.invited_by) == uid),
            ),
        )
        await run(
            "kudos",
            delete(Kudos).where(
                col(Kudos.workspace_id) == w,
                or_(col(Kudos.giver) == uid, col(Kudos.receiver) == uid),
            ),
        )
        counts["membergroup"] = await Groupings(self._s).erase(w, uid)
        for row in await self._seasons_naming(communities, uid):
            people = dict(row.data.get("people") or {})
            if people.pop(uid, None) is None:
                continue  # another id that merely contains theirs
            row.data = {**row.data, "people": people}
            counts["ritualseason"] = counts.get("ritualseason", 0) + 1
        await run(
            "rituallaunch",
            update(RitualLaunch)
            .where(
                col(RitualLaunch.community_id).in_(communities),
                col(RitualLaunch.requested_by) == uid,
            )
            .values(requested_by=None),
        )
        # a finished launch's last member is of no use; an unfinished one goes on from the
        # member before them (anyone between was asked already: nobody is asked twice)
        for launch in await self._launches_at(communities, uid):
            cursor = ""
            if launch.status == "pending":
                before = select(col(CommunityMember.user_id)).where(
                    col(CommunityMember.community_id) == launch.community_id,
                    col(CommunityMember.user_id) < uid,
                )
                cursor = str(
                    (
                        await self._s.execute(
                            before.order_by(col(CommunityMember.user_id).desc()).limit(1)
                        )
                    ).scalar_one_or_none()
                    or ""
                )
            launch.cursor = cursor
            counts["rituallaunch"] = counts.get("rituallaunch", 0) + 1
        await self._erase_references(w, uid, run, counts)
        prefix = f"{workspace.platform}:{workspace.external_id}:"
        await run(
            "processedevent",
            delete(ProcessedEvent).where(
                col(ProcessedEvent.key).startswith(prefix, autoescape=True),
                names_part(col(ProcessedEvent.key), uid),
            ),
        )
        await run(
            "slack_installations",
            update(INSTALLATIONS)
            .where(*self._installed_by(workspace, uid))
            .values(user_id="", user_token=None, user_scopes=None, user_refresh_token=None),
        )
        rows = await self._s.execute(select(Community).where(col(Community.workspace_id) == w))
        for community in rows.scalars().all():
            if uid not in community.facilitators and uid not in community.sponsors:
                continue
            community.facilitators = [p for p in community.facilitators if p != uid]
            community.sponsors = [p for p in community.sponsors if p != uid]
            counts["community"] = counts.get("community", 0) + 1
            if not community.facilitators:
                out.orphaned.append((community.channel_id, community.name))
        await self._s.flush()
        for table, columns in PERSON_COLUMNS.items():
            if columns:
                counts.setdefault(table, 0)
        return out

    async def _erase_references(self, w: int, uid: str, run: Any, counts: dict[str, int]) -> None:
        """Their 1:1 conversation goes; another conversation's reference (a channel, where they
        spoke last) forgets who spoke."""
        refs = table_of(ConversationReference)
        await run(
            "conversationreference",
            delete(ConversationReference).where(
                col(ConversationReference.workspace_id) == w,
                col(ConversationReference.key) == f"user:{uid}",
            ),
        )
        found = await self._s.execute(
            select(ConversationReference).where(
                col(ConversationReference.workspace_id) == w, mentions(refs.c.data, [uid])
            )
        )
        for ref in found.scalars().all():
            if ref.data.get("id") == uid:  # names only them (who added the bot to a team)
                await self._s.delete(ref)
                counts["conversationreference"] = counts.get("conversationreference", 0) + 1
                continue
            if (ref.data.get("user") or {}).get("id") != uid:
                continue  # another id that merely contains theirs
            conversation = ref.data.get("conversation") or {}
            if conversation.get("conversationType") == "personal":
                await self._s.delete(ref)
            else:
                ref.data = {k: v for k, v in ref.data.items() if k != "user"}
            counts["conversationreference"] = counts.get("conversationreference", 0) + 1
