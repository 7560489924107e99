"""The bundled gentle nudges on the virtual clock: a member silent for 30 days gets one private
DM with the fortnight's busiest thread (a link, never its text), an open question matching
their expert topics and the button that stops it — not again before 60 more days, again after;
never an active member, nor one who opted out or snoozed; never more than the cap a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.runtime.message_links import MessageLinkBook
from bot.runtime.simulation import CHANNEL, SimMember, Simulation
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessagePlace
from playbooks.loader import load_library
from playbooks.schema import MemberFilter, Playbook, ScheduleTrigger
from storage.tables import Member, QuestionMatch
from tests.test_conversation_rituals import ADA, BEA, CY, DAN, MONDAY, post, react

NUDGE = load_library()["nudge"]
EVE = SimMember("U-eve", "Eve", "Europe/Paris")
FAY = SimMember("U-fay", "Fay", "Europe/Paris")


class Links:
    """A platform's links to its messages, each its own address."""

    async def url(self, workspace: WorkspaceRef, place: MessagePlace) -> str:
        return f"https://chat.example/{place.channel}/{place.message_id}"


def day(number: int, hour: int = 10, minute: int = 5) -> datetime:
    """``number`` days after Monday 30 November 2026 (Paris), at that time."""
    return (MONDAY + timedelta(days=number)).replace(hour=hour, minute=minute)


def nudges(sim: Simulation, member: SimMember) -> list[act.SendDirectMessage]:
    return [
        s.action
        for s in sim.recorder.sent
        if isinstance(s.action, act.SendDirectMessage)
        and s.action.user_id == member.user_id
        and "We have not heard from you" in s.action.text
    ]


async def chatter(sim: Simulation, first: int, last: int) -> None:
    """Bea, Cy and Dan talk every week (a post, a reply, a reaction) from day ``first`` to day
    ``last``; Ada never does."""
    for number in range(first, last + 1):
        if number % 7 == 1:
            await sim.run_until(day(number, 9))
            await post(sim, BEA, f"w{number}")
            await post(sim, CY, f"w{number}-r1", f"w{number}")
            await react(sim, DAN, f"w{number}", BEA.user_id)


async def test_a_silent_member_is_nudged_at_day_30_then_not_before_day_90_then_again(
    database_url: str,
) -> None:
    async with Simulation({"nudge": NUDGE}, MONDAY, database_url=database_url) as sim:
        sim.dispatcher.message_links = MessageLinkBook({"local": Links()})
        for member in (ADA, BEA, CY, DAN):
            await sim.join(member)
        await chatter(sim, 0, 22)
        # the fortnight's busiest thread: four replies on Thursday 24 December
        await sim.run_until(day(24, 15))
        await post(sim, CY, "busy")
        for number, who in enumerate((BEA, DAN, BEA, DAN)):
            await post(sim, who, f"busy-r{number}", "busy")
        # a question matching one of Ada's expert topics, still unanswered
        await post(sim, BEA, "q-k8s", question=True)
        async with sim.store.transaction() as tx:
            tx.session.add(
                QuestionMatch(
                    community_id=sim.community_id,
                    message_id="q-k8s",
                    expert=ADA.user_id,
                    topic="kubernetes",
                )
            )
        await chatter(sim, 25, 29)
        await sim.run_until(day(29, 23))
        assert nudges(sim, ADA) == [], "29 days of silence: not yet"

        await sim.run_until(day(30))
        [nudge] = nudges(sim, ADA)
        assert nudge.text == (
            "Hi Ada 👋 We have not heard from you in *Community* for a while — no pressure, "
            "just something that might be worth a look:\n"
            "• The busiest conversation of the last two weeks: [the thread started on 24 "
            f"December](https://chat.example/{CHANNEL}/busy), with 4 replies.\n"
            "• A question about “kubernetes”, one of your topics, is still waiting for an "
            f"answer: [the question asked on 24 December](https://chat.example/{CHANNEL}/q-k8s).\n"
            "Not for you right now? The button below stops these notes."
        )
        assert nudge.stop is not None and nudge.stop.callback.endswith("nudge"), "one click stops"
        assert [s for s in sim.recorder.sent if isinstance(s.action, act.PostToCommunity)] == []
        for active in (BEA, CY, DAN):
            assert nudges(sim, active) == [], f"{active.name} talks every week: never nudged"

        await chatter(sim, 31, 89)
        await sim.run_until(day(89))
        assert len(nudges(sim, ADA)) == 1, "not again within 60 days"
        # day 90 is a Sunday: the next working day's check nudges her again
        await sim.run_until(day(91))
        assert len(nudges(sim, ADA)) == 2
        for active in (BEA, CY, DAN):
            assert nudges(sim, active) == []


async def _set(sim: Simulation, member: SimMember, **values: object) -> None:
    async with sim.store.transaction() as tx:
        await tx.session.execute(
            update(Member).where(Member.user_id == member.user_id).values(**values)  # type: ignore[arg-type]
        )


async def test_members_who_opted_out_or_snoozed_are_never_nudged(database_url: str) -> None:
    async with Simulation({"nudge": NUDGE}, MONDAY, database_url=database_url) as sim:
        for member in (ADA, EVE, FAY):
            await sim.join(member)
        await _set(sim, ADA, opted_out=["nudge"])
        await _set(sim, EVE, snoozed_until=day(200))
        await sim.run_until(day(31))
        assert len(nudges(sim, FAY)) == 1, "a silent member is nudged"
        assert nudges(sim, ADA) == [], "opted out of the nudges"
        assert nudges(sim, EVE) == [], "snoozed"
        assert all(s.action.user_id == FAY.user_id for s in sim.recorder.sent)  # type: ignore[attr-defined]


def capped(at_most: int) -> Playbook:
    trigger = NUDGE.trigger
    assert isinstance(trigger, ScheduleTrigger) and trigger.only is not None
    only = MemberFilter(silent_for="30d", again_after="60d", at_most=at_most)
    return NUDGE.model_copy(update={"trigger": trigger.model_copy(update={"only": only})})


async def test_never_more_members_a_day_than_the_cap_the_others_come_next(
    database_url: str,
) -> None:
    async with Simulation({"nudge": capped(2)}, MONDAY, database_url=database_url) as sim:
        silent = (ADA, BEA, CY, DAN, EVE)
        for member in silent:
            await sim.join(member)
        await sim.run_until(day(30))
        first = [m for m in silent if nudges(sim, m)]
        assert len(first) == 2, "two a day at most"
        await sim.run_until(day(31))
        assert len([m for m in silent if nudges(sim, m)]) == 4
        await sim.run_until(day(32))
        assert all(len(nudges(sim, m)) == 1 for m in silent), "everyone in turn, once"


async def test_a_member_who_speaks_again_starts_a_new_silence(database_url: str) -> None:
    """Silence counts from the last post, reply or reaction — a reaction is enough."""
    async with Simulation({"nudge": NUDGE}, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        await sim.run_until(day(20, 12))
        await react(sim, ADA, "m-bea", BEA.user_id)
        await sim.run_until(day(35))
        assert len(nudges(sim, BEA)) == 1, "silent since joining: nudged"
        assert nudges(sim, ADA) == [], "reacted on day 20: 15 days of silence only"
        await sim.run_until(day(50))
        assert nudges(sim, ADA) == [], "30 days after her reaction come at noon"
        await sim.run_until(day(51))
        assert len(nudges(sim, ADA)) == 1, "30 days after her reaction"
