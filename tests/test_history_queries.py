"""Reads that must not grow with history: the check-in roster, a member's home, the active count.

Right content (members who left are not asked; late, older events do not undo newer ones), the
same number of SQL statements however many members and activity rows there are, and, on SQLite,
every statement answered through an index — never a scan of the activity history or the runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Connection, column, event, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.runtime.home import build_home
from bot.runtime.roster import Rosters
from bot.vocabulary import events as ev
from storage.database import alembic_config, upgrade
from storage.tables import ActivityRecord, CommunityMember
from storage.types import UTCDateTime
from tests.builders import T0, WORKSPACE, joined, key
from tests.builders import command as typed
from tests.conftest import Harness

#: the activity history's columns as they were at revision 0011
HISTORY_0011 = table(
    "activityrecord",
    *(column(name) for name in ("workspace_id", "community_id", "user_id", "kind", "channel")),
    column("occurred_at", UTCDateTime()),
)


def left(user: str, at: datetime = T0) -> ev.MemberLeft:
    return ev.MemberLeft(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=at,
        channel="C-data",
        member=ev.MemberProfile(user),
    )


def posted(user: str, at: datetime = T0, channel: str = "C-data") -> ev.MessagePosted:
    return ev.MessagePosted(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=at,
        channel=channel,
        member=ev.MemberProfile(user),
    )


@contextmanager
def recorded(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (and their parameters) the engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def listen(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)


async def roster(harness: Harness) -> list[str]:
    return [m.user_id for m in await Rosters(harness.store, {}).known_members(WORKSPACE, "C-data")]


async def home_of(harness: Harness, user: str, now: datetime = T0) -> dict[str, str]:
    """The home's sections of ``user``: title → text."""
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        member = await tx.directory.member(1, user)
        assert workspace is not None and member is not None
        home = await build_home(tx, workspace, member, harness.engine.playbooks, "en", now)
    return {s.title: s.text for s in home.sections}


async def grow_history(harness: Harness, members: int, rows_each: int) -> None:
    """``members`` members who joined, then posted ``rows_each`` times, a day apart."""
    for i in range(members):
        await harness.dispatcher.handle(joined(f"U-m{i:03}"))
    async with harness.store.transaction() as tx:
        community = await tx.directory.community_by_channel(1, "C-data")
        assert community is not None
        for i in range(members):
            for day in range(rows_each):
                await tx.activity.record(
                    ActivityRecord(
                        workspace_id=1,
                        community_id=community.id,
                        user_id=f"U-m{i:03}",
                        kind="message_posted",
                        channel="C-data",
                        occurred_at=T0 - timedelta(days=day + 1),
                    )
                )


async def test_the_roster_is_the_members_still_there_in_user_id_order(harness: Harness) -> None:
    for user in ("U-carl", "U-alice", "U-bob", "U-dora"):
        await harness.dispatcher.handle(joined(user))
    await harness.dispatcher.handle(left("U-bob", T0 + timedelta(hours=1)))
    await harness.dispatcher.handle(left("U-carl", T0 + timedelta(hours=1)))
    await harness.dispatcher.handle(replace(joined("U-carl"), occurred_at=T0 + timedelta(hours=2)))
    # Dora's leaving, from before she came back, arrives late: she is still there
    await harness.dispatcher.handle(replace(joined("U-dora"), occurred_at=T0 + timedelta(hours=3)))
    await harness.dispatcher.handle(left("U-dora", T0 + timedelta(hours=2)))
    # Bob posts after leaving, Eve posts and reacts, Finn runs a command: none of them joined
    await harness.dispatcher.handle(posted("U-bob", T0 + timedelta(hours=4)))
    await harness.dispatcher.handle(posted("U-eve", T0 + timedelta(hours=4)))
    await harness.dispatcher.handle(typed("U-finn", "help"))

    assert await roster(harness) == ["U-alice", "U-carl", "U-dora"]
    profiles = await Rosters(harness.store, {}).known_members(WORKSPACE, "C-data")
    assert [p.display_name for p in profiles] == ["Alice", "Carl", "Dora"]
    async with harness.store.transaction() as tx:
        assert await tx.activity.member_ids_in(1) == ["U-alice", "U-carl", "U-dora"]


async def test_home_shows_where_the_member_acted_and_who_was_active_lately(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(posted("U-erin"))  # never "joined": posting is enough
    sections = await home_of(harness, "U-erin")
    assert sections["Data & IA"].splitlines()[0] == "• Welcome: on"

    # members joined (posting alone makes nobody a member of the pulse)
    long_ago = T0 - timedelta(days=50)
    for user in ["U-erin", *(f"U-new{i}" for i in range(5)), "U-old0", "U-old1"]:
        await harness.dispatcher.handle(replace(joined(user), occurred_at=long_ago))
    for i in range(5):  # five active in the last 30 days; two others only before
        await harness.dispatcher.handle(posted(f"U-new{i}", T0 - timedelta(days=3)))
    for i in range(2):
        await harness.dispatcher.handle(posted(f"U-old{i}", T0 - timedelta(days=40)))
    status = (await home_of(harness, "U-dan"))["You facilitate: Data & IA"]
    # the five of the eight members (the pulse's 28 days end at T0: Erin's post at T0 is not
    # in them yet; the two old ones posted before them), up from none the week before
    assert status.startswith("Active members (28 days): 62.5 % ↗ · target 60 %"), status
    assert "Data & IA" not in await home_of(harness, "U-dan"), "Dan never acted there"


async def test_the_migration_fills_the_members_from_the_history(harness: Harness) -> None:
    engine = harness.store.engine

    def down(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "0011")

    async with engine.begin() as connection:
        await connection.run_sync(down)
        community_id = (
            await connection.execute(text("SELECT id FROM community WHERE channel_id = 'C-data'"))
        ).scalar_one()
        rows = [
            ("U-stay", "member_joined", T0),
            ("U-stay", "message_posted", T0 + timedelta(days=2)),
            ("U-gone", "member_joined", T0),
            ("U-gone", "member_left", T0 + timedelta(days=1)),
            ("U-back", "member_left", T0),
            ("U-back", "member_joined", T0 + timedelta(days=1)),
        ]
        await connection.execute(
            HISTORY_0011.insert(),
            [
                {
                    "workspace_id": 1,
                    "community_id": community_id,
                    "user_id": user,
                    "kind": kind,
                    "channel": "C-data",
                    "occurred_at": at,
                }
                for user, kind, at in rows
            ],
        )
    await upgrade(engine)
    async with harness.store.transaction() as tx:
        found = (await tx.session.execute(select(CommunityMember))).scalars().all()
    assert {(m.user_id, m.present, m.last_seen_at) for m in found} == {
        ("U-stay", True, T0 + timedelta(days=2)),
        ("U-gone", False, T0 + timedelta(days=1)),
        ("U-back", True, T0 + timedelta(days=1)),
    }
    assert await roster(harness) == []  # no member rows: nobody to ask by name yet
    await harness.dispatcher.handle(posted("U-back", T0 + timedelta(days=3)))
    await harness.dispatcher.handle(posted("U-gone", T0 - timedelta(days=3)))  # older than leaving
    assert await roster(harness) == ["U-back"]


async def statements_for_home_and_roster(harness: Harness) -> tuple[list[str], list[str]]:
    engine = harness.store.engine
    with recorded(engine) as home:
        sections = await home_of(harness, "U-dan")
    assert "You facilitate: Data & IA" in sections
    with recorded(engine) as rostered:
        assert await roster(harness)
    return [s for s, _ in home], [s for s, _ in rostered]


async def test_home_and_roster_cost_the_same_statements_at_any_history_size(
    harness: Harness,
) -> None:
    await grow_history(harness, members=3, rows_each=1)
    small_home, small_roster = await statements_for_home_and_roster(harness)
    await grow_history(harness, members=40, rows_each=20)
    assert len(await roster(harness)) == 40
    large_home, large_roster = await statements_for_home_and_roster(harness)
    assert len(large_home) == len(small_home)
    assert len(large_roster) == len(small_roster)
    assert len(large_roster) <= 4, large_roster  # begin, workspace, community, members


async def test_home_and_roster_reads_are_answered_by_indexes(harness: Harness) -> None:
    if not harness.url.startswith("sqlite"):
        return  # the plan checked is SQLite's; PostgreSQL plans tiny tables with seq scans
    await grow_history(harness, members=10, rows_each=10)
    await harness.dispatcher.handle(joined("U-dan"))  # the facilitator is a member too
    engine = harness.store.engine
    with recorded(engine) as seen:
        sections = await home_of(harness, "U-dan")
        assert await roster(harness)
    assert "Data & IA" in sections and "You facilitate: Data & IA" in sections
    plans: list[str] = []
    async with engine.connect() as connection:
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith("SELECT"):
                explained = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                plans += [str(row[-1]) for row in explained.all()]
    tables = ("activityrecord", "run", "communitymember", "playbookenablement", "member")
    scans = [p for p in plans if p.startswith("SCAN") and p.split()[1] in tables]
    assert scans == [], scans
    history = [p for p in plans if "activityrecord" in p]
    # the history is read only day by day: the raw facts of the days a window cuts through
    # (today, 7 and 28 days ago), each by the community-and-time index between two bounds
    assert history, "the pulse's cut days are read"
    assert all(
        "USING INDEX ix_activity_community_time (community_id=? AND occurred_at>? AND "
        "occurred_at<?)" in p
        for p in history
    ), history
    runs = [p for p in plans if p.split()[1:2] == ["run"]]
    # not every run of the community: those still going, or a ritual's runs of the 28 days
    assert runs and all(
        "status=?" in p or "playbook=? AND created_at>? AND created_at<?" in p for p in runs
    ), runs
    members = [p for p in plans if p.split()[1:2] == ["communitymember"]]
    assert members and all(p.startswith("SEARCH") for p in members), plans
