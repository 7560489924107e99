"""A check-in fired for 2,000 members while events keep arriving: no event waits for the fire.

The bot serves the local platform over HTTP (worker and scheduler on). Its community gets 2,000
members, all in working time, then a facilitator says ``checkin now``: the launch starts every
member's run in chunks (LAUNCH_CHUNK, or LAUNCH_CHUNK_ONE_WRITER on SQLite), each its own short
transaction, while the delivery worker sends the check-in's DMs. Meanwhile messages are posted in
the community, one after the other.

The bound is stated in the fire's own progress, not in seconds (a loaded machine slows the fire
and the events alike): between just before an event is posted and just after it is answered, at
most EVENT_WAITS_FOR chunks of the fire commit — an event waits for the chunk under way (and the
reads around it for theirs), never for the fire. And events are answered while the fire is under
way, not only before or after it.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, insert, select

from bot.app import BOT, build
from bot.runtime.launch_runner import LAUNCH_CHUNK, LAUNCH_CHUNK_ONE_WRITER
from bot.settings import Settings
from bot.vocabulary.events import WorkspaceRef
from storage.tables import CommunityMember, Member, RitualLaunch, Run
from tests.conftest import LiveServer, serving, wait_for
from tests.test_metrics import sample, scrape

MEMBERS = 2000
#: Chunks of the fire that may commit while one event is posted and answered (and its two
#: progress reads): the chunk under way when each of the three starts, and one more.
EVENT_WAITS_FOR = 4
WORKSPACE = WorkspaceRef("local", "demo")


async def add_members(server: LiveServer, count: int) -> None:
    """``count`` members in the demo community (as if each had joined), all in working time."""
    async with server.bot.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, "C-data")
        assert community is not None and community.id is not None
        community.working_hours, community.working_days = "00:00-24:00", list(range(7))
        users = [f"U-m{i:05d}" for i in range(count)]
        await tx.session.execute(
            insert(Member.__table__),  # type: ignore[attr-defined]
            [
                {
                    "workspace_id": workspace.id,
                    "user_id": user,
                    "display_name": f"Member {user}",
                    "locale": "fr-FR",
                    "timezone": "Europe/Paris",
                    "opted_out_all": False,
                    "opted_out": [],
                    "unreachable": False,
                    "updated_at": server.bot.clock(),
                }
                for user in users
            ],
        )
        await tx.session.execute(
            insert(CommunityMember.__table__),  # type: ignore[attr-defined]
            [
                {
                    "workspace_id": workspace.id,
                    "community_id": community.id,
                    "user_id": user,
                    "present": True,
                    "last_seen_at": server.bot.clock(),
                }
                for user in users
            ],
        )


async def fire_progress(server: LiveServer) -> tuple[str, int] | None:
    """The check-in launch's status and how many members it has started so far."""
    async with server.bot.store.transaction() as tx:
        launch = (
            (
                await tx.session.execute(select(RitualLaunch).order_by(RitualLaunch.id.desc()))  # type: ignore[union-attr]
            )
            .scalars()
            .first()
        )
    if launch is None:
        return None
    return launch.status, launch.asked_now + launch.asked_later


@pytest.mark.timeout(300)
async def test_events_are_answered_while_a_checkin_fires_for_2000_members(
    database_url: str,
) -> None:
    settings = Settings(
        database_url=database_url, playground=True, demo=True, tick_seconds=0.2, _env_file=None
    )
    async with serving(build(settings)) as (url, app), ClientSession() as http:
        server = LiveServer(url, app[BOT], http)
        await add_members(server, MEMBERS)
        before = await scrape(server)

        status, body = await server.post_event(
            type="command", channel="C-data", user="U-dan", command="checkin", args="now"
        )
        assert (status, body["status"]) == (202, "processed")

        waits: list[tuple[int, int]] = []  # the fire's progress before and after each event
        while True:
            progress = await fire_progress(server)
            assert progress is not None, "checkin now records the launch"
            if progress[0] != "pending":
                break
            status, body = await server.post_event(
                type="message_posted", channel="C-data", user="U-m00000", id=f"m{len(waits)}"
            )
            assert (status, body["status"]) == (202, "processed")
            after = await fire_progress(server)
            assert after is not None
            waits.append((progress[1], after[1]))

        status_, asked = progress
        async with server.bot.store.transaction() as tx:
            # the facilitator who asked ran a command there, never joined: no member of it
            present = len(await tx.activity.member_ids_in(1))
            runs = await tx.session.scalar(
                select(func.count()).select_from(Run).where(Run.playbook == "checkin")
            )
        assert present == MEMBERS
        assert (status_, asked, runs) == ("done", present, present), "every member was asked"

        during = [(b, a) for b, a in waits if b > 0 and a < present]
        assert len(during) >= 3, f"events answered while the fire was under way: {waits}"
        longest = max(a - b for b, a in waits)
        one_writer = database_url.startswith("sqlite")  # every event waits for SQLite's chunk
        chunk = LAUNCH_CHUNK_ONE_WRITER if one_writer else LAUNCH_CHUNK
        assert server.bot.scheduler.chunk_size == chunk
        assert longest <= EVENT_WAITS_FOR * chunk, (
            f"an event waited while {longest} of {present} members were started"
        )

        async def sent() -> float:
            found = sample(
                await scrape(server), "animateur_deliveries_total", platform="local", outcome="sent"
            )
            return found if found is not None and found >= MEMBERS else 0

        assert await wait_for(sent, within=120), "the check-in's DMs went out, counted"
        exposition = await scrape(server)
        events = "animateur_events_received_total"
        labels: dict[str, Any] = {"platform": "local", "result": "processed"}
        posted = sample(exposition, events, type="message_posted", **labels)
        assert sample(before, events, type="message_posted", **labels) is None
        assert posted == len(waits), "every message counted in"
        assert sample(exposition, events, type="command_invoked", **labels) == 1
