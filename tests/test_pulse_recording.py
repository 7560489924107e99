"""What the bot records of a community's conversation (issue 11 §1): metadata and never text,
direct messages never as community activity, bots never as members, membership from joins,
leaves and the platform's roster (daily, once across processes, patient with a platform that
cannot answer), reads that never take SQLite's write lock, and old history purged while the
rollups stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Connection, func, select, text
from sqlmodel import SQLModel

from bot.runtime.clock import ManualClock
from bot.runtime.membership import RosterSync
from bot.runtime.pulse_report import community_report
from bot.runtime.roster import Rosters
from bot.runtime.scheduler import Scheduler
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from bot.vocabulary.ports import PlatformUnavailable, SendOutcome
from storage.database import alembic_config, upgrade
from storage.slack_tables import SLACK_METADATA
from storage.tables import (
    ActivityRecord,
    CommunityMember,
    PulseMemberDay,
    PulsePair,
    PulseQuestion,
)
from storage.tables import (
    RosterSync as RosterSyncRow,
)
from tests.builders import T0, WORKSPACE
from tests.conftest import Harness, LiveServer
from tests.pulse_support import (
    CHANNEL,
    FakeRoster,
    at,
    bot_posts,
    deleted,
    edited,
    happen,
    joined,
    left,
    posted,
    reacted,
    unreacted,
)
from tests.test_history_queries import HISTORY_0011

#: Who is in each community, derived from the history as migration 0012 did.
HISTORY_0012_MEMBERS = """
INSERT INTO communitymember (workspace_id, community_id, user_id, present, last_seen_at)
SELECT workspace_id, community_id, user_id, kind <> 'member_left', occurred_at
FROM (
    SELECT workspace_id, community_id, user_id, kind, occurred_at,
           ROW_NUMBER() OVER (
               PARTITION BY community_id, user_id ORDER BY occurred_at DESC, id DESC
           ) AS latest
    FROM activityrecord WHERE community_id IS NOT NULL
) ranked
WHERE latest = 1
"""

#: What members wrote: it must never reach the database.
SECRET = "ZEBRA-QUOKKA-7781 what is our budget?"


async def _rows(harness_or_store: Any, model: type[SQLModel]) -> list[Any]:
    async with harness_or_store.transaction() as tx:
        return list((await tx.session.execute(select(model))).scalars().all())


async def test_no_message_text_is_stored_in_any_table(live_server: LiveServer) -> None:
    for event in (
        {"type": "member_joined", "user": "U-bob", "channel": "C-data"},
        {"type": "message_posted", "user": "U-bob", "channel": "C-data", "text": SECRET},
        {"type": "message_posted", "user": "U-alice", "channel": "C-data", "text": SECRET,
         "thread": "m1"},
        {"type": "message_posted", "user": "U-alice", "channel": "C-other", "text": SECRET},
    ):  # fmt: skip
        status, body = await live_server.post_event(**event)
        assert (status, body["status"]) == (202, "processed"), body
    store = live_server.bot.store
    posts = [r for r in await _rows(store, ActivityRecord) if r.kind == "message_posted"]
    assert {(r.user_id, r.channel) for r in posts} == {
        ("U-bob", "C-data"),
        ("U-alice", "C-data"),
        ("U-alice", "C-other"),
    }  # the messages were seen...
    found = []
    async with store.transaction() as tx:
        for table in [*SQLModel.metadata.sorted_tables, *SLACK_METADATA.sorted_tables]:
            for row in (await tx.session.execute(select(table))).all():
                found += [
                    f"{table.name}: {value!r}"
                    for value in row
                    if "zebra" in str(value).lower() or "budget" in str(value).lower()
                ]
    assert found == []  # ...and what they said is nowhere


async def test_direct_messages_are_never_community_activity(harness: Harness) -> None:
    await happen(harness, posted("ivy", "d1", at(11, 28), channel=CHANNEL, direct=True))
    await happen(harness, posted("gus", "g1", at(11, 28)))

    records = await _rows(harness.store, ActivityRecord)
    assert {(r.user_id, r.community_id) for r in records} == {("U-ivy", None), ("U-gus", 1)}
    days = await _rows(harness.store, PulseMemberDay)
    assert [(d.user_id, d.posts) for d in days] == [("U-gus", 1)]
    members = await _rows(harness.store, CommunityMember)
    assert [m.user_id for m in members] == ["U-gus"]


class PrefixedSender:
    """A platform that names a posted message with its channel first (as the Slack adapter
    does: ``C042:1733.0001``)."""

    platform = "local"

    async def send(self, workspace: ev.WorkspaceRef, action: act.Action) -> SendOutcome:
        if isinstance(action, act.PostToCommunity):
            return SendOutcome("sent", platform_ref=f"{action.channel}:1733.0001")
        return SendOutcome("sent", platform_ref="dm")


async def test_the_bots_posts_are_recorded_so_replies_count_but_it_is_never_a_member(
    database_url: str,
) -> None:
    harness = Harness.create(database_url, ManualClock(T0), senders={"local": PrefixedSender()})
    try:
        await harness.seed()
        for user in ("alice", "bob"):
            await happen(harness, joined(user, at(11, 20)))
        assert await bot_posts(harness, at(11, 23)) == "C-data:1733.0001"
        await happen(harness, posted("alice", "a1", at(11, 23, 10), thread="1733.0001"))
        await happen(harness, posted("bob", "b1", at(11, 23, 11), question=True))
        await happen(harness, reacted("alice", "1733.0001", at(11, 23, 12)))

        [bot] = [r for r in await _rows(harness.store, ActivityRecord) if r.kind == "bot_post"]
        assert (bot.user_id, bot.message_id, bot.community_id) == ("", "1733.0001", 1)
        [reply] = [r for r in await _rows(harness.store, ActivityRecord) if r.user_id == "U-alice"
                   and r.kind == "message_posted"]  # fmt: skip
        assert (reply.is_reply, reply.thread_id, reply.parent_author) == (True, "1733.0001", "")
        members = {m.user_id for m in await _rows(harness.store, CommunityMember)}
        assert members == {"U-alice", "U-bob"}  # never the bot
        days = {
            (d.user_id, d.posts, d.replies, d.reactions)
            for d in await _rows(harness.store, PulseMemberDay)
        }
        assert days == {("U-alice", 0, 1, 1), ("U-bob", 1, 0, 0)}
        assert await _rows(harness.store, PulsePair) == []  # nobody to pair with the bot
        [question] = await _rows(harness.store, PulseQuestion)
        assert (question.asker, question.first_answer_at) == ("U-bob", None)
    finally:
        await harness.store.close()


def _sync(harness: Harness, roster: Any, **options: Any) -> RosterSync:
    return RosterSync(harness.store, Rosters(harness.store, {"local": roster}), harness.clock,
                      **options)  # fmt: skip


async def _members(harness: Harness) -> dict[str, tuple[bool, Any, Any, Any]]:
    return {
        m.user_id: (m.present, m.joined_at, m.present_since, m.left_at)
        for m in await _rows(harness.store, CommunityMember)
    }


async def test_membership_follows_joins_leaves_and_the_daily_roster(harness: Harness) -> None:
    await happen(harness, joined("alice", at(11, 2)))
    await happen(harness, joined("bob", at(11, 2)))
    await happen(harness, left("bob", at(11, 3)))
    await happen(harness, joined("chloe", at(11, 3)))
    assert await _members(harness) == {
        "U-alice": (True, at(11, 2), at(11, 2), None),
        "U-bob": (False, at(11, 2), at(11, 2), at(11, 3)),
        "U-chloe": (True, at(11, 3), at(11, 3), None),
    }

    class Joining(FakeRoster):
        """Dan joins while the roster is being read: the read must not undo it."""

        async def members(self, workspace: ev.WorkspaceRef, channel: str) -> list[Any]:
            found = await super().members(workspace, channel)
            await happen(harness, joined("dan", at(11, 5, 9, 1)))
            harness.clock.now = at(11, 5, 9, 2)
            return found

    roster = Joining({CHANNEL: ["alice", "bob", "ivy"]})  # Chloé gone, Bob and Ivy there
    harness.clock.now = at(11, 5)
    assert await _sync(harness, roster).run_due() == 1
    assert await _members(harness) == {
        "U-alice": (True, at(11, 2), at(11, 2), None),
        "U-bob": (True, None, at(11, 5), None),  # back, since the read; join date unknown
        "U-chloe": (False, at(11, 3), at(11, 3), at(11, 5)),
        "U-dan": (True, at(11, 5, 9, 1), at(11, 5, 9, 1), None),  # joined during the read
        "U-ivy": (True, None, at(11, 5), None),  # never joined through an event
    }
    async with harness.store.transaction() as tx:
        ivy = await tx.directory.member(1, "U-ivy")
    assert ivy is not None and ivy.display_name == "Ivy"

    harness.clock.now = at(11, 5, 18)
    assert await _sync(harness, roster).run_due() == 0 and roster.calls == 1  # not due yet
    harness.clock.now = at(11, 6, 9, 3)
    assert await _sync(harness, roster).run_due() == 1 and roster.calls == 2  # a day later


async def test_a_roster_read_once_across_processes_and_tried_again_when_the_platform_fails(
    harness: Harness,
) -> None:
    class Unavailable(FakeRoster):
        async def members(self, workspace: ev.WorkspaceRef, channel: str) -> list[Any]:
            self.calls += 1
            raise PlatformUnavailable("http 503")

    failing = Unavailable()
    harness.clock.now = at(11, 5)
    assert await _sync(harness, failing).run_due() == 0
    [row] = await _rows(harness.store, RosterSyncRow)
    assert (row.failures, row.due_at, row.last_error) == (
        1,
        at(11, 5, 9, 15),
        "the platform could not answer: http 503",
    )
    harness.clock.now = at(11, 5, 9, 10)
    assert await _sync(harness, failing).run_due() == 0 and failing.calls == 1  # backing off
    harness.clock.now = at(11, 5, 9, 15)
    assert await _sync(harness, failing).run_due() == 0 and failing.calls == 2
    [row] = await _rows(harness.store, RosterSyncRow)
    assert (row.failures, row.due_at) == (2, at(11, 5, 9, 45))  # twice as long

    # another process holds the read: this one leaves it alone
    async with harness.store.transaction() as tx:
        assert await tx.membership.claim(1, at(11, 5, 9, 45), "other", timedelta(minutes=5))
    working = FakeRoster({CHANNEL: ["alice"]})
    harness.clock.now = at(11, 5, 9, 46)
    assert await _sync(harness, working).run_due() == 0 and working.calls == 0
    harness.clock.now = at(11, 5, 9, 51)  # its claim lapsed (it died)
    assert await _sync(harness, working).run_due() == 1 and working.calls == 1
    [row] = await _rows(harness.store, RosterSyncRow)
    assert (row.failures, row.synced_at, row.due_at) == (0, at(11, 5, 9, 51), at(11, 6, 9, 51))


async def test_an_empty_roster_takes_nobody_off(harness: Harness) -> None:
    await happen(harness, joined("alice", at(11, 2)))
    harness.clock.now = at(11, 5)
    assert await _sync(harness, FakeRoster({CHANNEL: []})).run_due() == 0
    assert (await _members(harness))["U-alice"][0] is True
    await happen(harness, posted("alice", "a1", at(11, 5, 10)))  # and the pass was recorded
    [row] = await _rows(harness.store, RosterSyncRow)
    assert row.synced_at == at(11, 5)


async def test_the_scheduler_looks_for_due_rosters_once_a_minute(harness: Harness) -> None:
    passes: list[datetime] = []

    async def rosters() -> int:
        passes.append(harness.clock())
        return 0

    scheduler = Scheduler(
        harness.store, harness.dispatcher.handle, harness.dispatcher.fire_schedule,
        harness.engine.playbooks, harness.clock, rosters=rosters,
    )  # fmt: skip
    harness.clock.now = at(11, 5)
    await scheduler.tick()
    await scheduler.tick()
    harness.clock.now = at(11, 5, 9, 1)
    await scheduler.tick()
    assert passes == [at(11, 5), at(11, 5, 9, 1)]


async def test_a_report_reading_never_holds_back_an_inbound_event(harness: Harness) -> None:
    await happen(harness, joined("alice", at(11, 2)))
    async with harness.store.read() as tx:
        before = await tx.pulse_queries.stays(1)
        # while the report's transaction is open, an event is recorded and committed
        await happen(harness, joined("bob", at(11, 3)))
        assert [s.user_id for s in await tx.pulse_queries.stays(1)] == ["U-alice"]  # snapshot
    assert [s.user_id for s in before] == ["U-alice"]
    assert set(await _members(harness)) == {"U-alice", "U-bob"}


async def test_old_history_is_purged_and_the_rollups_stay(harness: Harness) -> None:
    for user in ("alice", "bob", "chloe", "dan", "emma"):
        await happen(harness, joined(user, at(9, 1)))
    await happen(harness, posted("alice", "a1", at(9, 10)))
    await happen(harness, posted("bob", "b1", at(11, 20)))
    scheduler = Scheduler(
        harness.store, harness.dispatcher.handle, harness.dispatcher.fire_schedule,
        harness.engine.playbooks, harness.clock, activity_retention=timedelta(days=30),
    )  # fmt: skip
    harness.clock.now = at(11, 30)
    await scheduler.tick()

    kept = {(r.user_id, r.kind) for r in await _rows(harness.store, ActivityRecord)}
    assert kept == {("U-bob", "message_posted")}  # the joins and Alice's post are older
    september = datetime(2026, 9, 20, tzinfo=UTC)  # a day boundary: rollups alone
    old = await community_report(harness.store, WORKSPACE, CHANNEL, september, weeks=0)
    assert (old.indicators.figures["members"], old.indicators.figures["active_28d"]) == (5, 1)
    async with harness.store.transaction() as tx:
        count = (await tx.session.execute(select(func.count()).select_from(PulseMemberDay))).one()
    assert count == (2,)


async def test_a_deletion_racing_the_retention_purge_is_processed_not_refused(
    harness: Harness,
) -> None:
    """The purge deletes old rows while an event about one of them is being recorded: the
    event waits for the purge's batch and finds nothing left to change (on PostgreSQL it read
    the row before, then its UPDATE found it gone: the turn failed and the platform retried)."""
    for user in ("alice", "bob"):
        await happen(harness, joined(user, at(9, 1)))
    await happen(harness, posted("alice", "m1", at(9, 10)))
    await happen(harness, reacted("bob", "m1", at(9, 10, 10)))
    await happen(harness, posted("bob", "b1", at(11, 20)))
    async with harness.store.read() as tx:
        [community] = await tx.directory.communities()
    purging, purged = asyncio.Event(), asyncio.Event()

    async def purge() -> int:
        async with harness.store.transaction() as tx:
            gone = await tx.pulse.purge_before(community.id, at(10, 1))
            purging.set()
            await purged.wait()  # the batch's transaction still open
        return gone

    purge_task = asyncio.create_task(purge())
    await purging.wait()
    harness.clock.now = at(11, 30)
    deletion = asyncio.create_task(harness.dispatcher.handle(deleted("m1", at(11, 30), "alice")))
    await asyncio.sleep(0.3)  # the deletion has reached the purged rows' locks
    purged.set()
    assert await purge_task == 4  # two joins, alice's post, bob's reaction
    assert await asyncio.wait_for(deletion, 10) == "processed"
    kept = {(r.user_id, r.message_id) for r in await _rows(harness.store, ActivityRecord)}
    assert kept == {("U-bob", "b1")}
    days, _ = await _counts(harness)
    assert ("U-alice", 1, 0, 0) in days, "a purged message's day keeps counting"


async def test_the_migration_fills_stays_and_daily_counts_from_the_history(
    harness: Harness,
) -> None:
    def down(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "0012")

    async with harness.store.engine.begin() as connection:
        await connection.run_sync(down)
        rows = [
            ("U-stay", "member_joined", at(11, 2)),
            ("U-stay", "message_posted", at(11, 3, 9)),
            ("U-stay", "message_posted", at(11, 3, 17)),
            ("U-stay", "reaction_added", at(11, 4)),
            ("U-gone", "member_joined", at(11, 2)),
            ("U-gone", "member_left", at(11, 5)),
            ("U-back", "member_joined", at(11, 1)),
            ("U-back", "member_left", at(11, 2)),
            ("U-back", "message_posted", at(11, 6)),  # came back without a join event
            ("U-stay", "command_invoked", at(11, 7)),
            ("U-cmd", "command_invoked", at(11, 7)),  # only typed a command: never joined
            ("U-talk", "message_posted", at(11, 8)),  # only posted and reacted: never joined
            ("U-talk", "reaction_added", at(11, 8, 10)),
        ]
        await connection.execute(
            HISTORY_0011.insert(),
            [
                {"workspace_id": 1, "community_id": 1, "user_id": user, "kind": kind,
                 "channel": CHANNEL, "occurred_at": when}
                for user, kind, when in rows
            ],
        )  # fmt: skip
        await connection.execute(text(HISTORY_0012_MEMBERS))
    await upgrade(harness.store.engine)

    # the local platform has no roster: acting there never made anyone a member (0017)
    assert await _members(harness) == {
        "U-stay": (True, at(11, 2), at(11, 2), None),
        "U-gone": (False, at(11, 2), at(11, 2), at(11, 5)),
        "U-back": (False, None, None, at(11, 2)),  # posted after leaving: seen, not back
        "U-cmd": (False, None, None, None),
        "U-talk": (False, None, None, None),
    }
    days = {
        (d.user_id, d.day.isoformat(), d.posts, d.replies, d.reactions)
        for d in await _rows(harness.store, PulseMemberDay)
    }
    assert days == {
        ("U-stay", "2026-11-03", 2, 0, 0),
        ("U-stay", "2026-11-04", 0, 0, 1),
        ("U-back", "2026-11-06", 1, 0, 0),
        ("U-talk", "2026-11-08", 1, 0, 1),  # commands are no posts
    }


async def _counts(harness: Harness) -> tuple[set[tuple[str, int, int, int]], set[Any]]:
    days = {
        (d.user_id, d.posts, d.replies, d.reactions)
        for d in await _rows(harness.store, PulseMemberDay)
    }
    pairs = {
        (p.member_a, p.member_b, p.interactions) for p in await _rows(harness.store, PulsePair)
    }
    return days, pairs


async def test_a_deleted_messages_reactions_stop_counting_and_an_undelete_brings_all_back(
    harness: Harness,
) -> None:
    await happen(harness, posted("alice", "m1", at(11, 23, 10), question=True))
    await happen(harness, reacted("bob", "m1", at(11, 23, 11)))
    await happen(harness, reacted("chloe", "m1", at(11, 23, 11)))
    await happen(harness, unreacted("chloe", "m1", at(11, 23, 12)))  # taken back before
    counting = await _counts(harness)
    assert counting[0] == {("U-alice", 1, 0, 0), ("U-bob", 0, 0, 1), ("U-chloe", 0, 0, 0)}

    await happen(harness, deleted("m1", at(11, 23, 13), by="alice"))
    days, pairs = await _counts(harness)
    assert days == {("U-alice", 0, 0, 0), ("U-bob", 0, 0, 0), ("U-chloe", 0, 0, 0)}
    assert {p for p in pairs if p[2] > 0} == set()
    assert await _rows(harness.store, PulseQuestion) == []

    # Teams: the author undeletes it (an edit of the deleted message)
    await happen(harness, edited("alice", "m1", at(11, 23, 14), question=True))
    assert await _counts(harness) == counting  # Chloé's reaction stays taken back
    [question] = await _rows(harness.store, PulseQuestion)
    assert question.asker == "U-alice"
