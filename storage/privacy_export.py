"""A person's export (GDPR art. 15): every stored datum about them in one workspace, as
JSON-ready values. It holds every row their erasure removes or changes
(:data:`storage.privacy_sections.EXPORTED` says where)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import col

from storage.groupings import Groupings
from storage.privacy_finders import (
    PersonFinders,
    matches_of_their_questions,
    mentions,
    names_part,
    table_of,
)
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
    MemberGroup,
    ProcessedEvent,
    PulseMemberDay,
    PulsePair,
    PulseQuestion,
    QuestionMatch,
    RitualLaunch,
    Run,
    Workspace,
)


def _plain_row(row: MemberGroup) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.model_dump().items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


class PersonExport(PersonFinders):
    """What :meth:`storage.privacy.Privacy.export` gathers, table by table."""

    async def _all(self, query: Any) -> list[dict[str, Any]]:
        return _rows([dict(r) for r in (await self._s.execute(query)).mappings().all()])

    async def export(self, workspace: Workspace, user_id: str) -> dict[str, Any]:
        """Every stored datum about ``user_id`` in ``workspace``, as JSON-ready values."""
        w = workspace.id
        assert w is not None
        uid = user_id
        communities = self._communities(w)
        member = await self._all(
            select(table_of(Member)).where(
                col(Member.workspace_id) == w, col(Member.user_id) == uid
            )
        )
        roles = []
        for c in (
            await self._s.execute(select(Community).where(col(Community.workspace_id) == w))
        ).scalars():
            if uid in c.facilitators or uid in c.sponsors:
                roles.append(
                    {
                        "community_id": c.id,
                        "channel": c.channel_id,
                        "name": c.name,
                        "facilitator": uid in c.facilitators,
                        "sponsor": uid in c.sponsors,
                    }
                )
        name = member[0]["display_name"] if member else ""
        deliveries = table_of(Delivery)
        naming = [row[1] for row in await self._naming(w, uid, name, deliveries.c.id)]
        mentioned = await self._all(
            select(deliveries).where(col(Delivery.id).in_(naming)).order_by(col(Delivery.id))
        )
        act = table_of(ActivityRecord)
        pq = table_of(PulseQuestion)
        kudos = table_of(Kudos)
        refs = table_of(ConversationReference)
        return {
            "workspace": f"{workspace.platform}:{workspace.external_id}",
            "user_id": uid,
            "member": member[0] if member else None,
            "communities": await self._all(
                select(table_of(CommunityMember), col(Community.channel_id), col(Community.name))
                .join(Community, col(Community.id) == CommunityMember.community_id)
                .where(col(CommunityMember.workspace_id) == w, col(CommunityMember.user_id) == uid)
            ),
            "roles": roles,
            "answers": await self._all(
                select(table_of(Answer))
                .where(col(Answer.workspace_id) == w, col(Answer.user_id) == uid)
                .order_by(col(Answer.id))
            ),
            "runs": await self._all(
                select(table_of(Run))
                .where(col(Run.workspace_id) == w, col(Run.subject) == uid)
                .order_by(col(Run.created_at))
            ),
            "messages_to_them": await self._all(
                select(deliveries)
                .where(col(Delivery.workspace_id) == w, col(Delivery.recipient) == uid)
                .order_by(col(Delivery.id))
            ),
            "messages_naming_them": mentioned,
            "activity": await self._all(
                select(act)
                .where(col(ActivityRecord.workspace_id) == w, col(ActivityRecord.user_id) == uid)
                .order_by(col(ActivityRecord.occurred_at))
            ),
            "activity_towards_them": await self._all(
                select(act)
                .where(
                    col(ActivityRecord.workspace_id) == w,
                    col(ActivityRecord.user_id) != uid,
                    or_(
                        col(ActivityRecord.parent_author) == uid,
                        col(ActivityRecord.target_author) == uid,
                    ),
                )
                .order_by(col(ActivityRecord.occurred_at))
            ),
            "daily_counts": await self._all(
                select(table_of(PulseMemberDay))
                .where(
                    col(PulseMemberDay.community_id).in_(communities),
                    col(PulseMemberDay.user_id) == uid,
                )
                .order_by(col(PulseMemberDay.day))
            ),
            "interactions": await self._all(
                select(table_of(PulsePair))
                .where(
                    col(PulsePair.community_id).in_(communities),
                    or_(col(PulsePair.member_a) == uid, col(PulsePair.member_b) == uid),
                )
                .order_by(col(PulsePair.day))
            ),
            "questions_asked": await self._all(
                select(pq).where(
                    col(PulseQuestion.community_id).in_(communities),
                    col(PulseQuestion.asker) == uid,
                )
            ),
            "questions_answered": await self._all(
                select(pq).where(
                    col(PulseQuestion.community_id).in_(communities),
                    col(PulseQuestion.first_answer_by) == uid,
                )
            ),
            "kudos_given": await self._all(
                select(kudos).where(col(Kudos.workspace_id) == w, col(Kudos.giver) == uid)
            ),
            "kudos_received": await self._all(
                select(kudos).where(col(Kudos.workspace_id) == w, col(Kudos.receiver) == uid)
            ),
            "season_tallies": await self._season_entries(communities, uid),
            "intro_groups": [_plain_row(row) for row in await Groupings(self._s).of_person(w, uid)],
            # others' rounds that name them as a partner: which, not the others' answers
            "intro_groups_naming_them": [
                {
                    "id": o.id,
                    "community_id": o.community_id,
                    "playbook": o.playbook,
                    "round": o.round,
                }
                for o in await Groupings(self._s).naming(w, uid)
            ],
            "expert_topics": await self._all(
                select(table_of(ExpertTopic)).where(
                    col(ExpertTopic.workspace_id) == w, col(ExpertTopic.user_id) == uid
                )
            ),
            "questions_matching_them": await self._all(
                select(table_of(QuestionMatch)).where(
                    col(QuestionMatch.community_id).in_(communities),
                    col(QuestionMatch.expert) == uid,
                )
            ),
            "asked_as_expert": await self._all(
                select(table_of(ExpertAsk)).where(
                    col(ExpertAsk.workspace_id) == w, col(ExpertAsk.expert) == uid
                )
            ),
            "champion_invitations": await self._all(
                select(table_of(ChampionInvite)).where(
                    col(ChampionInvite.workspace_id) == w,
                    or_(col(ChampionInvite.user_id) == uid, col(ChampionInvite.invited_by) == uid),
                )
            ),
            "experts_for_their_questions": await self._all(
                select(
                    col(QuestionMatch.id),
                    col(QuestionMatch.community_id),
                    col(QuestionMatch.message_id),
                    col(QuestionMatch.topic),
                ).where(*matches_of_their_questions(communities, uid))
            ),
            "runs_naming_them": [
                {
                    "id": other.id,
                    "community_id": other.community_id,
                    "playbook": other.playbook,
                    "created_at": _plain(other.created_at),
                    "naming_them": naming,
                }
                for other, naming in await self._runs_naming(w, uid)
            ],
            "ritual_launches_at_them": _rows(
                [
                    {c.name: getattr(launch, c.name) for c in table_of(RitualLaunch).columns}
                    for launch in await self._launches_at(communities, uid)
                ]
            ),
            "ritual_launches_requested": await self._all(
                select(table_of(RitualLaunch)).where(
                    col(RitualLaunch.community_id).in_(communities),
                    col(RitualLaunch.requested_by) == uid,
                )
            ),
            "conversation_references": await self._all(
                select(refs).where(
                    col(ConversationReference.workspace_id) == w,
                    or_(
                        col(ConversationReference.key) == f"user:{uid}",
                        mentions(refs.c.data, [uid]),
                    ),
                )
            ),
            "event_keys": await self._all(
                select(table_of(ProcessedEvent)).where(
                    col(ProcessedEvent.key).startswith(
                        f"{workspace.platform}:{workspace.external_id}:", autoescape=True
                    ),
                    names_part(col(ProcessedEvent.key), uid),
                )
            ),
            "slack_installations": await self._all(
                select(
                    INSTALLATIONS.c.id,
                    INSTALLATIONS.c.team_id,
                    INSTALLATIONS.c.user_id,
                    INSTALLATIONS.c.user_scopes,
                    INSTALLATIONS.c.installed_at,
                ).where(*self._installed_by(workspace, uid))
            ),
        }

    async def _season_entries(self, communities: Any, uid: str) -> list[dict[str, Any]]:
        """Their tallies in rituals' seasons: which ritual, which season, what was counted."""
        return [
            {
                "id": row.id,
                "community_id": row.community_id,
                "playbook": row.playbook,
                "season": row.season,
                "tally": row.data["people"][uid],
            }
            for row in await self._seasons_naming(communities, uid)
            if uid in (row.data.get("people") or {})
        ]
