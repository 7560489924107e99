"""The bundled monthly sponsor prompt on the virtual clock: on the first Tuesday of each month
each sponsor (and nobody else) gets one DM with acts drawn from the community's own activity —
the latest open question (a link), a top contributor of the month to thank (never one who
opted out), the community's objective — and the gentle line when no sponsor was heard from in
30 days, not when one was."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from bot.runtime.message_links import MessageLinkBook
from bot.runtime.simulation import CHANNEL, SimMember, Simulation
from bot.vocabulary import actions as act
from playbooks.loader import load_library
from storage.tables import Community, Member
from tests.test_conversation_rituals import ADA, BEA, CY, DAN, PARIS, post, react
from tests.test_nudge import Links

SPONSOR = load_library()["sponsor"]
SPO = SimMember("U-spo", "Sam", "Europe/Paris")
QUIET = "A gentle word: no sponsor has posted, replied or reacted"


def at(month: int, day: int, hour: int = 11) -> datetime:
    year = 2026 if month == 12 else 2027
    return datetime(year, month, day, hour, 0, tzinfo=PARIS)


def prompts(sim: Simulation) -> list[act.SendDirectMessage]:
    return [
        s.action
        for s in sim.recorder.sent
        if isinstance(s.action, act.SendDirectMessage) and "As a sponsor of" in s.action.text
    ]


async def with_sponsor(sim: Simulation) -> None:
    async with sim.store.transaction() as tx:
        await tx.session.execute(
            update(Community).where(Community.id == sim.community_id).values(sponsors=[SPO.user_id])  # type: ignore[arg-type]
        )


async def test_each_sponsor_gets_monthly_acts_from_the_community_s_own_activity(
    database_url: str,
) -> None:
    start = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)
    async with Simulation({"sponsor": SPONSOR}, start, database_url=database_url) as sim:
        sim.dispatcher.message_links = MessageLinkBook({"local": Links()})
        await with_sponsor(sim)
        for member in (ADA, BEA, CY, DAN, SPO):
            await sim.join(member)
        await sim.run_until(at(12, 1, 10))
        [first] = prompts(sim)
        assert first.user_id == SPO.user_id
        assert QUIET not in first.text, "a community declared yesterday: no silence to speak of"
        assert first.text == (
            "Hello Sam! As a sponsor of *Community*, what you do there shows the way. This "
            "month, small acts that would count:\n"
            "• Share this month's priority with the channel: share what works"
        ), "nothing happened yet: the one act that needs nothing"

        # December: Ada contributes most, Cy opted out of the sponsor's thanks, Bea asks
        await _opted_out(sim, CY)
        for number in range(4):
            await sim.run_until(at(12, 3 + number))
            await post(sim, CY, f"cy-{number}")
            await post(sim, CY, f"cy-{number}b")
        for number in range(3):
            await sim.run_until(at(12, 8 + number))
            await post(sim, ADA, f"ada-{number}")
        await post(sim, DAN, "dan-0")
        await sim.run_until(at(12, 28))
        await post(sim, BEA, "q-old", question=True)
        await post(sim, DAN, "q-old-r", "q-old")  # answered: not open
        await post(sim, BEA, "q-open", question=True)

        await sim.run_until(at(1, 5, 10))
        january = prompts(sim)[1:]
        assert [p.user_id for p in january] == [SPO.user_id], "the sponsor, once a month"
        assert january[0].text == (
            "Hello Sam! As a sponsor of *Community*, what you do there shows the way. This "
            "month, small acts that would count:\n"
            "• Answer an open question: [the question asked on 28 December]"
            f"(https://chat.example/{CHANNEL}/q-open) is still waiting for an answer.\n"
            f"• Thank <@{ADA.user_id}|Ada> in the channel — one of this month's most active "
            "contributors.\n"
            "• Share this month's priority with the channel: share what works\n"
            "\n"
            f"{QUIET} in *Community* for 30 days. Members notice when their sponsors are "
            "there — a single reaction is a start."
        )
        assert "Cy" not in january[0].text, "opted out: never named"

        await sim.run_until(at(1, 12))
        await react(sim, SPO, "q-open", BEA.user_id)
        await sim.run_until(at(2, 2, 10))
        february = prompts(sim)[2:]
        assert len(february) == 1
        assert QUIET not in february[0].text, "a sponsor reacted in January"
        assert sum(QUIET in p.text for p in prompts(sim)) == 1, "the gentle line fired once"
        assert len(prompts(sim)) == 3, "once a month, nothing in between"


async def _opted_out(sim: Simulation, member: SimMember) -> None:
    async with sim.store.transaction() as tx:
        await tx.session.execute(
            update(Member).where(Member.user_id == member.user_id).values(opted_out=["sponsor"])  # type: ignore[arg-type]
        )
