"""Rituals in the conversation when things do not come in the expected order: a reply that
comes before the run waits on its thread, a post never delivered when its thread is counted, a
ritual failing while a message is recorded, a member asking many questions at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime.simulation import CHANNEL, FACILITATOR, Simulation
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from bot.vocabulary.ports import SendOutcome
from playbooks.engine import Engine
from storage.tables import ActivityRecord, Run
from tests.test_challenge import CHALLENGE
from tests.test_conversation_rituals import (
    ADA,
    BEA,
    MONDAY,
    RITUALS,
    _base,
    in_threads,
    latest_run,
    post,
    posts,
)

TUESDAY_NOON = MONDAY + timedelta(days=1, hours=4)


def asked(sim: Simulation, message_id: str) -> ev.MessagePosted:
    return ev.MessagePosted(
        **_base(sim),  # type: ignore[arg-type]
        channel=CHANNEL,
        member=ADA.profile,
        message_id=message_id,
        is_question=True,
    )


async def runs_of(sim: Simulation, playbook: str) -> list[Run]:
    async with sim.store.transaction() as tx:
        query = select(Run).where(Run.playbook == playbook).order_by(Run.created_at, Run.id)  # type: ignore[arg-type]
        return list((await tx.session.execute(query)).scalars().all())


async def recorded(sim: Simulation, message_id: str) -> list[ActivityRecord]:
    async with sim.store.transaction() as tx:
        query = select(ActivityRecord).where(ActivityRecord.message_id == message_id)
        return list((await tx.session.execute(query)).scalars().all())


async def test_a_reply_before_the_run_waits_on_its_thread_still_moves_it(
    database_url: str,
) -> None:
    """The post is delivered and its id fed back to the run; a reply comes in its thread
    before the scheduler's next pass moves the run to its ``wait_reply``: it counts."""
    async with Simulation(
        {"relayed": RITUALS["relayed"]}, TUESDAY_NOON, database_url=database_url
    ) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        await sim.dispatcher.handle(asked(sim, "q1"))  # no scheduler pass yet
        while await sim.worker.drain():
            pass
        run = await latest_run(sim, "relayed")
        call = run.variables["call"]
        assert (run.step, run.waiting_thread) == ("answered", None), "not waiting on it yet"

        await post(sim, BEA, "r1", call)  # then the scheduler's pass

        assert [(r.thread, r.text) for r in in_threads(sim)] == [(call, "Thanks Bea!")]
        assert (await latest_run(sim, "relayed")).status == "done"


async def test_a_reply_from_the_asker_before_the_wait_does_not_count(database_url: str) -> None:
    async with Simulation(
        {"relayed": RITUALS["relayed"]}, TUESDAY_NOON, database_url=database_url
    ) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        await sim.dispatcher.handle(asked(sim, "q1"))
        while await sim.worker.drain():
            pass
        call = (await latest_run(sim, "relayed")).variables["call"]
        await post(sim, ADA, "r0", call)  # the asker's own detail: no answer
        run = await latest_run(sim, "relayed")
        assert (run.status, run.waiting_thread) == ("waiting_answer", call)
        await post(sim, BEA, "r1", call)
        assert [r.text for r in in_threads(sim)] == ["Thanks Bea!"]


async def test_a_challenge_whose_prompt_was_never_delivered_is_not_a_week_nobody_answered(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Simulation(CHALLENGE, MONDAY, database_url=database_url) as sim:
        await sim.join(ADA)
        sent = sim.recorder.send

        async def channel_gone(workspace: ev.WorkspaceRef, action: act.Action) -> SendOutcome:
            if isinstance(action, act.PostToCommunity):
                return SendOutcome("permanent", error="channel_not_found")
            return await sent(workspace, action)

        monkeypatch.setattr(sim.recorder, "send", channel_gone)
        await sim.run_until(MONDAY + timedelta(days=3, hours=12))  # Thursday 20:00

        told = [s for s in sim.recorder.sent if s.recipient == FACILITATOR]
        assert [s.text for s in told] == [
            "Knowledge-sharing challenge in Community: its post in the channel could not be "
            "delivered, so its thread could not be counted. This round is not counted (it is "
            "not a round nobody answered) and nothing more was posted. Check that the bot can "
            "still post in the channel; the next round starts as planned."
        ]
        assert posts(sim) == [] and in_threads(sim) == []
        run = await latest_run(sim, "challenge")
        assert (run.status, run.error) == ("done", None)
        assert not any(k.startswith("_collected.") for k in run.variables)
        async with sim.store.transaction() as tx:
            season = await tx.seasons.data(sim.community_id, "challenge", "2026-Q4")
        assert season.get("people", {}) == {}


async def test_a_ritual_failing_on_a_question_keeps_the_question_recorded(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Simulation(
        {"asked": RITUALS["asked"]}, TUESDAY_NOON, database_url=database_url
    ) as sim:
        await sim.join(ADA)

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a step that raises")

        with monkeypatch.context() as patched:
            patched.setattr(Engine, "start", broken)
            assert await sim.dispatcher.handle(asked(sim, "q1")) == "processed"
        [record] = await recorded(sim, "q1")
        assert (record.user_id, record.is_question) == (ADA.user_id, True)
        assert await runs_of(sim, "asked") == []

        await sim.dispatcher.handle(asked(sim, "q2"))  # the ritual works again
        [run] = await runs_of(sim, "asked")
        assert run.waiting_thread == "q2"


async def test_a_run_failing_on_a_reply_keeps_the_reply_recorded(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Simulation(
        {"asked": RITUALS["asked"]}, TUESDAY_NOON, database_url=database_url
    ) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        await sim.dispatcher.handle(asked(sim, "q1"))

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a step that raises")

        reply = ev.MessagePosted(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=BEA.profile,
            thread="q1",
            message_id="a1",
        )
        with monkeypatch.context() as patched:
            patched.setattr(Engine, "on_event", broken)
            assert await sim.dispatcher.handle(reply) == "processed"
        [record] = await recorded(sim, "a1")
        assert (record.user_id, record.thread_id) == (BEA.user_id, "q1")
        run = await latest_run(sim, "asked")
        assert (run.status, run.waiting_thread) == ("waiting_answer", "q1")


async def test_each_question_gets_its_run_up_to_three_at_once(database_url: str) -> None:
    async with Simulation(
        {"asked": RITUALS["asked"]}, TUESDAY_NOON, database_url=database_url
    ) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        for question in ("q1", "q2", "q3", "q4", "q5"):
            await sim.dispatch(asked(sim, question))
        going = await runs_of(sim, "asked")
        assert sorted(r.variables["question"] for r in going) == ["q1", "q2", "q3"]
        assert {r.subject for r in going} == {ADA.user_id}

        await post(sim, BEA, "a2", "q2")
        assert [(r.thread, r.text) for r in in_threads(sim)] == [
            ("q2", "Thanks Bea (U-bea) for answering!")
        ]
        await sim.dispatch(asked(sim, "q6"))  # one ended: room for the next question
        runs = {r.variables["question"]: r.status for r in await runs_of(sim, "asked")}
        assert runs == {
            "q1": "waiting_answer",
            "q2": "done",
            "q3": "waiting_answer",
            "q6": "waiting_answer",
        }
