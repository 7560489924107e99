"""The bundled ritual "Questions to experts" (``playbooks/library/experts.yaml``) on the virtual
clock against a real database: a question nobody answers for 4 working hours reaches up to 3
experts whose topics it matched (the facilitators when none did, nobody asked more than 3 times
a day, nobody who opted out), with a link to its thread; an answer asks the asker whether it
solved the question, "solved" counts in the indicators, and an expert who answered is thanked."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.local.links import LocalMessageLinks
from bot.runtime.indicators import compute
from bot.runtime.pulse_report import read_pulse
from bot.runtime.simulation import CHANNEL, FACILITATOR, WORKSPACE, Sent, SimMember, Simulation
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from bot.vocabulary.words import question_words
from playbooks.loader import load_library

EXPERTS = {"experts": load_library()["experts"]}
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)
FRIDAY_17H = datetime(2026, 11, 27, 17, 0, tzinfo=PARIS)
LINK = "https://animateur.example/playground"


def member(name: str) -> SimMember:
    return SimMember(f"U-{name.lower()}", name, "Europe/Paris", answer_rate=0)


ADA, BEA, CY, DAN, EVE, FAY = (member(n) for n in ("Ada", "Bea", "Cy", "Dan", "Eve", "Fay"))
_keys = itertools.count()


def _base(sim: Simulation) -> dict[str, object]:
    return {"workspace": WORKSPACE, "key": f"x-{next(_keys)}", "occurred_at": sim.clock()}


async def community(sim: Simulation, topics: dict[SimMember, list[str]]) -> None:
    """Everyone joins; each declares their topics (as ``expert add`` does)."""
    sim.dispatcher.message_links.register("local", LocalMessageLinks("https://animateur.example"))
    for who in (ADA, BEA, CY, DAN, EVE, FAY):
        await sim.join(who)
    async with sim.store.transaction() as tx:
        for who, declared in topics.items():
            for topic in declared:
                await tx.experts.add_topic(1, who.user_id, topic, sim.clock())


async def ask(sim: Simulation, who: SimMember, message_id: str, text: str) -> None:
    await sim.dispatch(
        ev.MessagePosted(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=who.profile,
            message_id=message_id,
            is_question=True,
            words=question_words(text),
        )
    )


async def reply(sim: Simulation, who: SimMember, message_id: str, thread: str) -> None:
    await sim.dispatch(
        ev.MessagePosted(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=who.profile,
            message_id=message_id,
            thread=thread,
        )
    )


async def command(sim: Simulation, who: SimMember, *args: str) -> None:
    await sim.dispatch(
        ev.CommandInvoked(
            **_base(sim),  # type: ignore[arg-type]
            channel=CHANNEL,
            member=who.profile,
            name=args[0],
            args=args[1:],
        )
    )


def dms(sim: Simulation, *, since: int = 0) -> list[Sent]:
    return [
        s
        for s in sim.recorder.sent[since:]
        if isinstance(s.action, act.SendDirectMessage | act.AskQuestion)
    ]


def asked_experts(sim: Simulation) -> list[str]:
    return [s.recipient for s in dms(sim) if "nobody has answered yet" in s.text]


async def test_a_question_unanswered_for_4_working_hours_reaches_3_matching_experts_once(
    database_url: str,
) -> None:
    async with Simulation(EXPERTS, FRIDAY_17H, database_url=database_url) as sim:
        await community(
            sim,
            {BEA: ["data viz"], CY: ["python", "data viz"], DAN: ["python"], EVE: ["data viz"]},
        )
        await ask(sim, ADA, "q1", "How do I make a data viz in Python?")
        # 1 working hour on Friday, 3 on Monday: nobody is asked over the weekend
        await sim.run_until(datetime(2026, 11, 30, 11, 59, tzinfo=PARIS))
        assert asked_experts(sim) == []
        await sim.run_until(datetime(2026, 12, 2, 18, 0, tzinfo=PARIS))
        asked = [s for s in dms(sim) if "nobody has answered yet" in s.text]
        # most matching topics first (Cy: 2), then by id; Eve is the fourth match: not asked
        assert [s.recipient for s in asked] == [CY.user_id, BEA.user_id, DAN.user_id]
        assert {s.at.astimezone(PARIS) for s in asked} == {
            datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)
        }
        assert asked[0].text.startswith("🙋 Ada asked a question in Community")
        assert LINK in asked[0].text
        async with sim.store.transaction() as tx:
            assert await tx.experts.asked_about(sim.community_id, "q1") == {
                CY.user_id,
                BEA.user_id,
                DAN.user_id,
            }


async def test_an_expert_who_answers_after_being_asked_is_thanked_and_the_asker_asked(
    database_url: str,
) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"]})
        await ask(sim, ADA, "q1", "Which SQL index should I use?")
        await sim.run_until(MONDAY + timedelta(hours=4))
        assert asked_experts(sim) == [BEA.user_id]
        seen = len(sim.recorder.sent)
        await reply(sim, BEA, "a1", "q1")
        after = dms(sim, since=seen)
        assert [(s.recipient, s.text.split("!")[0]) for s in after] == [
            (BEA.user_id, "🙏 Thank you for answering Ada's question in Community"),
            (
                ADA.user_id,
                "💬 Bea answered your question in Community. " + LINK + "\nDid this solve it?",
            ),
        ]
        solved = after[1].action
        assert isinstance(solved, act.AskQuestion)
        assert [c.value for c in solved.choices] == ["solved", "not_yet"]


async def test_solved_counts_in_the_indicators_and_an_early_answer_asks_no_expert(
    database_url: str,
) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"], CY: ["sql"]})
        await ask(sim, ADA, "q1", "Which SQL index should I use?")
        await sim.run_until(MONDAY + timedelta(hours=1))
        await reply(sim, FAY, "a1", "q1")  # answered within the wait, by someone who is no expert
        question = [s for s in dms(sim) if s.recipient == ADA.user_id]
        assert [s.text.splitlines()[0] for s in question] == [
            f"💬 Fay answered your question in Community. {LINK}"
        ]
        await sim.run_until(MONDAY + timedelta(days=2))
        assert asked_experts(sim) == [], "answered before the wait ended: no expert is asked"
        assert not [s for s in dms(sim) if s.text.startswith("🙏")], "Fay declared no topic"

        callback = question[0].callback
        assert callback is not None
        await sim.dispatch(
            ev.ButtonClicked(
                **_base(sim),  # type: ignore[arg-type]
                member=ADA.profile,
                callback=callback,
                value="solved",
            )
        )
        assert dms(sim)[-1].text.startswith("🎉 Great, glad it is solved!")
        async with sim.store.transaction() as tx:
            found = await tx.directory.community(sim.community_id)
            assert found is not None
            asked = await tx.experts.question(sim.community_id, "q1")
            assert asked is not None and asked.solved
            later = sim.clock() + timedelta(minutes=1)
            data = await read_pulse(tx, found, later, 4, set())
        questions = compute(data, 4, links=False).figures["questions_28d"]
        assert questions["solved"] == 1


async def test_a_declared_expert_answering_before_the_wait_is_thanked(database_url: str) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"]})
        await ask(sim, ADA, "q1", "Which SQL index should I use?")
        await reply(sim, BEA, "a1", "q1")
        assert [s.recipient for s in dms(sim) if s.text.startswith("🙏")] == [BEA.user_id]
        await sim.run_until(MONDAY + timedelta(days=2))
        assert asked_experts(sim) == []


async def test_each_expert_is_asked_at_most_3_times_a_day_then_the_facilitators(
    database_url: str,
) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"]})
        for n, asker in enumerate((ADA, CY, DAN, EVE)):
            await ask(sim, asker, f"q{n}", "A question about SQL?")
        await sim.run_until(MONDAY + timedelta(hours=5))
        assert sorted(asked_experts(sim)) == sorted([BEA.user_id] * 3 + [FACILITATOR])
        # the next day Bea may be asked again
        await sim.run_until(MONDAY + timedelta(days=1))
        await ask(sim, FAY, "q9", "Another SQL question?")
        await sim.run_until(MONDAY + timedelta(days=1, hours=5))
        assert asked_experts(sim)[-1] == BEA.user_id


async def test_a_question_no_topic_matches_goes_to_the_facilitators(database_url: str) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"]})
        await ask(sim, ADA, "q1", "Where is the coffee machine?")
        await sim.run_until(MONDAY + timedelta(hours=5))
        assert asked_experts(sim) == [FACILITATOR]


async def test_an_expert_who_opted_out_is_never_asked(database_url: str) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"], CY: ["sql"]})
        await command(sim, BEA, "optout", "experts")
        opted = [s for s in sim.recorder.sent if s.recipient == BEA.user_id]
        assert opted and "Questions to experts" in opted[-1].text
        await ask(sim, ADA, "q1", "Which SQL index should I use?")
        await sim.run_until(MONDAY + timedelta(hours=5))
        assert asked_experts(sim) == [CY.user_id]
        async with sim.store.transaction() as tx:
            assert await tx.experts.asked_about(sim.community_id, "q1") == {CY.user_id}


async def test_each_expert_is_asked_in_their_own_language(database_url: str) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"]})
        zoe = SimMember("U-zoe", "Zoé", "Europe/Paris", locale="fr", answer_rate=0)
        await sim.join(zoe)
        async with sim.store.transaction() as tx:
            await tx.experts.add_topic(1, zoe.user_id, "sql", sim.clock())
        await ask(sim, ADA, "q1", "Which SQL index should I use?")
        await sim.run_until(MONDAY + timedelta(hours=5))
        by = {s.recipient: s.text for s in dms(sim) if s.text.startswith("🙋")}
        assert by[BEA.user_id].startswith("🙋 Ada asked a question in Community")
        assert by[zoe.user_id].startswith("🙋 Ada a posé dans Community une question")


async def test_not_yet_waits_for_the_next_answer_whose_expert_is_thanked(
    database_url: str,
) -> None:
    async with Simulation(EXPERTS, MONDAY, database_url=database_url) as sim:
        await community(sim, {BEA: ["sql"]})
        await ask(sim, ADA, "q1", "Which SQL index should I use?")
        await reply(sim, FAY, "a1", "q1")  # a first answer, by someone who is no expert
        [first] = [s for s in dms(sim) if s.recipient == ADA.user_id]
        assert first.callback is not None
        await sim.dispatch(
            ev.ButtonClicked(
                **_base(sim),  # type: ignore[arg-type]
                member=ADA.profile,
                callback=first.callback,
                value="not_yet",
            )
        )
        assert dms(sim)[-1].text.startswith("Noted — the thread stays open")
        assert not [s for s in dms(sim) if s.text.startswith("🙏")], "Fay declared no topic"

        await sim.run_until(MONDAY + timedelta(hours=2))
        await reply(sim, BEA, "a2", "q1")  # the expert answers later: thanked, Ada asked again
        assert [s.recipient for s in dms(sim) if s.text.startswith("🙏")] == [BEA.user_id]
        again = [s for s in dms(sim) if s.recipient == ADA.user_id and s.text.startswith("💬")]
        assert [s.text.splitlines()[0] for s in again] == [
            f"💬 Fay answered your question in Community. {LINK}",
            f"💬 Bea answered your question in Community. {LINK}",
        ]
