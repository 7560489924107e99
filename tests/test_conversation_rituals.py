"""Rituals that take part in the conversation, on the virtual clock against a real database: a
prompt posted and remembered, a nudge and a recap in its thread counting the replies and the
reactions people gave them, a season that accumulates and prompts that do not repeat; a
question that waits for someone else's reply, or times out."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.runtime.remembered_posts import remember_post
from bot.runtime.simulation import CHANNEL, FACILITATOR, WORKSPACE, SimMember, Simulation
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from playbooks.conversation import standings
from playbooks.loader import load_library
from storage.tables import Delivery, Run

RITUALS = load_library(Path(__file__).parent / "fixtures" / "rituals")
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)
ADA, BEA, CY, DAN = (
    SimMember("U-ada", "Ada", "Europe/Paris"),
    SimMember("U-bea", "Bea", "Europe/Paris"),
    SimMember("U-cy", "Cy", "Europe/Paris"),
    SimMember("U-dan", "Dan", "Europe/Paris"),
)
_keys = itertools.count()


def _base(sim: Simulation) -> dict[str, object]:
    return {"workspace": WORKSPACE, "key": f"c-{next(_keys)}", "occurred_at": sim.clock()}


async def post(
    sim: Simulation,
    who: SimMember,
    message_id: str,
    thread: str | None = None,
    *,
    question: bool = False,
) -> None:
    await sim.dispatch(
        ev.MessagePosted(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=who.profile,
            thread=thread,
            message_id=message_id,
            is_question=question,
        )
    )


async def react(sim: Simulation, who: SimMember, message_id: str, author: str) -> None:
    await sim.dispatch(
        ev.ReactionAdded(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=who.profile,
            reaction="tada",
            message_id=message_id,
            target_author=author,
        )
    )


async def unreact(sim: Simulation, who: SimMember, message_id: str, author: str) -> None:
    await sim.dispatch(
        ev.ReactionRemoved(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=who.profile,
            reaction="tada",
            message_id=message_id,
            target_author=author,
        )
    )


async def delete(sim: Simulation, who: SimMember, message_id: str) -> None:
    await sim.dispatch(
        ev.MessageDeleted(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            message_id=message_id,
            member=who.profile,
        )
    )


async def latest_run(sim: Simulation, playbook: str) -> Run:
    async with sim.store.transaction() as tx:
        query = select(Run).where(Run.playbook == playbook).order_by(Run.created_at.desc())  # type: ignore[attr-defined]
        return (await tx.session.execute(query)).scalars().first()  # type: ignore[return-value]


def in_threads(sim: Simulation) -> list[act.ReplyInThread]:
    return [s.action for s in sim.recorder.sent if isinstance(s.action, act.ReplyInThread)]


def posts(sim: Simulation) -> list[act.PostToCommunity]:
    return [s.action for s in sim.recorder.sent if isinstance(s.action, act.PostToCommunity)]


async def week(sim: Simulation, tuesday: datetime) -> str:
    """Run to the week's prompt; the thread it was remembered as."""
    await sim.run_until(tuesday.replace(hour=10, minute=5))
    run = await latest_run(sim, "sharing")
    return run.variables["challenge"]


async def test_a_week_of_sharing_is_counted_and_thanked_in_its_thread(database_url: str) -> None:
    sharing = {"sharing": RITUALS["sharing"]}
    async with Simulation(sharing, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA, CY, DAN):
            await sim.join(member)
        thread = await week(sim, MONDAY + timedelta(days=1))
        assert [p.text for p in posts(sim)] == ["This week, share a tip that saved you time"]
        assert [(r.thread, r.text) for r in in_threads(sim)] == [(thread, "Reply here 👇")]

        await sim.run_until(MONDAY + timedelta(days=1, hours=3))
        await post(sim, ADA, "r1", thread)
        await post(sim, ADA, "r2", thread)
        await post(sim, BEA, "r3", thread)
        await post(sim, BEA, "r4", thread)  # deleted below: not counted, nor its reaction
        await post(sim, CY, "r5", thread)
        await post(sim, DAN, "r6", thread)
        await post(sim, CY, "elsewhere")  # not in the thread
        await react(sim, BEA, "r1", ADA.user_id)
        await react(sim, CY, "r1", ADA.user_id)
        await react(sim, DAN, "r6", DAN.user_id)  # one's own reply: not counted
        await react(sim, ADA, "r5", CY.user_id)
        await react(sim, BEA, "r5", CY.user_id)
        await unreact(sim, BEA, "r5", CY.user_id)  # taken back
        await react(sim, ADA, "r4", BEA.user_id)
        await delete(sim, BEA, "r4")
        await sim.run_until(MONDAY + timedelta(days=3, hours=10))  # Thursday 18:00

        recaps = [r for r in in_threads(sim) if r.text.startswith("Thanks")]
        assert len(recaps) == 1, "the recap is posted once"
        assert recaps[0].thread == thread
        assert recaps[0].text == (
            "Thanks Ada (2/2), Cy (1/1), Bea (1/0), Dan (1/0) — 5 replies, 3 reactions, "
            "4 people. Season 2026-Q4: Ada 2/2/1, Cy 1/1/1, Bea 1/0/1, Dan 1/0/1"
        )
        recap_at = next(s.at for s in sim.recorder.sent if s.action is recaps[0])
        assert recap_at.astimezone(PARIS) == datetime(2026, 12, 3, 16, 0, tzinfo=PARIS)

        # the next week: another prompt, and the season goes on
        second = await week(sim, MONDAY + timedelta(days=8))
        assert second != thread
        await post(sim, ADA, "s1", second)
        await react(sim, DAN, "s1", ADA.user_id)
        await sim.run_until(MONDAY + timedelta(days=10, hours=10))
        recaps = [r for r in in_threads(sim) if r.text.startswith("Thanks")]
        assert [r.thread for r in recaps] == [thread, second]
        assert recaps[1].text == (
            "Thanks Ada (1/1) — 1 replies, 1 reactions, 1 people. "
            "Season 2026-Q4: Ada 3/3/2, Cy 1/1/1, Bea 1/0/1, Dan 1/0/1"
        )
        async with sim.store.transaction() as tx:
            data = await tx.seasons.data(sim.community_id, "sharing", "2026-Q4")
        assert [(p["name"], p["replies"], p["rounds"]) for p in standings(data)] == [
            ("Ada", 3, 2),
            ("Cy", 1, 1),
            ("Bea", 1, 1),
            ("Dan", 1, 1),
        ]


async def test_prompts_rotate_without_repeating_within_a_season(database_url: str) -> None:
    sharing = {"sharing": RITUALS["sharing"]}
    async with Simulation(sharing, MONDAY, database_url=database_url) as sim:
        await sim.run_until(MONDAY + timedelta(days=22, hours=4))  # four Tuesdays
        assert [p.text.removeprefix("This week, share ") for p in posts(sim)] == [
            "a tip that saved you time",
            "a mistake that taught you something",
            "a tool you love",
            "a tip that saved you time",  # all used: the list starts over
        ]


async def test_a_question_waits_for_someone_elses_reply(database_url: str) -> None:
    asked = {"asked": RITUALS["asked"]}
    tuesday = MONDAY + timedelta(days=1, hours=2)
    async with Simulation(asked, tuesday, database_url=database_url) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        await post(sim, ADA, "q1", question=True)
        run = await latest_run(sim, "asked")
        assert (run.subject, run.variables["question"], run.status) == (
            ADA.user_id,
            "q1",
            "waiting_answer",
        )
        await post(sim, ADA, "q1-more", "q1")  # the asker adds a detail: still waiting
        assert in_threads(sim) == []
        assert (await latest_run(sim, "asked")).status == "waiting_answer"

        await post(sim, BEA, "q1-answer", "q1")
        assert [(r.thread, r.text) for r in in_threads(sim)] == [
            ("q1", "Thanks Bea (U-bea) for answering!")
        ]
        assert (await latest_run(sim, "asked")).status == "done"


async def test_a_question_nobody_answers_times_out_in_working_hours(database_url: str) -> None:
    asked = {"asked": RITUALS["asked"]}
    tuesday_16h = MONDAY + timedelta(days=1, hours=8)
    async with Simulation(asked, tuesday_16h, database_url=database_url) as sim:
        await sim.join(BEA)
        await post(sim, BEA, "q2", question=True)
        await post(sim, BEA, "q2-bump", "q2")  # only the asker: no answer
        await sim.run_until(tuesday_16h + timedelta(days=1))
        told = [s for s in sim.recorder.sent if s.recipient == FACILITATOR]
        assert [s.text for s in told] == ["A question has waited 4 working hours"]
        assert told[0].at.astimezone(PARIS) == datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)
        assert in_threads(sim) == []


async def test_erasing_someone_takes_them_out_of_seasons_and_tallies(database_url: str) -> None:
    sharing = {"sharing": RITUALS["sharing"]}
    async with Simulation(sharing, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        thread = await week(sim, MONDAY + timedelta(days=1))
        await post(sim, ADA, "r1", thread)
        await post(sim, BEA, "r2", thread)
        await sim.run_until(MONDAY + timedelta(days=3, hours=10))
        async with sim.store.transaction() as tx:
            workspace = await tx.directory.workspace(WORKSPACE)
            assert workspace is not None
            exported = await tx.privacy.export(workspace, ADA.user_id)
            tallies = [
                {k: v for k, v in t.items() if k != "id"} for t in exported["season_tallies"]
            ]
            assert tallies == [
                {
                    "community_id": sim.community_id,
                    "playbook": "sharing",
                    "season": "2026-Q4",
                    "tally": {"name": "Ada", "replies": 1, "reactions": 0, "rounds": 1},
                }
            ]
            await tx.privacy.erase(workspace, ADA.user_id, sim.clock())
        async with sim.store.transaction() as tx:
            data = await tx.seasons.data(sim.community_id, "sharing", "2026-Q4")
        run = await latest_run(sim, "sharing")
        assert [p["user_id"] for p in standings(data)] == [BEA.user_id], "Bea's entry stays"
        assert ADA.user_id not in run.variables["_collected.week"]
        assert BEA.user_id in run.variables["_collected.week"]


async def test_a_posts_id_is_kept_for_its_run_only_while_the_run_goes_on(
    database_url: str,
) -> None:
    sharing = {"sharing": RITUALS["sharing"]}
    async with Simulation(sharing, MONDAY, database_url=database_url) as sim:
        await week(sim, MONDAY + timedelta(days=1))
        run = await latest_run(sim, "sharing")
        post = act.PostToCommunity(channel=CHANNEL, text="again", remember="again")
        delivery = Delivery(
            workspace_id=run.workspace_id,
            run_id=run.id,
            recipient=CHANNEL,
            action=act.action_to_dict(post),
            next_attempt_at=sim.clock(),
            created_at=sim.clock(),
        )
        async with sim.store.transaction() as tx:  # the platform names it with its channel
            await remember_post(tx, delivery, f"{CHANNEL}:1733.0042", sim.clock())
        assert (await latest_run(sim, "sharing")).variables["again"] == "1733.0042"

        async with sim.store.transaction() as tx:
            going = await tx.runs.get(run.id)
            assert going is not None
            await tx.runs.finish(going, sim.clock())
        async with sim.store.transaction() as tx:
            await remember_post(tx, delivery, "1733.0099", sim.clock())
        ended = await latest_run(sim, "sharing")
        assert (ended.status, ended.variables["again"]) == ("done", "1733.0042")
