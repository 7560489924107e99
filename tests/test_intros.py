"""The bundled intros on the virtual clock: members grouped every two weeks (pairs, one trio when
odd, nobody left out, nobody met again within the history window, opted-out members never
grouped), the same groups for the same seed, "did you meet?" a week later with its answers kept
and used, and a round with fewer than 2 people told to the facilitators only."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from itertools import combinations

from sqlalchemy import select

from bot.runtime.privacy import erase_person, export_person
from bot.runtime.simulation import FACILITATOR, WORKSPACE, SimMember, Simulation
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.tables import MemberGroup, Run
from tests.test_challenge import opt_out
from tests.test_conversation_rituals import ADA, BEA, CY, DAN, MONDAY

INTROS = {"intros": load_library()["intros"]}
ELEVEN = [SimMember(f"U-{i:02d}", f"Member {i}", "Europe/Paris", answer_rate=0) for i in range(11)]
ZED = SimMember("U-zed", "Zed", "Europe/Paris", answer_rate=0)
QUIET = [SimMember(m.user_id, m.name, m.timezone, answer_rate=0) for m in (ADA, BEA, CY, DAN)]


async def rounds(sim: Simulation) -> dict[int, list[tuple[str, ...]]]:
    """Each round's groups, from the history."""
    async with sim.store.transaction() as tx:
        rows = (await tx.session.execute(select(MemberGroup))).scalars().all()
    found: dict[int, set[tuple[str, ...]]] = defaultdict(set)
    for row in rows:
        found[row.round].add(tuple(sorted([row.user_id, *row.partners])))
    return {number: sorted(groups) for number, groups in sorted(found.items())}


async def history(sim: Simulation) -> list[MemberGroup]:
    async with sim.store.transaction() as tx:
        query = select(MemberGroup).order_by(MemberGroup.round, MemberGroup.user_id)  # type: ignore[arg-type]
        return list((await tx.session.execute(query)).scalars().all())


def starters(sim: Simulation) -> list[act.MessageGroup]:
    return [s.action for s in sim.recorder.sent if isinstance(s.action, act.MessageGroup)]


async def six_rounds(database_url: str) -> dict[int, list[tuple[str, ...]]]:
    async with Simulation(INTROS, MONDAY, database_url=database_url) as sim:
        for member in [*ELEVEN, ZED]:
            await sim.join(member)
        await opt_out(sim, ZED, "intros")
        await sim.run_until(MONDAY + timedelta(weeks=11, hours=6))  # 6 fortnightly Mondays
        found = await rounds(sim)
        got = [(s.recipient, s.action) for s in sim.recorder.sent]
        assert all(who != ZED.user_id for who, _ in got), "an opted-out member hears nothing"
        # every member had their starter each round, naming their whole group
        for number, groups in found.items():
            for group in groups:
                for user in group:
                    texts = [
                        a.text
                        for who, a in got
                        if who == user and isinstance(a, act.MessageGroup) and a.user_ids == group
                    ]
                    assert len(texts) == 1, (number, user)
                    assert all(f"<@{other}|" in texts[0] for other in group)
        return found


async def test_eleven_members_over_six_rounds(database_url: str) -> None:
    found = await six_rounds(database_url)
    assert list(found) == [1, 2, 3, 4, 5, 6], "a round every two weeks, the weeks between skip"
    everyone = sorted(m.user_id for m in ELEVEN)
    seen_pairs: set[frozenset[str]] = set()
    for groups in found.values():
        assert sorted(u for g in groups for u in g) == everyone, "nobody dropped, nobody twice"
        assert sorted(len(g) for g in groups) == [2, 2, 2, 2, 3]
        for group in groups:
            for a, b in combinations(group, 2):
                assert frozenset((a, b)) not in seen_pairs, "met again within 12 rounds"
                seen_pairs.add(frozenset((a, b)))


async def test_the_same_seed_gives_the_same_groups(database_url: str, tmp_path: object) -> None:
    async def first_two(url: str | None) -> dict[int, list[tuple[str, ...]]]:
        async with Simulation(INTROS, MONDAY, database_url=url) as sim:
            for member in ELEVEN:
                await sim.join(member)
            await sim.run_until(MONDAY + timedelta(weeks=2, hours=6))
            return await rounds(sim)

    once = await first_two(database_url)
    assert len(once) == 2
    assert await first_two(None) == once, "another database, the same community id and rounds"


async def click(sim: Simulation, who: SimMember, value: str) -> None:
    [question] = [
        s.action
        for s in sim.recorder.sent
        if s.recipient == who.user_id
        and isinstance(s.action, act.AskQuestion)
        and s.action.callback
        and s.at > sim.clock() - timedelta(days=7)
    ]
    assert isinstance(question, act.AskQuestion)
    await sim.dispatch(
        ev.ButtonClicked(
            workspace=WORKSPACE,
            key=f"click-{who.user_id}-{sim.clock().isoformat()}",
            occurred_at=sim.clock(),
            member=who.profile,
            callback=question.callback,
            value=value,
        )
    )


async def test_did_you_meet_answers_are_kept_and_skip_next_round_is_honoured(
    database_url: str,
) -> None:
    ada = QUIET[0]
    async with Simulation(INTROS, MONDAY, database_url=database_url) as sim:
        for member in QUIET:
            await sim.join(member)
        await sim.run_until(MONDAY + timedelta(hours=6))  # Monday 10:00: round 1
        [first] = (await rounds(sim)).values()
        assert sorted(len(g) for g in first) == [2, 2]
        asked = [s for s in sim.recorder.sent if isinstance(s.action, act.AskQuestion)]
        assert asked == [], "asked a week later, not at once"

        await sim.run_until(MONDAY + timedelta(days=7, hours=6))
        asked = [s for s in sim.recorder.sent if isinstance(s.action, act.AskQuestion)]
        assert sorted(s.recipient for s in asked) == sorted(m.user_id for m in QUIET)
        ada_partner = next(u for g in first if ada.user_id in g for u in g if u != ada.user_id)
        [to_ada] = [s.action for s in asked if s.recipient == ada.user_id]
        assert isinstance(to_ada, act.AskQuestion)
        assert to_ada.text.startswith("Did you meet <@" + ada_partner + "|")
        assert [c.value for c in to_ada.choices] == ["yes", "not_yet", "skip"]

        await click(sim, ada, "skip")
        partner = next(m for m in QUIET if m.user_id == ada_partner)
        await click(sim, partner, "yes")
        rows = {r.user_id: r.answer for r in await history(sim)}
        assert rows[ada.user_id] == "skip" and rows[ada_partner] == "yes"
        assert [v for u, v in rows.items() if u not in (ada.user_id, ada_partner)] == [None, None]
        thanked = [s for s in sim.recorder.sent if s.recipient == ada_partner]
        assert thanked[-1].text.startswith("🙌 Great")

        await sim.run_until(MONDAY + timedelta(days=14, hours=6))  # round 2: Ada sits out
        second = (await rounds(sim))[2]
        assert [len(g) for g in second] == [3]
        assert ada.user_id not in second[0]

        await sim.run_until(MONDAY + timedelta(days=28, hours=6))  # round 3: Ada is back
        third = (await rounds(sim))[3]
        assert sorted(u for g in third for u in g) == sorted(m.user_id for m in QUIET)
        # she and her partner said they met: they are not grouped together again
        assert all({ada.user_id, ada_partner} - set(g) for g in third)


async def test_a_round_with_fewer_than_two_people_is_told_to_the_facilitators(
    database_url: str,
) -> None:
    ada, bea, *_ = QUIET
    async with Simulation(INTROS, MONDAY, database_url=database_url) as sim:
        await sim.join(ada)
        await sim.join(bea)
        await opt_out(sim, bea, "intros")
        await sim.run_until(MONDAY + timedelta(hours=6))
        told = [s for s in sim.recorder.sent if s.recipient == FACILITATOR]
        assert len(told) == 1
        assert told[0].text.startswith(
            "No intros this round in Community: fewer than 2 members could be grouped"
        )
        assert starters(sim) == [] and await rounds(sim) == {}

        # once Bea is back, the next round groups them and tells the facilitators nothing
        async with sim.store.transaction() as tx:
            await opt_out_undone(tx, bea.user_id)
        await sim.run_until(MONDAY + timedelta(days=14, hours=6))
        assert [g.user_ids for g in starters(sim)] == [(ada.user_id, bea.user_id)] * 2
        assert len([s for s in sim.recorder.sent if s.recipient == FACILITATOR]) == 1


async def opt_out_undone(tx: object, user_id: str) -> None:
    from storage.store import Transaction
    from storage.tables import Member

    assert isinstance(tx, Transaction)
    member = (
        (await tx.session.execute(select(Member).where(Member.user_id == user_id))).scalars().one()
    )
    member.opted_out = []


async def test_privacy_export_lists_her_groups_and_erase_forgets_her_in_others_rows(
    database_url: str,
) -> None:
    ada = QUIET[0]
    async with Simulation(INTROS, MONDAY, database_url=database_url) as sim:
        for member in QUIET:
            await sim.join(member)
        await sim.run_until(MONDAY + timedelta(days=7, hours=6))
        await click(sim, ada, "yes")
        [partner] = next(r.partners for r in await history(sim) if r.user_id == ada.user_id)

        exported = await export_person(sim.store, WORKSPACE, ada.user_id)
        assert [(g["round"], g["partners"], g["answer"]) for g in exported["intro_groups"]] == [
            (1, [partner], "yes")
        ]
        # her partner's row of that round names her: listed (which round), not their answer
        [naming] = exported["intro_groups_naming_them"]
        assert (naming["round"], naming["playbook"]) == (1, "intros")
        assert "answer" not in naming and "partners" not in naming

        erasure = await erase_person(sim.store, WORKSPACE, ada.user_id, sim.clock())
        assert erasure.counts["membergroup"] == 2  # her row, and her partner's naming her
        rows = await history(sim)
        assert ada.user_id not in [r.user_id for r in rows]
        assert [r.partners for r in rows if r.user_id == partner] == [[]]
        assert len(rows) == 3, "the others' rows stay"
        async with sim.store.transaction() as tx:
            runs = (await tx.session.execute(select(Run))).scalars().all()
        assert not [r for r in runs if ada.user_id in json.dumps(r.variables)]
        assert [r for r in runs if r.subject == partner], "her partner's run stays"
