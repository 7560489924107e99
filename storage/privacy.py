"""A person's data: everything stored about them (GDPR art. 15, export) and its removal
(art. 17, erasure), for one person of one workspace.

Every table is declared here, once: :data:`PERSON_COLUMNS` names the columns that hold a
person's id (or a text naming them) and :data:`NOT_A_PERSON` says, for every other text or JSON
column, why it names nobody. ``tests/test_privacy.py`` walks the tables and fails on a table or
a text column declared in neither — a new table is never silently left out of an export or an
erasure. Each table with person columns has its export and erasure below.

Erasure, table by table: the person's own rows go (member, stays in communities, answers, runs
about them, outbox rows addressed to them, their activity, their daily counts and interaction
pairs, their questions (and the experts these matched), kudos they gave or received, their
expert topics, the questions that matched them, the times they were asked as an expert,
references to their 1:1 conversation, their event keys, the record that they added the bot to
a Teams team, their entries in rituals' season tallies, invitations to facilitate they got or
made, their rows of intros rounds); where others' rows name them, the name goes and the row
stays (a reply to them, a question they answered, a facilitator list, a message sent to someone
else that named them, a ritual launch they requested, others' runs that remember who answered
or hold their row of a thread's tally, the partners of their intros groups). What remains are
counts that name nobody. The export holds every row the erasure removes or changes: where,
table by table, is listed once in :data:`storage.privacy_sections.EXPORTED`, and the finders
below serve both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, Table, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from storage.groupings import Groupings
from storage.privacy_sections import forget_in_variables, naming_in_variables
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
    OptOutSuppression,
    ProcessedEvent,
    PulseMemberDay,
    PulsePair,
    PulseQuestion,
    QuestionMatch,
    RitualLaunch,
    RitualSeason,
    Run,
    Workspace,
)

#: Every table, and its columns that name a person: their id, or a text or JSON value that may
#: hold their id or name. Export and erasure handle each of these tables.
PERSON_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "workspace": (),
    "member": ("user_id", "display_name"),
    "community": ("sponsors", "facilitators"),
    "playbookenablement": (),
    "run": ("subject", "variables"),
    "delivery": ("recipient", "action"),
    "activityrecord": ("user_id", "parent_author", "target_author"),
    "communitymember": ("user_id",),
    "pulsememberday": ("user_id",),
    "pulsepair": ("member_a", "member_b"),
    "pulsequestion": ("asker", "first_answer_by"),
    "rostersync": (),
    "processedevent": ("key",),
    "answer": ("user_id", "value"),
    "scheduleoccurrence": (),
    "rituallaunch": ("requested_by", "cursor"),
    "conversationreference": ("key", "data"),
    "kudos": ("giver", "receiver", "reason"),
    "ritualseason": ("data",),
    "pulsecheck": (),
    "pulsenotice": (),
    "experttopic": ("user_id",),
    "questionmatch": ("expert",),
    "expertask": ("expert",),
    "slack_installations": ("user_id", "user_token", "user_scopes", "user_refresh_token"),
    "slack_bots": (),
    "slack_oauth_states": (),
    "optoutsuppression": (),
    "championinvite": ("user_id", "invited_by"),
    "membergroup": ("user_id", "partners", "answer"),
}

#: The text and JSON columns that name nobody, and why (``table.column``).
NOT_A_PERSON: Mapping[str, str] = {
    "workspace.platform": "slack, teams or local",
    "workspace.external_id": "the workspace's (team, tenant) id",
    "workspace.name": "the workspace's name",
    "workspace.locale": "a language",
    "workspace.status": "active or revoked",
    "member.locale": "goes with the member row",
    "member.timezone": "goes with the member row",
    "member.language": "goes with the member row",
    "member.opted_out": "goes with the member row",
    "championinvite.answer": "accepted, declined or lapsed",
    "community.channel_id": "a channel",
    "community.name": "the community's name",
    "community.objective": "written by its facilitators for the community",
    "community.charter": "written by its facilitators for the community",
    "community.timezone": "a timezone",
    "community.locale": "a language",
    "community.working_hours": "hours",
    "community.working_days": "weekdays",
    "community.holidays": "dates",
    "community.resources": "links chosen for newcomers",
    "playbookenablement.playbook": "a ritual's name",
    "playbookenablement.settings": "a ritual's settings",
    "run.id": "a random id",
    "run.playbook": "a ritual's name",
    "run.step": "a step's name",
    "run.status": "a state",
    "run.error": "an error's kind",
    "run.waiting_thread": "a message's platform id",
    "run.occasion": "a message's platform id (the question that started the run)",
    "ritualseason.playbook": "a ritual's name",
    "ritualseason.season": "a calendar quarter",
    "delivery.run_id": "a random id",
    "delivery.playbook": "a ritual's name",
    "delivery.status": "a state",
    "delivery.last_error": "an error's kind",
    "delivery.platform_ref": "the platform's message id",
    "activityrecord.kind": "a kind of fact",
    "activityrecord.channel": "a channel",
    "activityrecord.message_id": "a message's platform id",
    "activityrecord.thread_id": "a message's platform id",
    "activityrecord.reaction": "an emoji's name",
    "activityrecord.target_id": "a message's platform id",
    "pulsequestion.message_id": "a message's platform id",
    "pulsequestion.channel": "a channel",
    "experttopic.topic": "goes with the member's row (a topic they declared)",
    "experttopic.head": "goes with the member's row (the topic's first word)",
    "questionmatch.message_id": "a message's platform id",
    "questionmatch.topic": "goes with the expert's row (their topic)",
    "expertask.message_id": "a message's platform id",
    "rostersync.claimed_by": "a process's token",
    "pulsenotice.kind": "a warning's kind, or digest",
    "pulsenotice.period": "an ISO week",
    "pulsenotice.detail": "group figures and warning kinds, never a person's",
    "rostersync.last_error": "an error's kind",
    "answer.run_id": "a random id",
    "answer.playbook": "a ritual's name",
    "answer.step": "a step's name",
    "answer.key": "a step's name",
    "scheduleoccurrence.playbook": "a ritual's name",
    "scheduleoccurrence.outcome": "a state",
    "rituallaunch.playbook": "a ritual's name",
    "rituallaunch.zones": "timezones",
    "rituallaunch.status": "a state",
    "rituallaunch.claimed_by": "a process's token",
    "rituallaunch.error": "an error's kind",
    **{
        f"{table}.{column}": "the Slack app's installation in the workspace"
        for table in ("slack_installations", "slack_bots")
        for column in (
            "client_id",
            "app_id",
            "enterprise_id",
            "enterprise_name",
            "team_id",
            "team_name",
            "bot_token",
            "bot_id",
            "bot_user_id",
            "bot_scopes",
            "bot_refresh_token",
        )
    },
    **{
        f"slack_installations.{column}": "the Slack app's installation in the workspace"
        for column in (
            "enterprise_url",
            "incoming_webhook_url",
            "incoming_webhook_channel",
            "incoming_webhook_channel_id",
            "incoming_webhook_configuration_url",
            "token_type",
        )
    },
    "slack_oauth_states.state": "a random OAuth state",
    "optoutsuppression.person_key": "a keyed hash (HMAC) of an erased person's id: names no "
    "one in clear; kept so that their opt-out outlives their erasure",
    "optoutsuppression.opted_out": "rituals' names",
    "membergroup.playbook": "a ritual's name",
}

#: What an erased outbox text becomes: the kind of message stays, its text goes.
ERASED = "erased"


@dataclass
class Erasure:
    """What an erasure removed: rows removed or changed per table, and the communities left
    without a facilitator (channel, name)."""

    counts: dict[str, int] = field(default_factory=dict)
    orphaned: list[tuple[str, str]] = field(default_factory=list)
    #: communities whose last facilitator they were, handed to a successor (channel, name)
    handed: list[tuple[str, str]] = field(default_factory=list)


def _plain_row(row: MemberGroup) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.model_dump().items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _mentions(column: Any, needles: Sequence[str]) -> Any:
    """A text or JSON column whose stored text holds one of ``needles`` (as JSON encodes it)."""
    text = cast(column, String)
    return or_(*(text.contains(json.dumps(n)[1:-1], autoescape=True) for n in needles))


def _names_part(key: Any, uid: str) -> Any:
    """An event key one of whose ``:``-separated parts is ``uid`` (never its first: the
    platform)."""
    return or_(key.contains(f":{uid}:", autoescape=True), key.endswith(f":{uid}", autoescape=True))


def _matches_of_their_questions(communities: Any, uid: str) -> list[Any]:
    """The experts their questions matched (the conditions on ``QuestionMatch``)."""
    theirs = (
        select(col(PulseQuestion.id))
        .where(
            col(PulseQuestion.community_id) == col(QuestionMatch.community_id),
            col(PulseQuestion.message_id) == col(QuestionMatch.message_id),
            col(PulseQuestion.asker) == uid,
        )
        .exists()
    )
    return [col(QuestionMatch.community_id).in_(communities), theirs]


#: the key of an outbox action that lists who the delivery names (recorded when queued)
NAMES = "names"


def _strings(value: Any) -> list[str]:
    """The string values held in a JSON value (never its keys)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def names_person(action: Mapping[str, Any], user_id: str, name: str) -> bool:
    """Whether an outbox action names ``user_id`` (whose display name is ``name``).

    A delivery queued with its :data:`NAMES` names exactly those people. One queued before
    they were recorded names them if their id is a whole token of one of its values (``<@U1>``
    but not ``U12``), or their display name a whole word of its text, with its case."""
    recorded = action.get(NAMES)
    if isinstance(recorded, list):
        return user_id in recorded
    token = re.compile(rf"(?<![\w-]){re.escape(user_id)}(?![\w-])")
    values = [v for k, v in action.items() if k != "type"]
    if any(token.search(s) for s in _strings(values)):
        return True
    said = action.get("text")
    if not name or not isinstance(said, str):
        return False
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", said) is not None


def redacted(action: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox action without its text: only its kind remains."""
    return {"type": action.get("type"), ERASED: True}


class Privacy:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _all(self, query: Any) -> list[dict[str, Any]]:
        return _rows([dict(r) for r in (await self._s.execute(query)).mappings().all()])

    def _communities(self, workspace_id: int) -> Any:
        return select(col(Community.id)).where(col(Community.workspace_id) == workspace_id)

    async def known(self, workspace: Workspace, user_id: str) -> bool:
        """Whether anything at all is stored about ``user_id`` in the workspace."""
        found = await self.export(workspace, user_id)
        return any(v for k, v in found.items() if k not in ("workspace", "user_id"))

    async def _naming(self, workspace_id: int, user_id: str, name: str, *columns: Any) -> list[Any]:
        """Others' deliveries that name ``user_id`` (see :func:`names_person`): the text
        search only narrows them down, the action decides."""
        deliveries = _table(Delivery)
        needles = [user_id, *([name] if name else [])]
        found = await self._s.execute(
            select(deliveries.c.action, *columns).where(
                col(Delivery.workspace_id) == workspace_id,
                col(Delivery.recipient) != user_id,
                _mentions(deliveries.c.action, needles),
            )
        )
        return [row for row in found.all() if names_person(row[0], user_id, name)]

    async def in_a_community(self, workspace_id: int, user_id: str) -> bool:
        """Whether ``user_id`` is still recorded in one of the workspace's communities."""
        query = select(col(CommunityMember.user_id)).where(
            col(CommunityMember.workspace_id) == workspace_id,
            col(CommunityMember.user_id) == user_id,
        )
        return (await self._s.execute(query.limit(1))).first() is not None

    async def _name(self, workspace_id: int, user_id: str) -> str:
        query = select(col(Member.display_name)).where(
            col(Member.workspace_id) == workspace_id, col(Member.user_id) == user_id
        )
        return str((await self._s.execute(query)).scalar_one_or_none() or "")

    # -- export ---------------------------------------------------------------------------

    async def export(self, workspace: Workspace, user_id: str) -> dict[str, Any]:
        """Every stored datum about ``user_id`` in ``workspace``, as JSON-ready values."""
        w = workspace.id
        assert w is not None
        uid = user_id
        communities = self._communities(w)
        member = await self._all(
            select(_table(Member)).where(col(Member.workspace_id) == w, col(Member.user_id) == uid)
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
        deliveries = _table(Delivery)
        naming = [row[1] for row in await self._naming(w, uid, name, deliveries.c.id)]
        mentioned = await self._all(
            select(deliveries).where(col(Delivery.id).in_(naming)).order_by(col(Delivery.id))
        )
        act = _table(ActivityRecord)
        pq = _table(PulseQuestion)
        kudos = _table(Kudos)
        refs = _table(ConversationReference)
        return {
            "workspace": f"{workspace.platform}:{workspace.external_id}",
            "user_id": uid,
            "member": member[0] if member else None,
            "communities": await self._all(
                select(_table(CommunityMember), col(Community.channel_id), col(Community.name))
                .join(Community, col(Community.id) == CommunityMember.community_id)
                .where(col(CommunityMember.workspace_id) == w, col(CommunityMember.user_id) == uid)
            ),
            "roles": roles,
            "answers": await self._all(
                select(_table(Answer))
                .where(col(Answer.workspace_id) == w, col(Answer.user_id) == uid)
                .order_by(col(Answer.id))
            ),
            "runs": await self._all(
                select(_table(Run))
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
                select(_table(PulseMemberDay))
                .where(
                    col(PulseMemberDay.community_id).in_(communities),
                    col(PulseMemberDay.user_id) == uid,
                )
                .order_by(col(PulseMemberDay.day))
            ),
            "interactions": await self._all(
                select(_table(PulsePair))
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
                select(_table(ExpertTopic)).where(
                    col(ExpertTopic.workspace_id) == w, col(ExpertTopic.user_id) == uid
                )
            ),
            "questions_matching_them": await self._all(
                select(_table(QuestionMatch)).where(
                    col(QuestionMatch.community_id).in_(communities),
                    col(QuestionMatch.expert) == uid,
                )
            ),
            "asked_as_expert": await self._all(
                select(_table(ExpertAsk)).where(
                    col(ExpertAsk.workspace_id) == w, col(ExpertAsk.expert) == uid
                )
            ),
            "champion_invitations": await self._all(
                select(_table(ChampionInvite)).where(
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
                ).where(*_matches_of_their_questions(communities, uid))
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
                    {c.name: getattr(launch, c.name) for c in _table(RitualLaunch).columns}
                    for launch in await self._launches_at(communities, uid)
                ]
            ),
            "ritual_launches_requested": await self._all(
                select(_table(RitualLaunch)).where(
                    col(RitualLaunch.community_id).in_(communities),
                    col(RitualLaunch.requested_by) == uid,
                )
            ),
            "conversation_references": await self._all(
                select(refs).where(
                    col(ConversationReference.workspace_id) == w,
                    or_(
                        col(ConversationReference.key) == f"user:{uid}",
                        _mentions(refs.c.data, [uid]),
                    ),
                )
            ),
            "event_keys": await self._all(
                select(_table(ProcessedEvent)).where(
                    col(ProcessedEvent.key).startswith(
                        f"{workspace.platform}:{workspace.external_id}:", autoescape=True
                    ),
                    _names_part(col(ProcessedEvent.key), uid),
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

    async def _seasons_naming(self, communities: Any, uid: str) -> list[RitualSeason]:
        found = await self._s.execute(
            select(RitualSeason).where(
                col(RitualSeason.community_id).in_(communities),
                _mentions(_table(RitualSeason).c.data, [uid]),
            )
        )
        return list(found.scalars().all())

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

    async def _runs_naming(self, w: int, uid: str) -> list[tuple[Run, dict[str, object]]]:
        """Others' runs that remember them (who replied, their row of a thread's tally), with
        what of them each remembers: in their export, and forgotten by their erasure."""
        found = await self._s.execute(
            select(Run).where(
                col(Run.workspace_id) == w,
                col(Run.subject) != uid,
                _mentions(_table(Run).c.variables, [uid]),
            )
        )
        naming = [(run, naming_in_variables(run.variables, uid)) for run in found.scalars()]
        return [(run, said) for run, said in naming if said]

    async def _launches_at(self, communities: Any, uid: str) -> list[RitualLaunch]:
        """Ritual launches whose progress stopped at them (their user id is the cursor)."""
        found = await self._s.execute(
            select(RitualLaunch).where(
                col(RitualLaunch.community_id).in_(communities), col(RitualLaunch.cursor) == uid
            )
        )
        return list(found.scalars().all())

    def _installed_by(self, workspace: Workspace, uid: str) -> list[Any]:
        team = INSTALLATIONS.c.team_id if workspace.platform == "slack" else None
        if team is None:
            return [INSTALLATIONS.c.id.is_(None)]  # no Slack installation elsewhere
        return [
            or_(
                team == workspace.external_id,
                INSTALLATIONS.c.enterprise_id == workspace.external_id,
            ),
            INSTALLATIONS.c.user_id == uid,
        ]

    # -- erasure --------------------------------------------------------------------------

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
        deliveries = _table(Delivery)
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
            delete(QuestionMatch).where(*_matches_of_their_questions(communities, uid)),
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
                _names_part(col(ProcessedEvent.key), uid),
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
        refs = _table(ConversationReference)
        await run(
            "conversationreference",
            delete(ConversationReference).where(
                col(ConversationReference.workspace_id) == w,
                col(ConversationReference.key) == f"user:{uid}",
            ),
        )
        found = await self._s.execute(
            select(ConversationReference).where(
                col(ConversationReference.workspace_id) == w, _mentions(refs.c.data, [uid])
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
