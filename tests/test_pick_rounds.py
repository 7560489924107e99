"""A ``pick`` in a ritual for each member draws once per round (a fire), not once per member:
every member of the round gets the same item, and the list lasts as many rounds as it has
items."""

from __future__ import annotations

from datetime import timedelta

from bot.runtime.simulation import SimMember, Simulation
from bot.vocabulary import actions as act
from tests.test_conversation_rituals import ADA, BEA, CY, DAN, MONDAY, RITUALS

EVE = SimMember("U-eve", "Eve", "America/New_York")


def tips_by_member(sim: Simulation) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for sent in sim.recorder.sent:
        if isinstance(sent.action, act.SendDirectMessage) and "tip" in sent.text:
            found.setdefault(sent.recipient, []).append(sent.text.split(": ", 1)[1])
    return found


async def test_every_member_gets_the_rounds_one_pick_and_the_list_lasts(
    database_url: str,
) -> None:
    async with Simulation({"tips": RITUALS["tips"]}, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA, CY, DAN, EVE):  # more members than tips; two timezones
            await sim.join(member)
        await sim.run_until(MONDAY + timedelta(days=9, hours=12))  # two Tuesdays, everywhere
        weeks = ["name your branches", "write the test first"]
        assert tips_by_member(sim) == {m.user_id: weeks for m in (ADA, BEA, CY, DAN, EVE)}
        async with sim.store.transaction() as tx:
            data = await tx.seasons.data(sim.community_id, "tips", "2026-Q4")
        assert data["picked"] == {"tips": [0, 1]}, "one pick per round"
