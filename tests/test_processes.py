"""Several real ``animateur serve`` processes on one PostgreSQL, sending to a fake Slack Web API
served here (every message counted where it lands): each delivery sent once across processes,
a process killed mid-fan-out (SIGKILL) or stopped (SIGTERM) loses nothing, schedules and timers
fire once whoever ticks, and the outbox's faults show in ``animateur deliveries status``.

PostgreSQL only: several processes writing at once is what it is for (SQLite has one writer).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.vocabulary import events as ev
from storage.database import make_engine, upgrade
from storage.store import Store
from storage.tables import ActivityRecord, Community, RitualLaunch, Run, ScheduleOccurrence
from tests.builders import key
from tests.conftest import PG_URL, Harness, reset_postgres, wait_for
from tests.fakes.slack_api import FakeSlackApi
from tests.process_support import (
    ROOT,
    SLACK,
    TEAM,
    cluster,
    deliveries,
    enqueue,
    in_order,
    received,
    statuses,
    text_of,
)

pytestmark = [
    pytest.mark.alone,
    pytest.mark.skipif(PG_URL is None, reason="several processes on one database: PostgreSQL only"),
]


@pytest_asyncio.fixture
async def pg() -> AsyncIterator[str]:
    """The test PostgreSQL, wiped and migrated."""
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    engine = make_engine(PG_URL)
    await upgrade(engine)
    await engine.dispose()
    yield PG_URL


async def settled(url: str) -> bool:
    """Nothing left pending or in flight."""
    found = await statuses(url)
    return found["pending"] + found["in_flight"] == 0


def recipients(count: int, first: int = 1) -> list[str]:
    return [f"U{number:05d}" for number in range(first, first + count)]


# -- exactly once across processes -------------------------------------------------------------


async def test_two_processes_send_2000_deliveries_each_exactly_once(
    pg: str, tmp_path: Path
) -> None:
    async with cluster(pg, tmp_path) as running:
        first, second = await running.start(2)
        texts = await enqueue(pg, recipients(2000))  # both are running: they race for them

        async def all_sent() -> bool:
            return len(received(running.slack)) >= len(texts) and await settled(pg)

        await wait_for(all_sent, within=90, interval=0.25)
        got = received(running.slack)
        assert sorted(got) == sorted(texts), "every delivery reached Slack"
        assert max(got.values()) == 1, "none twice"
        assert await statuses(pg) == {"sent": 2000}
        by_first, by_second = await first.sent(running.http), await second.sent(running.http)
        assert by_first + by_second == 2000
        assert by_first > 0 and by_second > 0, "both processes shared the work"


# -- a process killed, or stopped, mid-fan-out -------------------------------------------------

CONCURRENCY = 8


async def test_a_process_killed_mid_fan_out_loses_nothing_and_resends_at_most_its_sends_in_flight(
    pg: str, tmp_path: Path
) -> None:
    settings = {"delivery_lease_seconds": "2", "delivery_concurrency": str(CONCURRENCY)}
    async with cluster(pg, tmp_path, **settings) as running:
        # Slack takes 50 ms a message: sends are under way when the kill comes, and Slack
        # still takes those the dead process will never record
        running.slack.hang_next("chat.postMessage", 0.05, count=10_000)
        [first] = await running.start()
        texts = await enqueue(pg, recipients(300), per_recipient=2)

        async def well_under_way() -> bool:
            return len(received(running.slack)) >= 150 and running.slack.hanging > 0

        await wait_for(well_under_way, within=60)
        first.kill()
        assert await first.exited(within=10) == -signal.SIGKILL
        cut = await statuses(pg)
        assert cut["pending"] > 0 and cut["in_flight"] > 0, "killed mid-fan-out, claims held"

        await running.start()

        async def all_sent() -> bool:
            return len(received(running.slack)) >= len(texts) and await settled(pg)

        await wait_for(all_sent, within=60, interval=0.25)
        got = received(running.slack)
        assert sorted(got) == sorted(texts), "nothing lost"
        duplicates = sum(got.values()) - len(texts)
        assert duplicates <= CONCURRENCY, f"{duplicates} sent twice"
        assert await statuses(pg) == {"sent": 600}
        order = in_order(running.slack, texts)
        assert all(sent == [text_of(r, 0), text_of(r, 1)] for r, sent in order.items())


async def test_sigterm_stops_claiming_finishes_the_sends_under_way_and_exits_0(
    pg: str, tmp_path: Path
) -> None:
    async with cluster(pg, tmp_path, delivery_concurrency=str(CONCURRENCY)) as running:
        running.slack.hang_next("chat.postMessage", 0.2, count=10_000)  # Slack is slow
        [first] = await running.start()
        texts = await enqueue(pg, recipients(200))

        async def mid_send() -> bool:
            return len(received(running.slack)) >= 40 and running.slack.hanging > 0

        await wait_for(mid_send, within=60)
        first.terminate()
        before = len(received(running.slack))
        assert await first.exited(within=30) == 0
        after = await statuses(pg)
        got = received(running.slack)
        assert after["in_flight"] == 0, "every claim recorded or given back"
        assert after["pending"] > 0, "it stopped claiming: the rest waits"
        assert len(got) > before, "the sends under way at SIGTERM finished"
        rows = await deliveries(pg)
        recorded = {d.action["text"] for d in rows if d.status == "sent"}
        assert set(got) == recorded, "every send that reached Slack is recorded as sent"
        waiting = [d.attempts for d in rows if d.status == "pending"]
        assert waiting == [0] * len(waiting), "claims not started went back, no attempt spent"
        assert "Traceback" not in first.log() and "did not stop in time" not in first.log()

        await running.start()

        async def all_sent() -> bool:
            return len(received(running.slack)) >= len(texts) and await settled(pg)

        await wait_for(all_sent, within=60, interval=0.25)
        got = received(running.slack)
        assert sorted(got) == sorted(texts) and max(got.values()) == 1, "the rest, once each"


# -- schedules and timers, whoever ticks -------------------------------------------------------

ALL_WEEK = [0, 1, 2, 3, 4, 5, 6]


async def add_community(
    store: Store, channel: str, now: datetime, playbooks: Sequence[str] = ()
) -> int:
    """A Slack community working every day, all day, in UTC (rituals talk at once)."""
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(SLACK, now, "Acme")
        assert workspace.id is not None
        community = await tx.directory.add_community(
            Community(
                workspace_id=workspace.id,
                channel_id=channel,
                name=f"Data {channel}",
                objective="share what works",
                charter="be kind",
                facilitators=["U0009"],
                timezone="UTC",
                working_hours="00:00-24:00",
                working_days=ALL_WEEK,
                created_at=now,
            )
        )
        assert community.id is not None
        for name in playbooks:
            await tx.directory.set_playbook(community.id, name, True, now)
    return community.id


def in_channel(slack: FakeSlackApi, channel: str, users: Sequence[str]) -> None:
    """Slack knows the channel and its people: a ritual for each member reads its roster
    (``conversations.members``, people only) there."""
    slack.add_channel(TEAM, channel, channel.lower(), "U0009", members=users)
    for user in users:
        slack.add_user(TEAM, user, f"member.{user.lower()}", tz="UTC")


async def join(harness: Harness, channel: str, users: Sequence[str]) -> None:
    for user in users:
        await harness.dispatcher.handle(
            ev.MemberJoined(
                workspace=SLACK,
                key=key(),
                occurred_at=harness.clock(),
                channel=channel,
                member=ev.MemberProfile(user, f"Member {user}", "en", "UTC"),
            )
        )


def questions(slack: FakeSlackApi, marker: str) -> dict[str, int]:
    """Per recipient, how many messages containing ``marker`` Slack accepted."""
    counts: dict[str, int] = {}
    for call in slack.calls_to("chat.postMessage"):
        if call.ok and marker in str(call.args.get("text")):
            recipient = str(call.args.get("channel"))  # a DM is posted to the member's id
            counts[recipient] = counts.get(recipient, 0) + 1
    return counts


COMMUNITIES = 20


async def test_two_processes_fire_each_scheduled_occurrence_once(pg: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    harness = Harness.create(pg, ManualClock(now))
    communities, everyone = [], []
    try:
        for index in range(COMMUNITIES):
            channel, users = f"C{index:04d}", recipients(3, first=100 * (index + 1))
            communities.append(await add_community(harness.store, channel, now))
            await join(harness, channel, users)
            everyone += users
        async with cluster(pg, tmp_path) as running:
            for index in range(COMMUNITIES):
                users = recipients(3, first=100 * (index + 1))
                in_channel(running.slack, f"C{index:04d}", users)
            await running.start(2)
            # the check-in, for each member, fired two minutes ago: both processes see it due
            fired = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
            cron = f"{fired.minute} {fired.hour} * * *"
            async with harness.store.transaction() as tx:
                for community in communities:
                    hour_ago = now - timedelta(hours=1)
                    await tx.directory.set_playbook(community, "checkin", True, hour_ago)
                    await tx.directory.set_playbook_settings(
                        community, "checkin", {"schedule": cron}, now
                    )

            async def everyone_asked() -> bool:
                asked = questions(running.slack, "objective this week")
                return len(asked) == len(everyone) and await settled(pg)

            await wait_for(everyone_asked, within=60, interval=0.25)
            asked = questions(running.slack, "objective this week")
            assert asked == {user: 1 for user in everyone}, "each member asked once"
        async with harness.store.transaction() as tx:
            occurrences = (await tx.session.execute(select(ScheduleOccurrence))).scalars().all()
            launches = (await tx.session.execute(select(RitualLaunch))).scalars().all()
            runs = (await tx.session.execute(select(Run))).scalars().all()
        assert (
            sorted((o.playbook, o.fire_at, o.outcome) for o in occurrences)
            == [("checkin", fired, "started")] * COMMUNITIES
        ), "one occurrence per community"
        assert [(la.status, la.asked_now) for la in launches] == [("done", 3)] * COMMUNITIES
        assert sorted(r.subject for r in runs if r.playbook == "checkin") == sorted(everyone)
    finally:
        await harness.store.close()


async def test_two_processes_move_each_due_run_once(pg: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    # members who joined a day and a half ago and never accepted the charter: its reminder
    # (a day after it was asked) is due
    harness = Harness.create(pg, ManualClock(now - timedelta(hours=36)))
    users = recipients(20)
    try:
        await add_community(harness.store, "C0001", harness.clock(), ["welcome"])
        async with cluster(pg, tmp_path) as running:
            await running.start(2)
            await join(harness, "C0001", users)  # each run is due as soon as it is committed

            async def everyone_reminded() -> bool:
                reminded = questions(running.slack, "A quick reminder")
                return len(reminded) == len(users) and await settled(pg)

            await wait_for(everyone_reminded, within=60, interval=0.25)
            reminded = questions(running.slack, "A quick reminder")
            assert reminded == {user: 1 for user in users}, "one reminder each"
        runs = [r for r in await harness.runs() if r.playbook == "welcome"]
        assert len(runs) == len(users)
        # moved on once: reminded, now waiting for the answer until the question's timeout
        timeout = harness.clock() + timedelta(days=7)
        assert {(r.status, r.step, r.wake_at) for r in runs} == {
            ("waiting_answer", "charter", timeout)
        }
    finally:
        await harness.store.close()


async def add_members(store: Store, community: int, channel: str, users: Sequence[str]) -> None:
    """Members seen joining the community (its roster on Slack), in one commit."""
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(SLACK, now, "Acme")
        assert workspace.id is not None
        for user in users:
            profile = ev.MemberProfile(user, f"Member {user}", "en", "UTC")
            await tx.directory.upsert_member(workspace.id, profile, now)
            await tx.activity.record(
                ActivityRecord(
                    workspace_id=workspace.id,
                    community_id=community,
                    user_id=user,
                    kind="member_joined",
                    channel=channel,
                    occurred_at=now,
                )
            )


async def the_launch(store: Store) -> RitualLaunch:
    async with store.transaction() as tx:
        [launch] = await tx.runs.launches()
    return launch


async def test_sigterm_mid_launch_stops_after_its_chunk_and_a_restart_continues_at_once(
    pg: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    store = Store(make_engine(pg))
    users = recipients(600)
    try:
        community = await add_community(store, "C0001", now, ["checkin"])
        await add_members(store, community, "C0001", users)
        async with cluster(pg, tmp_path) as running:
            in_channel(running.slack, "C0001", users)
            [first] = await running.start()
            async with store.transaction() as tx:  # what `checkin now` records
                await tx.runs.request_launch(community, "checkin", now)

            async def launching() -> bool:
                return (await the_launch(store)).cursor != ""  # a chunk of members committed

            await wait_for(launching, within=60)
            first.terminate()
            assert await first.exited(within=30) == 0
            cut = await the_launch(store)
            assert (cut.status, cut.claimed_by) == ("pending", None), "stopped, given back"
            assert "" < cut.cursor < users[-1], "stopped after the chunk under way"
            async with store.transaction() as tx:
                started = (await tx.session.execute(select(Run.subject))).scalars().all()
            assert sorted(started) == [u for u in users if u <= cut.cursor], "as recorded"

            await running.start()  # continues at once: no lease to wait for

            async def everyone_asked() -> bool:
                asked = questions(running.slack, "objective this week")
                return len(asked) == len(users) and await settled(pg)

            await wait_for(everyone_asked, within=60, interval=0.25)
            asked = questions(running.slack, "objective this week")
            assert asked == {user: 1 for user in users}, "each member asked once"
            done = await the_launch(store)
            assert (done.status, done.asked_now) == ("done", len(users))
    finally:
        await store.close()


# -- 429s, permanent failures, and what `deliveries status` shows -----------------------------


async def test_a_429_storm_then_recovery_delivers_in_order_and_failures_show_in_status(
    pg: str, tmp_path: Path
) -> None:
    async with cluster(pg, tmp_path) as running:
        [bot] = await running.start()
        running.slack.rate_limit_next("chat.postMessage", retry_after=1, count=40)
        running.slack.fail_next("chat.postMessage", "user_not_found", count=5)  # then these
        users = recipients(20)
        texts = await enqueue(pg, users, per_recipient=3)

        async def done() -> bool:
            return await settled(pg)

        # after the storm the workspace's posts go at the pace Slack took (at least one a
        # second): the 55 messages take about a minute
        await wait_for(done, within=180, interval=0.25)
        calls = running.slack.calls_to("chat.postMessage")
        assert sum(call.status == 429 for call in calls) == 40, "the storm hit"
        failed = {str(c.args["text"]) for c in calls if c.error == "user_not_found"}
        assert len(failed) == 5
        got = received(running.slack)
        assert sorted(got) == sorted(set(texts) - failed) and max(got.values()) == 1
        order = in_order(running.slack, texts)
        for user in users:
            # what reached Slack of theirs, in the order it was queued (a refused recipient may
            # have nothing more sent: user_not_found)
            expected = [text_of(user, n) for n in range(3) if text_of(user, n) in got]
            assert order.get(user, []) == expected, f"{user}'s messages out of order"

        status = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "deliveries",
            "status",
            env={"PYTHONPATH": str(ROOT), "ANIMATEUR_DATABASE_URL": pg, "PATH": ""},
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(status.communicate(), 60)
        assert status.returncode == 0, err.decode()
        lines = out.decode().splitlines()
        [row] = [line for line in lines if line.startswith("slack:T0001 (Acme)  welcome ")]
        assert row.split()[-7:] == ["0", "0", "55", "0", "5", "0", "0"]
        letters = [line for line in lines if line.startswith("#")]
        assert all(" failed " in line for line in letters)
        assert all(line.endswith("1 attempt: user_not_found") for line in letters), "why"
        to = sorted(line.split(" to ")[1].split()[0] for line in letters)
        assert to == sorted(text.split("/")[0] for text in failed), "whom: the 5 failures"
        assert all(text not in out.decode() for text in texts), "never what a message says"
        assert bot.process.returncode is None
