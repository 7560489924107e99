"""A person's erasure reaches the bot's messages that named them in a community's ritual: a
check-in digest listing what each member shared, a challenge recap thanking each contributor.
Their texts go (only their kind remains); the bot's messages naming nobody erased stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.runtime.privacy import erase_person
from bot.runtime.simulation import WORKSPACE, SimMember, Simulation
from playbooks.loader import load_library
from storage.privacy_messages import ERASED
from storage.tables import Delivery
from tests.test_challenge import CHALLENGE, a_week
from tests.test_conversation_rituals import ADA, BEA, CY, DAN, MONDAY


async def texts(sim: Simulation) -> list[dict[str, Any]]:
    async with sim.store.transaction() as tx:
        rows = (await tx.session.execute(select(Delivery).order_by(Delivery.id))).scalars()
        return [row.action for row in rows]


def saying(actions: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    return [a for a in actions if words in str(a.get("text") or "")]


async def test_erasing_a_contributor_erases_the_challenge_recap_that_thanked_her(
    database_url: str,
) -> None:
    async with Simulation(CHALLENGE, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA, CY, DAN):
            await sim.join(member)
        await a_week(sim)
        [recap] = saying(await texts(sim), "Thank you for sharing")
        assert "• Bea — 1 contribution" in recap["text"]
        [prompt] = saying(await texts(sim), "This week's sharing challenge")

        await erase_person(sim.store, WORKSPACE, BEA.user_id, sim.clock())

        after = await texts(sim)
        assert saying(after, "Thank you for sharing") == []
        assert saying(after, "Bea") == []
        assert {"type": recap["type"], ERASED: True} in after
        assert saying(after, "This week's sharing challenge") == [prompt]  # names nobody


async def test_erasing_a_member_erases_the_check_in_digest_that_named_him(
    database_url: str,
) -> None:
    people = [
        SimMember(f"U-{name.lower()}", name, "Europe/Paris", answer_rate=1.0)
        for name in ("Zorglub", "Yann", "Xena", "Will", "Vera", "Uma")
    ]
    checkin = {"checkin": load_library()["checkin"]}
    async with Simulation(checkin, MONDAY, database_url=database_url) as sim:
        for member in people:
            await sim.join(member)
        await sim.run_until(MONDAY + timedelta(days=8))
        digests = saying(await texts(sim), "• *Zorglub*")
        assert digests, "the digest names Zorglub and what he shared"

        await erase_person(sim.store, WORKSPACE, "U-zorglub", sim.clock())

        after = await texts(sim)
        assert saying(after, "Zorglub") == []
        assert len([a for a in after if a.get(ERASED)]) >= len(digests)
