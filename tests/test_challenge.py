"""The bundled knowledge-sharing challenge on the virtual clock: a prompt posted on Tuesday,
contributions in its thread and reactions to them, a recap thanking each contributor by name at
Thursday's close — once; a week nobody answered told to the facilitators only; prompts that do
not repeat within a season; members who opted out counted but never named."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.runtime.simulation import FACILITATOR, Simulation
from playbooks.loader import load_library
from storage.tables import Member
from tests.test_conversation_rituals import (
    ADA,
    BEA,
    CY,
    DAN,
    MONDAY,
    PARIS,
    in_threads,
    latest_run,
    post,
    posts,
    react,
)

CHALLENGE = {"challenge": load_library()["challenge"]}


async def prompt_thread(sim: Simulation, tuesday: datetime) -> str:
    await sim.run_until(tuesday.replace(hour=10, minute=5))
    run = await latest_run(sim, "challenge")
    return run.variables["challenge"]


async def a_week(sim: Simulation) -> str:
    """5 contributions from 4 members, with reactions; the recap's thread."""
    thread = await prompt_thread(sim, MONDAY + timedelta(days=1))
    await sim.run_until(MONDAY + timedelta(days=1, hours=4))
    await post(sim, ADA, "r1", thread)
    await post(sim, ADA, "r2", thread)
    await post(sim, BEA, "r3", thread)
    await post(sim, CY, "r4", thread)
    await post(sim, DAN, "r5", thread)
    await react(sim, BEA, "r1", ADA.user_id)
    await react(sim, CY, "r1", ADA.user_id)
    await react(sim, DAN, "r2", ADA.user_id)
    await react(sim, ADA, "r4", CY.user_id)
    await react(sim, CY, "r4", CY.user_id)  # one's own: not counted
    await sim.run_until(MONDAY + timedelta(days=3, hours=12))  # Thursday 20:00
    return thread


async def test_a_challenge_week_thanks_each_contributor_once_in_the_thread(
    database_url: str,
) -> None:
    async with Simulation(CHALLENGE, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA, CY, DAN):
            await sim.join(member)
        thread = await a_week(sim)

        [prompt] = posts(sim)
        assert prompt.text.startswith(
            "💡 This week's sharing challenge: Share a tip that saved you time recently.\n"
        )
        recaps = in_threads(sim)
        assert len(recaps) == 1, "the recap is posted exactly once"
        assert recaps[0].thread == thread
        assert recaps[0].text == (
            "🙌 Thank you for sharing!\n"
            "• Ada — 2 contributions, 3 reactions\n"
            "• Cy — 1 contribution, 1 reaction\n"
            "• Bea — 1 contribution, 0 reactions\n"
            "• Dan — 1 contribution, 0 reactions\n"
            "5 contributions and 4 reactions in all. The season's leaderboard: "
            "/animateur leaderboard"
        )
        at = next(s.at for s in sim.recorder.sent if s.action is recaps[0])
        assert at.astimezone(PARIS) == datetime(2026, 12, 3, 16, 0, tzinfo=PARIS)
        assert [s for s in sim.recorder.sent if s.recipient == FACILITATOR] == []


async def test_a_week_nobody_answered_is_told_to_the_facilitators_only(
    database_url: str,
) -> None:
    async with Simulation(CHALLENGE, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA):
            await sim.join(member)
        await prompt_thread(sim, MONDAY + timedelta(days=1))
        await sim.run_until(MONDAY + timedelta(days=3, hours=12))
        told = [s for s in sim.recorder.sent if s.recipient == FACILITATOR]
        assert len(told) == 1
        assert told[0].text.startswith(
            "Nobody answered this week's sharing challenge in Community "
            "(“Share a tip that saved you time recently.”). Nothing was posted about it in public."
        )
        assert told[0].at.astimezone(PARIS) == datetime(2026, 12, 3, 16, 0, tzinfo=PARIS)
        assert in_threads(sim) == [], "no recap in public"
        assert len(posts(sim)) == 1, "only the prompt"

        # the next week someone answers: the recap goes out in public, nobody is DMed
        thread = await prompt_thread(sim, MONDAY + timedelta(days=8))
        await post(sim, BEA, "x1", thread)
        await sim.run_until(MONDAY + timedelta(days=10, hours=12))
        assert [r.text.splitlines()[1] for r in in_threads(sim)] == [
            "• Bea — 1 contribution, 0 reactions"
        ]
        assert len([s for s in sim.recorder.sent if s.recipient == FACILITATOR]) == 1


async def test_prompts_do_not_repeat_within_a_season(database_url: str) -> None:
    october = datetime(2026, 10, 5, 8, 0, tzinfo=PARIS)  # Q4's first Monday
    async with Simulation(CHALLENGE, october, database_url=database_url) as sim:
        await sim.run_until(october + timedelta(weeks=12, days=1, hours=4))  # 13 Tuesdays
        prompts = [p.text.splitlines()[0] for p in posts(sim)]
        assert len(prompts) == 13
        assert len(set(prompts)) == 13, "no prompt twice in the season"
        assert posts(sim)[-1].text.startswith(
            "💡 This week's sharing challenge: Share a good practice from another team"
        )
        # the next season (2027-Q1) starts the list over
        await sim.run_until(october + timedelta(weeks=13, days=1, hours=4))
        assert posts(sim)[-1].text.splitlines()[0] == prompts[0]
