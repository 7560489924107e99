"""The weekly health digest's block on the connection rituals, for facilitators: how many
silent members were nudged this week (withheld under 5, never who) and how many sponsors were
heard from in the community in the last 7 and 30 days — a count, never a name."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.runtime.pulse_watch import PulseWatch
from bot.runtime.simulation import FACILITATOR, SimMember, Simulation
from bot.vocabulary import actions as act
from playbooks.loader import load_library
from storage.tables import Community
from tests.test_conversation_rituals import MONDAY, react

LIBRARY = load_library()
RITUALS = {"nudge": LIBRARY["nudge"], "sponsor": LIBRARY["sponsor"]}
SPO = SimMember("U-spo", "Sam", "Europe/Paris")


def silent(count: int) -> list[SimMember]:
    return [SimMember(f"U-s{i}", f"Silent {i}", "Europe/Paris") for i in range(count)]


async def digest(sim: Simulation, when: datetime) -> list[str]:
    """The weekly health digest the facilitator got at ``when`` (a Monday), as lines."""
    await sim.run_until(when)
    await PulseWatch(sim.store, sim.clock, sim.playbooks).run_due()
    while await sim.worker.drain():
        pass
    [said] = [
        s.action.text
        for s in sim.recorder.sent
        if isinstance(s.action, act.SendDirectMessage)
        and s.action.user_id == FACILITATOR
        and s.action.text.startswith("Weekly pulse")
    ]
    return said.splitlines()


async def community(sim: Simulation, members: list[SimMember]) -> None:
    async with sim.store.transaction() as tx:
        await tx.session.execute(
            update(Community).where(Community.id == sim.community_id).values(sponsors=[SPO.user_id])  # type: ignore[arg-type]
        )
    for member in [*members, SPO]:
        await sim.join(member)
    await sim.run_until(MONDAY + timedelta(days=25, hours=4))
    await react(sim, SPO, "m-1", "U-s0")  # the sponsor, heard from on day 25


async def test_the_digest_counts_the_nudged_and_the_sponsors_heard_from(
    database_url: str,
) -> None:
    async with Simulation(RITUALS, MONDAY, database_url=database_url) as sim:
        await community(sim, silent(6))
        lines = await digest(sim, MONDAY + timedelta(days=35, hours=2, minutes=30))
        block = lines[lines.index("Connection rituals:") :]
        assert block == [
            "Connection rituals:",
            "• Silent members nudged in the last 7 days: 6",
            "• Sponsors who posted, replied or reacted: 0 of 1 in the last 7 days, "
            "1 of 1 in the last 30 days",
        ]
        assert not any("Silent 0" in line or "Sam" in line for line in lines), "nobody named"


async def test_fewer_than_5_nudged_are_withheld(database_url: str) -> None:
    async with Simulation(RITUALS, MONDAY, database_url=database_url) as sim:
        await community(sim, silent(3))
        lines = await digest(sim, MONDAY + timedelta(days=35, hours=2, minutes=30))
        assert "• Silent members nudged in the last 7 days: — (fewer than 5)" in lines
        nudged = [
            s
            for s in sim.recorder.sent
            if isinstance(s.action, act.SendDirectMessage)
            and "We have not heard from you" in s.action.text
        ]
        assert len(nudged) == 3, "three were nudged: the count exists, and is withheld"
