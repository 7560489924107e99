"""The tables. Every row the bot stores belongs to one workspace (directly or through a parent)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

#: A platform's id for a person or a conversation: Teams user ids run to about 120 characters,
#: its 1:1 conversation ids further; Slack's and the local platform's are short.
PLATFORM_ID = 255
#: an event's dedupe key: a platform's event id, plus a person's id for per-member events
EVENT_KEY = 600
#: a stored conversation reference's key: ``conversation:``/``user:``/``channel:`` and an id
REFERENCE_KEY = 300


def _workspace_fk() -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("workspace.id"), nullable=False, index=True))


class Workspace(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    name: str = Field(default="", max_length=200)
    locale: str = Field(default="en", max_length=16)
    #: active | revoked (the platform refused our token)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    user_id: str = Field(max_length=PLATFORM_ID)
    display_name: str = Field(default="", max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    #: the language the member chose (``/animateur language fr``): wins over ``locale``
    language: str | None = Field(default=None, max_length=8)
    opted_out_all: bool = False
    opted_out: list[str] = Field(default_factory=list, sa_type=JSON)
    #: rituals paused for the member until then (``/animateur snooze 2w``)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the member blocked or removed the bot: nothing is sent to them
    unreachable: bool = False
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Community(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    channel_id: str = Field(max_length=PLATFORM_ID)
    name: str = Field(max_length=200)
    objective: str = Field(default="", sa_type=Text)
    charter: str = Field(default="", sa_type=Text)
    sponsors: list[str] = Field(default_factory=list, sa_type=JSON)
    facilitators: list[str] = Field(default_factory=list, sa_type=JSON)
    target_engagement: int = 60
    timezone: str = Field(default="UTC", max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    #: when rituals may talk to members, in each member's timezone: "09:00-18:00"
    working_hours: str = Field(default="09:00-18:00", max_length=16)
    #: working weekdays, Monday = 0
    working_days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], sa_type=JSON)
    #: ISO dates on which no ritual runs
    holidays: list[str] = Field(default_factory=list, sa_type=JSON)
    #: "three useful things here": links and tips the facilitator chose for newcomers
    resources: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    #: goes up with every change (storage.versioning): a form opened before is out of date
    version: int = 1


class PlaybookEnablement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("community_id", "playbook"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    playbook: str = Field(max_length=64)
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    enabled_at: datetime = Field(sa_type=UTCDateTime)


#: The runs still going (at most one per community, playbook and subject).
ACTIVE_RUN = "status IN ('waiting_answer', 'waiting_timer')"


_WAITING = "waiting_thread IS NOT NULL"


class Run(SQLModel, table=True):
    """One execution of a playbook for a subject (a member's user id, or "" for the community)."""

    __table_args__ = (
        Index("ix_run_due", "status", "wake_at"),
        #: a community's runs still going (home), without reading its past runs
        Index("ix_run_community_status", "community_id", "status"),
        #: the runs of a ritual's last cycle (digests), without reading the earlier cycles
        Index("ix_run_community_started", "community_id", "playbook", "created_at"),
        Index(
            "uq_run_active",
            "community_id",
            "playbook",
            "subject",
            "occasion",
            unique=True,
            sqlite_where=text(ACTIVE_RUN),
            postgresql_where=text(ACTIVE_RUN),
        ),
        #: the runs waiting for a reply in a thread (``wait_reply``), found when one comes
        Index(
            "ix_run_waiting_thread",
            "community_id",
            "waiting_thread",
            sqlite_where=text(_WAITING),
            postgresql_where=text(_WAITING),
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: int = _workspace_fk()
    community_id: int = Field(foreign_key="community.id", index=True)
    playbook: str = Field(max_length=64)
    subject: str = Field(default="", max_length=PLATFORM_ID)
    step: str | None = Field(default=None, max_length=64)
    #: waiting_answer | waiting_timer | done | failed (``error`` says why)
    status: str = Field(max_length=16)
    variables: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    wake_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=500)
    #: wake-ups in a row that raised (storage, engine…): retried later, failed after a few
    failures: int = 0
    #: the thread (platform message id) a ``wait_reply`` step waits on, else None
    waiting_thread: str | None = Field(default=None, max_length=PLATFORM_ID)
    #: what started the run besides its subject: a question-triggered run's question (its
    #: platform id), one run going per question; "" for every other run (one per subject)
    occasion: str = Field(default="", max_length=PLATFORM_ID)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


#: Finished deliveries whose text is still kept.
#: the retention purge's rows; its query says it in these very words, so that SQLite, which
#: matches a partial index's condition by its terms, uses ix_delivery_text_kept
TEXT_KEPT = "text_erased_at IS NULL AND status IN ('sent', 'failed', 'dead', 'blocked', 'skipped')"


class Delivery(SQLModel, table=True):
    """An outbound action in the outbox."""

    __table_args__ = (
        #: the claim's order (next_attempt_at, id): a claim reads the rows due in it, and
        #: stops once it has its batch
        Index("ix_delivery_due", "status", "next_attempt_at", "id"),
        Index("ix_delivery_recipient", "workspace_id", "recipient", "status"),
        Index("ix_delivery_status_created", "status", "created_at"),
        #: finished deliveries whose text is still kept (the retention purge's work)
        Index(
            "ix_delivery_text_kept",
            "created_at",
            sqlite_where=text(TEXT_KEPT),
            postgresql_where=text(TEXT_KEPT),
        ),
        #: an id is never given again (SQLite gives a deleted last row's id to the next row
        #: otherwise): a claim is fenced by (id, claim number)
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    run_id: str | None = Field(default=None, max_length=32, index=True)
    playbook: str | None = Field(default=None, max_length=64)
    recipient: str = Field(max_length=PLATFORM_ID)
    action: dict[str, Any] = Field(sa_type=JSON)
    #: pending | in_flight | sent | failed (permanent) | dead (gave up) | blocked
    #: | skipped (opt-out)
    status: str = Field(default="pending", max_length=16)
    #: attempts spent (a deferral gives its attempt back): dead-lettering counts these
    attempts: int = 0
    #: how many times it was claimed, never decremented: a claim's own number, which fences
    #: what its worker writes (attempts come back down, so they can repeat across claims)
    claim: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    platform_ref: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when its text was erased (``ANIMATEUR_DELIVERY_RETENTION_DAYS`` after it was sent, or the
    #: erasure of someone it named): ``action`` keeps only its kind
    text_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


#: Activity kinds that count as taking part (a post or a reply; a reaction).
MESSAGE_POSTED = "message_posted"
REACTION_ADDED = "reaction_added"
#: The bot's own post in a community channel (replies to it count; it never does).
BOT_POST = "bot_post"
#: The author recorded for the bot's own posts: never a person's id.
BOT_AUTHOR = ""
#: The length kept of a reaction's name (Slack's names are short; Teams sends a word).
REACTION = 100

#: Partial indexes: only rows that have the column set.
_THREADED = "thread_id IS NOT NULL"
_TARGETED = "target_id IS NOT NULL"


class ActivityRecord(SQLModel, table=True):
    """Metadata of what happened — who, where, what kind, when, and for the conversation which
    message it was, its thread and whom it answered or reacted to. Never message text."""

    __table_args__ = (
        Index("ix_activity_community_time", "community_id", "occurred_at"),
        #: a message by its platform id (a reply's parent, an edit, a deletion)
        Index("ix_activity_message", "community_id", "message_id"),
        #: a thread's replies (a question's first answer)
        Index(
            "ix_activity_thread",
            "community_id",
            "thread_id",
            sqlite_where=text(_THREADED),
            postgresql_where=text(_THREADED),
        ),
        #: a message's reactions (one taken back)
        Index(
            "ix_activity_target",
            "community_id",
            "target_id",
            sqlite_where=text(_TARGETED),
            postgresql_where=text(_TARGETED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    community_id: int | None = Field(default=None, foreign_key="community.id")
    user_id: str = Field(max_length=PLATFORM_ID)
    kind: str = Field(max_length=32)
    channel: str | None = Field(default=None, max_length=PLATFORM_ID)
    #: the platform's time of the fact (not when it reached the bot)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    #: a message's own platform id (Slack ``ts``, Teams activity id)
    message_id: str | None = Field(default=None, max_length=PLATFORM_ID)
    #: a reply: the platform id of its thread's top-level message, and that message's author
    thread_id: str | None = Field(default=None, max_length=PLATFORM_ID)
    parent_author: str | None = Field(default=None, max_length=PLATFORM_ID)
    is_reply: bool = False
    #: a reaction: its name, the message reacted to and that message's author
    reaction: str | None = Field(default=None, max_length=REACTION)
    target_id: str | None = Field(default=None, max_length=PLATFORM_ID)
    target_author: str | None = Field(default=None, max_length=PLATFORM_ID)
    #: a top-level message that asks a question (decided from its text at ingest)
    is_question: bool = False
    #: the message was deleted, or the reaction taken back: it no longer counts
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CommunityMember(SQLModel, table=True):
    """Who is in a community's channel, since when, and when they last did anything there:
    kept by ``storage.activity`` with every activity record (joining, leaving, acting there) and
    by the platform's roster (``storage.membership``), so the roster, a member's communities,
    the active count and the pulse's member counts read one row per member, never the history.

    Bots are never members. A member's row tells their latest stay: ``present_since`` to
    ``left_at`` (None: still there)."""

    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        Index("ix_communitymember_user", "workspace_id", "user_id"),
        Index("ix_communitymember_seen", "community_id", "last_seen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    community_id: int = Field(foreign_key="community.id")
    user_id: str = Field(max_length=PLATFORM_ID)
    #: False once their latest activity there is that they left (or the roster lost them)
    present: bool = True
    #: when their latest activity there happened (it decides ``present``); None: only seen on
    #: the platform's roster
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when they joined, from a join event; None: unknown (found there) — never a newcomer
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: since when they are known to be there in this stay (joined, first seen, on the roster)
    present_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when they left (their latest stay ended); None while there
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PulseMemberDay(SQLModel, table=True):
    """A member's posts, replies and reactions in a community on one day (UTC), kept with every
    activity record (edits and deletions adjust it): reports read these, not the history."""

    __table_args__ = (Index("ix_pulsememberday_day", "community_id", "day"),)

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    user_id: str = Field(max_length=PLATFORM_ID, primary_key=True)
    day: date = Field(primary_key=True)
    posts: int = 0
    replies: int = 0
    reactions: int = 0


class PulsePair(SQLModel, table=True):
    """Two people who interacted on a day (one replied in a thread the other started, or
    reacted to the other's message), ``member_a`` < ``member_b``: reciprocity."""

    __table_args__ = (Index("ix_pulsepair_day", "community_id", "day"),)

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    day: date = Field(primary_key=True)
    member_a: str = Field(max_length=PLATFORM_ID, primary_key=True)
    member_b: str = Field(max_length=PLATFORM_ID, primary_key=True)
    interactions: int = 0


class PulseQuestion(SQLModel, table=True):
    """A question asked in a community (a top-level message flagged at ingest) and its first
    answer: the first reply in its thread by someone else than the asker, not a bot."""

    __table_args__ = (
        UniqueConstraint("community_id", "message_id"),
        Index("ix_pulsequestion_asked", "community_id", "asked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    message_id: str = Field(max_length=PLATFORM_ID)
    channel: str = Field(max_length=PLATFORM_ID)
    asker: str = Field(max_length=PLATFORM_ID)
    asked_at: datetime = Field(sa_type=UTCDateTime)
    first_answer_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_answer_by: str | None = Field(default=None, max_length=PLATFORM_ID)
    #: the asker said their question was solved (the experts ritual asks them), and when
    solved: bool = False
    solved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RosterSync(SQLModel, table=True):
    """When each community's members were last read from its platform's roster, and when next:
    claimed by one process at a time (a lease), so the daily read happens once."""

    __table_args__ = (Index("ix_rostersync_due", "due_at"),)

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=32)
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: reads in a row that failed (the platform could not answer): the next waits longer
    failures: int = 0
    last_error: str | None = Field(default=None, max_length=500)


class ProcessedEvent(SQLModel, table=True):
    """Keys of events already handled: a retried delivery of the same key is not processed again."""

    key: str = Field(primary_key=True, max_length=EVENT_KEY)
    processed_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Answer(SQLModel, table=True):
    """What a member answered to a ritual (the only free text stored)."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    community_id: int = Field(foreign_key="community.id", index=True)
    run_id: str = Field(max_length=32, index=True)
    playbook: str = Field(max_length=64)
    user_id: str = Field(max_length=PLATFORM_ID)
    step: str = Field(max_length=64)
    key: str = Field(max_length=64)
    value: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ScheduleOccurrence(SQLModel, table=True):
    """One cron fire of a scheduled playbook (or of its digest: ``<playbook>#digest``) for a
    community, claimed once across processes. Rituals that run in each member's timezone have
    one occurrence per distinct fire instant."""

    __table_args__ = (UniqueConstraint("community_id", "playbook", "fire_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    playbook: str = Field(max_length=64)
    fire_at: datetime = Field(sa_type=UTCDateTime)
    #: started | skipped (missed beyond the grace window) | holiday (holiday or weekend)
    outcome: str = Field(max_length=16)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class RitualLaunch(SQLModel, table=True):
    """A ritual to start for a community's members — a facilitator's ``checkin now``, or a
    scheduled fire of a ritual for each member — recorded in the same transaction as the command
    or the fire's occurrence, and executed by the scheduler: claimed by one process at a time (a
    lease), in chunks of members each committed with its progress, so a crash loses nothing and
    a restart asks nobody twice."""

    __table_args__ = (Index("ix_rituallaunch_due", "status", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    playbook: str = Field(max_length=64)
    #: the facilitator who asked, told how many members were asked now and later
    requested_by: str | None = Field(default=None, max_length=PLATFORM_ID)
    #: only the members whose timezone is one of these (a scheduled fire); None: everyone
    zones: list[str] | None = Field(default=None, sa_type=JSON)
    #: pending | done | failed
    status: str = Field(default="pending", max_length=16)
    #: the last member (user id, in order) already handled
    cursor: str = Field(default="", max_length=PLATFORM_ID)
    asked_now: int = 0
    asked_later: int = 0
    claimed_by: str | None = Field(default=None, max_length=32)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationReference(SQLModel, table=True):
    """What a platform needs to write to a conversation later (Teams), per workspace and key."""

    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    key: str = Field(max_length=REFERENCE_KEY)
    data: dict[str, Any] = Field(sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Kudos(SQLModel, table=True):
    """A public thanks (``/animateur kudos @someone for …``): who gave it to whom, in which
    community, when, and the reason given — free text a member gave to a ritual, stored as
    ritual answers are (it is posted in the community's channel)."""

    __table_args__ = (
        #: a giver's kudos today, across the workspace (the daily quota)
        Index("ix_kudos_giver_time", "workspace_id", "giver", "created_at"),
        #: a community's kudos over a period (a season), by giver and by receiver
        Index("ix_kudos_community_giver", "community_id", "created_at", "giver"),
        Index("ix_kudos_community_receiver", "community_id", "created_at", "receiver"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    community_id: int = Field(foreign_key="community.id")
    giver: str = Field(max_length=PLATFORM_ID)
    receiver: str = Field(max_length=PLATFORM_ID)
    reason: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class PulseCheck(SQLModel, table=True):
    """When each community's pulse is next looked at for early warnings and the weekly digest
    (issue 11 §3): taken by one process at a time (moved forward as it is taken)."""

    __table_args__ = (Index("ix_pulsecheck_due", "due_at"),)

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PulseNotice(SQLModel, table=True):
    """What was last sent to a community's facilitators of each kind (an early warning's kind,
    or ``digest``): when, for which period (a week), and the group figures it said — so a kind
    goes out at most once a week, whatever the processes and restarts."""

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=32)
    #: the week it was for (``2026-W49``); "" before anything was sent
    period: str = Field(default="", max_length=16)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    #: group figures and warning kinds only, never a person's (the digest compares with them)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class RitualSeason(SQLModel, table=True):
    """What lasts across a ritual's runs in a community for a season (a calendar quarter in
    the community's timezone, ``2026-Q4``): each person's tallies (replies, reactions, rounds,
    by user id, with the name they had) and the list items already picked
    (``playbooks.conversation`` says the shape)."""

    __table_args__ = (UniqueConstraint("community_id", "playbook", "season"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    playbook: str = Field(max_length=64)
    season: str = Field(max_length=16)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)


#: A topic's longest folded form, and the most topics one member declares.
TOPIC = 60


class ExpertTopic(SQLModel, table=True):
    """A topic a member says they know (``/animateur expert add data viz``), per workspace —
    the person's, whichever community they are in. Stored folded (lowercase, no accents, spaces
    collapsed); ``head`` is its first word as compared with a question's words, so a question
    looks up only the topics that may match it."""

    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", "topic"),
        Index("ix_experttopic_head", "workspace_id", "head"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    user_id: str = Field(max_length=PLATFORM_ID)
    topic: str = Field(max_length=TOPIC)
    head: str = Field(max_length=TOPIC)
    created_at: datetime = Field(sa_type=UTCDateTime)


class QuestionMatch(SQLModel, table=True):
    """An expert whose topic matched a question's words at ingest (the words are not kept):
    one row per question, expert and topic."""

    __table_args__ = (
        UniqueConstraint("community_id", "message_id", "expert", "topic"),
        Index("ix_questionmatch_expert", "expert"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    message_id: str = Field(max_length=PLATFORM_ID)
    expert: str = Field(max_length=PLATFORM_ID)
    topic: str = Field(max_length=TOPIC)


class ExpertAsk(SQLModel, table=True):
    """An expert asked about a question (the daily cap counts these, per workspace)."""

    __table_args__ = (
        UniqueConstraint("community_id", "message_id", "expert"),
        Index("ix_expertask_expert_time", "workspace_id", "expert", "asked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    community_id: int = Field(foreign_key="community.id")
    message_id: str = Field(max_length=PLATFORM_ID)
    expert: str = Field(max_length=PLATFORM_ID)
    asked_at: datetime = Field(sa_type=UTCDateTime)


class OptOutSuppression(SQLModel, table=True):
    """An opt-out that outlives the erasure of who made it: the person is named by a keyed
    hash only (HMAC-SHA256 of the workspace and their id, keyed with ANIMATEUR_SECRET_KEY or
    the dashboard's key file), never in clear. Should they be seen again, their member row is
    made with these opt-outs (``Directory.upsert_member``): no ritual writes to them until
    they opt back in themselves."""

    __table_args__ = (UniqueConstraint("workspace_id", "person_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    person_key: str = Field(max_length=64)
    opted_out_all: bool = False
    opted_out: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ChampionInvite(SQLModel, table=True):
    """A facilitator's invitation to a champion spotted in the weekly digest to become one of
    the community's facilitators (``bot.runtime.champion_buttons``): who asked whom, when, and
    the answer — the member's click is honoured only against this row (one per community and
    member: a new invitation after an answer replaces it)."""

    __table_args__ = (UniqueConstraint("community_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    community_id: int = Field(foreign_key="community.id")
    user_id: str = Field(max_length=PLATFORM_ID)
    invited_by: str = Field(max_length=PLATFORM_ID)
    invited_at: datetime = Field(sa_type=UTCDateTime)
    #: "" while unanswered, then "accepted" or "declined"
    answer: str = Field(default="", max_length=16)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberGroup(SQLModel, table=True):
    """A member's group in one round of a ritual that groups members (intros): whom they were
    grouped with, and their answer to "did you meet?" (None: not answered yet). One row per
    member and round; a round's number counts up per community and ritual."""

    __table_args__ = (
        UniqueConstraint("community_id", "playbook", "round", "user_id"),
        Index("ix_membergroup_user", "workspace_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    community_id: int = Field(foreign_key="community.id")
    playbook: str = Field(max_length=64)
    round: int
    user_id: str = Field(max_length=PLATFORM_ID)
    #: the others of their group (user ids)
    partners: list[str] = Field(default_factory=list, sa_type=JSON)
    answer: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
