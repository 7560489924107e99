"""The intros grouping policy, as properties: nobody dropped or grouped twice, groups of 2 with
one of 3 when the count is odd, no repeat within the window when one can be avoided, the same
groups for the same seed — and the preferences: people who rarely interacted, who did not say
they met, whose working hours overlap; and the checks of the grouping step in a file."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.runtime.intro_groups import Known, Person, form_groups, overlap_minutes, pair
from playbooks.loader import LIBRARY, PlaybookError, parse_playbook
from playbooks.overrides import apply_overrides, with_pairs

ids = st.lists(
    st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=6), unique=True, max_size=40
)
offsets = st.sampled_from([-480, -300, 0, 60, 120, 330, 540])


@st.composite
def people(draw: st.DrawFn, min_size: int = 0) -> list[Person]:
    names = draw(ids.filter(lambda found: len(found) >= min_size))
    return [Person(n, draw(offsets)) for n in names]


@st.composite
def knowns(draw: st.DrawFn, who: list[Person]) -> Known:
    names = [p.user_id for p in who]
    pairs = [pair(a, b) for a, b in combinations(names, 2)]
    recent = draw(st.sets(st.sampled_from(pairs), max_size=len(pairs))) if pairs else set()
    interactions = {p: draw(st.integers(0, 30)) for p in pairs[:20]}
    return Known(recent=frozenset(recent), interactions=interactions)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_everyone_once_in_groups_of_two_and_one_of_three_when_odd(data: st.DataObject) -> None:
    who = data.draw(people())
    known = data.draw(knowns(who))
    groups = form_groups(who, known, data.draw(st.text(max_size=8)))
    if len(who) < 2:
        assert groups == []
        return
    assert sorted(u for g in groups for u in g) == sorted(p.user_id for p in who)
    sizes = sorted(len(g) for g in groups)
    assert sizes == [2] * (len(who) // 2 - len(who) % 2) + [3] * (len(who) % 2)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_same_seed_gives_the_same_groups_whatever_the_order_given(
    data: st.DataObject,
) -> None:
    who = data.draw(people())
    known = data.draw(knowns(who))
    seed = data.draw(st.text(max_size=8))
    shuffled = data.draw(st.permutations(who))
    assert form_groups(who, known, seed) == form_groups(shuffled, known, seed)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_no_repeat_of_the_last_round_when_six_or_more(data: st.DataObject) -> None:
    """After one round, another without any repeat always exists from 6 people on: it is found."""
    who = data.draw(people(min_size=6))
    first = form_groups(who, Known(), data.draw(st.text(max_size=8)))
    recent = frozenset(pair(a, b) for g in first for a, b in combinations(g, 2))
    second = form_groups(who, Known(recent=recent), data.draw(st.text(max_size=8)))
    assert not [g for g in second for a, b in combinations(g, 2) if pair(a, b) in recent]


def test_twelve_rounds_of_eleven_never_repeat_while_partners_are_left() -> None:
    who = [Person(f"U{i:02d}") for i in range(11)]
    history: list[list[tuple[str, ...]]] = []
    for number in range(1, 7):
        recent = frozenset(
            pair(a, b) for rnd in history[-12:] for g in rnd for a, b in combinations(g, 2)
        )
        groups = form_groups(who, Known(recent=recent), f"7:{number}")
        assert not [g for g in groups for a, b in combinations(g, 2) if pair(a, b) in recent]
        history.append(groups)


def test_a_repeat_when_it_cannot_be_avoided_rather_than_anyone_left_out() -> None:
    who = [Person("a"), Person("b")]
    assert form_groups(who, Known(recent=frozenset({pair("a", "b")})), "s") == [("a", "b")]


def test_people_who_rarely_interacted_meet_first() -> None:
    who = [Person(x) for x in "abcd"]
    chatty = {pair("a", "b"): 12, pair("c", "d"): 9}
    assert form_groups(who, Known(interactions=chatty), "s") in (
        [("a", "c"), ("b", "d")],
        [("a", "d"), ("b", "c")],
    )


def test_people_who_said_they_met_are_not_grouped_again_first() -> None:
    who = [Person(x) for x in "abcd"]
    for seed in ("1", "2", "3", "4"):
        groups = form_groups(who, Known(met={pair("a", "b"): 1}), seed)
        assert ("a", "b") not in groups


def test_working_hours_that_overlap_are_preferred() -> None:
    paris, tokyo = 60, 540
    who = [Person("p1", paris), Person("p2", paris), Person("t1", tokyo), Person("t2", tokyo)]
    for seed in ("1", "2", "3"):
        assert form_groups(who, Known(), seed) == [("p1", "p2"), ("t1", "t2")]
    assert overlap_minutes(paris, paris, (540, 1080)) == 540
    assert overlap_minutes(paris, tokyo, (540, 1080)) == 60
    assert overlap_minutes(-480, 540, (540, 1080)) == 120  # Los Angeles evening, Tokyo morning
    assert overlap_minutes(-300, 540, (540, 1080)) == 0  # New York and Tokyo


INTROS_FILE = (LIBRARY / "intros.yaml").read_text()


def refused(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "intros.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_member_step_before_the_grouped_members_part_is_refused() -> None:
    moved = INTROS_FILE.replace("    then: later\n", "    then: finished\n")
    assert any("steps.5.kind: 'ask' talks to one member" in p for p in refused(moved)), (
        "the question is no longer in the grouped members' part"
    )
    assert parse_playbook(INTROS_FILE).member_part == 4


def test_grouping_in_a_ritual_run_for_each_member_is_refused() -> None:
    each = INTROS_FILE.replace(
        'cron: "0 10 * * mon"}', 'cron: "0 10 * * mon", audience: each_member}'
    )
    assert any("'group_members' groups the community's members" in p for p in refused(each))


def test_a_community_sets_how_often_rounds_come() -> None:
    intros = parse_playbook(INTROS_FILE)
    step = apply_overrides(intros, with_pairs({}, ["wait.pair=21d"])).grouping()
    assert step is not None and step.every_delta == timedelta(days=21)
    assert intros.grouping().every_delta == timedelta(days=14)  # type: ignore[union-attr]
