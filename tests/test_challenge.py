"""The bundled knowledge-sharing challenge on the virtual clock: a prompt posted on Tuesday,
contributions in its thread and reactions to them, a recap thanking each contributor by name at
Thursday's close — once; a week nobody answered told to the facilitators only; prompts that do
not repeat within a season; members who opted out counted but never named."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.runtime.simulation import CHANNEL, FACILITATOR, WORKSPACE, SimMember, Simulation
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.tables import Kudos, Member
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
EVE = SimMember("U-eve", "Eve", "Europe/Paris")


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


async def leaderboard(sim: Simulation, who: SimMember = ADA, *args: str) -> str:
    await sim.dispatch(
        ev.CommandInvoked(
            workspace=WORKSPACE,
            key=f"lb-{sim.clock().isoformat()}-{len(sim.recorder.sent)}",
            occurred_at=sim.clock(),
            channel=CHANNEL,
            member=who.profile,
            name="leaderboard",
            args=args,
        )
    )
    return sim.recorder.sent[-1].text


async def kudos(sim: Simulation, giver: SimMember, receiver: SimMember) -> None:
    async with sim.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        await tx.kudos.add(
            Kudos(
                workspace_id=workspace.id,
                community_id=sim.community_id,
                giver=giver.user_id,
                receiver=receiver.user_id,
                reason="helped",
                created_at=sim.clock(),
            )
        )


async def opt_out(sim: Simulation, who: SimMember, ritual: str) -> None:
    async with sim.store.transaction() as tx:
        member = await tx.session.execute(select(Member).where(Member.user_id == who.user_id))
        row = member.scalars().one()
        row.opted_out = [ritual]


async def test_the_leaderboard_ranks_the_season_and_never_names_who_opted_out(
    database_url: str,
) -> None:
    async with Simulation(CHALLENGE, MONDAY, database_url=database_url) as sim:
        for member in (ADA, BEA, CY, DAN, EVE):
            await sim.join(member)
        assert await leaderboard(sim) == (
            "Nothing on Community's leaderboard yet this season (2026-Q4): the next sharing "
            "challenge — or a kudos to someone who helped you — is a fine start!"
        )
        await a_week(sim)
        thread = await prompt_thread(sim, MONDAY + timedelta(days=8))
        await post(sim, BEA, "b1", thread)
        await post(sim, BEA, "b2", thread)
        await post(sim, CY, "b3", thread)
        await post(sim, EVE, "e1", thread)
        await react(sim, ADA, "b1", BEA.user_id)
        await react(sim, DAN, "b1", BEA.user_id)
        await react(sim, ADA, "b3", CY.user_id)
        await react(sim, DAN, "e1", EVE.user_id)
        await opt_out(sim, EVE, "challenge")
        await kudos(sim, DAN, CY)
        await kudos(sim, DAN, CY)
        await kudos(sim, ADA, BEA)
        await kudos(sim, ADA, EVE)
        await sim.run_until(MONDAY + timedelta(days=10, hours=12))

        recap = in_threads(sim)[-1]
        assert (recap.thread, recap.text) == (
            thread,
            "🙌 Thank you for sharing!\n"
            "• Bea — 2 contributions, 2 reactions\n"
            "• Cy — 1 contribution, 1 reaction\n"
            "• and 1 more member\n"
            "4 contributions and 4 reactions in all. The season's leaderboard: "
            "/animateur leaderboard",
        )
        assert "Eve" not in recap.text
        # Ada 2+3 and 2 kudos given; Bea 3+2 and 1 received; Cy 2+2 and 2 received: Bea and
        # Cy tie on points, Bea contributed more; Eve opted out: not ranked
        assert await leaderboard(sim, DAN) == (
            "🏆 Community — season 2026-Q4, top contributors:\n"
            "1. Ada — 7 pts (contributions 2 · reactions 3 · kudos received 0 · given 2)\n"
            "2. Bea — 6 pts (contributions 3 · reactions 2 · kudos received 1 · given 0)\n"
            "3. Cy — 6 pts (contributions 2 · reactions 2 · kudos received 2 · given 0)\n"
            "4. Dan — 3 pts (contributions 1 · reactions 0 · kudos received 0 · given 2)\n"
            "(One point per contribution to the challenge, reaction received on it, kudos "
            "received or given. Members who opted out of the challenge are not listed.)"
        )
        async with sim.store.transaction() as tx:
            data = await tx.seasons.data(sim.community_id, "challenge", "2026-Q4")
        assert EVE.user_id not in data["people"], "nothing of her kept in the season"
        assert (await leaderboard(sim, ADA, "all")).startswith("Usage: /animateur leaderboard")
