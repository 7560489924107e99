"""Who meets whom in a round of intros: a pure, deterministic policy (no I/O, no clock).

The people of a round are put in groups of 2 — one group of 3 when their count is odd, so nobody
is left out — choosing, for each pair, the lowest cost:

- ``REPEAT`` for two people grouped together within the last rounds (the history window): a
  repeat happens only when no other grouping avoids it;
- ``MET`` for each time they said they met (a "yes" to "did you meet?"), whenever it was;
- ``INTERACTION`` for each interaction between them in the community (one replied to or
  reacted to the other's message), counted up to ``INTERACTIONS_CAP``: people who rarely
  interacted meet first;
- ``APART`` for each hour their working hours do not overlap (the community's hours, read in
  each member's timezone).

The order is drawn from ``seed`` (the community and the round): the same people, history and
seed always give the same groups. For up to ``SEARCH_PEOPLE`` people, a depth-first search
looks for groups without any repeat — the person with the fewest possible partners first,
each one's partners cheapest first, the group of 3 formed last — and takes the first it finds.
When it finds none (a repeat cannot be avoided, or its budget ran out) or the round is larger,
a greedy pass pairs each person in a drawn order with their cheapest free partner (among the
next ``GREEDY_WINDOW`` in that order, unless all of those would be a repeat), the odd one
out joins the group it costs least to join, and swaps of members between groups are made while
they lower the total cost; a few draws (seeded from the first) are tried and the cheapest
grouping is kept.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

REPEAT = 1000
MET = 50
INTERACTION = 2
INTERACTIONS_CAP = 20
APART = 3
#: While a draw still repeats a pair, other draws (seeded from the first) are tried, keeping the
#: cheapest: at most this many, and fewer for large rounds (this budget divided by the people).
MAX_ATTEMPTS = 40
ATTEMPTS_BUDGET = 4000
#: Pairs the search for a grouping without repeats may look at (each of its steps looks at
#: every pair of the people still free), and the most people it works on (beyond, repeats are
#: rare and the draws below are quicker).
SEARCH_BUDGET = 2_000_000
SEARCH_PEOPLE = 60
#: How many free people the greedy pass compares for each person's partner.
GREEDY_WINDOW = 64
#: Improvement passes over the groups (each tries every swap touching a costly group).
MAX_PASSES = 20
DAY = 24 * 60

Pair = frozenset[str]


def pair(a: str, b: str) -> Pair:
    return frozenset((a, b))


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    #: the member's offset from UTC, in minutes, at the time of the round
    utc_offset: int = 0


@dataclass(frozen=True, slots=True)
class Known:
    """What the policy knows of the people's past."""

    #: pairs grouped together within the history window
    recent: frozenset[Pair] = frozenset()
    #: how many times each pair said they met
    met: Mapping[Pair, int] = field(default_factory=dict)
    #: how many times each pair interacted in the community
    interactions: Mapping[Pair, int] = field(default_factory=dict)
    #: the community's working hours, minutes after midnight (start, end), local time
    hours: tuple[int, int] = (9 * 60, 18 * 60)


def overlap_minutes(a: int, b: int, hours: tuple[int, int]) -> int:
    """How long the working hours of two people at UTC offsets ``a`` and ``b`` overlap."""
    start, end = hours
    if end <= start:
        return 0
    a_start, a_end = start - a, end - a
    best = 0
    for shift in (-DAY, 0, DAY):
        b_start, b_end = start - b + shift, end - b + shift
        best = max(best, min(a_end, b_end) - max(a_start, b_start))
    return best


def pair_cost(x: Person, y: Person, known: Known) -> int:
    both = pair(x.user_id, y.user_id)
    cost = REPEAT if both in known.recent else 0
    cost += MET * known.met.get(both, 0)
    cost += INTERACTION * min(known.interactions.get(both, 0), INTERACTIONS_CAP)
    start, end = known.hours
    apart = max(0, end - start) - overlap_minutes(x.utc_offset, y.utc_offset, known.hours)
    return cost + APART * (apart // 60)


def form_groups(people: Sequence[Person], known: Known, seed: str) -> list[tuple[str, ...]]:
    """The round's groups (each sorted by user id; the groups ordered by their first member):
    every person in exactly one group, groups of 2 and — when the count is odd — one of 3.
    Fewer than 2 people: no group."""
    unique = {p.user_id: p for p in people}
    if len(unique) < 2:
        return []
    costs = _Costs(known)
    order = sorted(unique.values(), key=lambda p: p.user_id)
    random.Random(seed).shuffle(order)
    best = _Search(order, costs).run() if len(order) <= SEARCH_PEOPLE else None
    if best is None:  # no grouping without a repeat found: the cheapest of a few draws
        best, best_cost = [], -1
        for attempt in range(max(1, min(MAX_ATTEMPTS, ATTEMPTS_BUDGET // len(unique)))):
            drawn = sorted(unique.values(), key=lambda p: p.user_id)
            random.Random(f"{seed}#{attempt}").shuffle(drawn)
            rank = {p.user_id: i for i, p in enumerate(drawn)}
            groups = _improve(_greedy(drawn, costs, rank), costs)
            total = sum(costs.group(g) for g in groups)
            if best_cost < 0 or total < best_cost:
                best, best_cost = groups, total
            if not any(costs.group(g) >= REPEAT for g in groups):
                break  # no repeat: this draw is kept
    return sorted(tuple(sorted(p.user_id for p in g)) for g in best)


class _Costs:
    def __init__(self, known: Known) -> None:
        self._known = known
        self._cache: dict[tuple[str, str], int] = {}

    def pair(self, x: Person, y: Person) -> int:
        key = (x.user_id, y.user_id) if x.user_id < y.user_id else (y.user_id, x.user_id)
        cost = self._cache.get(key)
        if cost is None:
            cost = self._cache[key] = pair_cost(x, y, self._known)
        return cost

    def group(self, group: Sequence[Person]) -> int:
        return sum(self.pair(x, y) for x, y in combinations(group, 2))


def _greedy(order: list[Person], costs: _Costs, rank: Mapping[str, int]) -> list[list[Person]]:
    free = list(order)
    groups: list[list[Person]] = []
    while len(free) >= 2:
        first = free.pop(0)
        # the next few in the drawn order (all of them when none of those avoids a repeat):
        # a large round costs n × GREEDY_WINDOW, not n²
        window = free[:GREEDY_WINDOW]
        partner = min(window, key=lambda p: (costs.pair(first, p), rank[p.user_id]))
        if costs.pair(first, partner) >= REPEAT and len(free) > GREEDY_WINDOW:
            partner = min(free, key=lambda p: (costs.pair(first, p), rank[p.user_id]))
        free.remove(partner)
        groups.append([first, partner])
    if free:  # the odd one out joins the group it costs least to join
        last = free[0]
        best = min(
            range(len(groups)),
            key=lambda i: (costs.group([*groups[i], last]) - costs.group(groups[i]), i),
        )
        groups[best].append(last)
    return groups


def _improve(groups: list[list[Person]], costs: _Costs) -> list[list[Person]]:
    """Swap members between groups while it lowers the total cost (first improvement, in a
    fixed order: deterministic). Only groups costing at least a repeat are worked on."""
    for _ in range(MAX_PASSES):
        improved = False
        for i, g in enumerate(groups):
            if costs.group(g) < REPEAT:
                continue
            for j in range(len(groups)):
                if i == j:
                    continue
                if _try_swaps(groups, i, j, costs):
                    improved = True
                    break
        if not improved:
            break
    return groups


def _try_swaps(groups: list[list[Person]], i: int, j: int, costs: _Costs) -> bool:
    g, h = groups[i], groups[j]
    before = costs.group(g) + costs.group(h)
    for a in range(len(g)):
        for b in range(len(h)):
            new_g = [*g[:a], h[b], *g[a + 1 :]]
            new_h = [*h[:b], g[a], *h[b + 1 :]]
            if costs.group(new_g) + costs.group(new_h) < before:
                groups[i], groups[j] = new_g, new_h
                return True
    return False


class _Search:
    """A depth-first search for groups without any repeat: the person with the fewest
    possible partners first, their partners cheapest first; one group of 3 when the count is
    odd. Gives up after looking at ``SEARCH_BUDGET`` pairs (then the draws above decide)."""

    def __init__(self, order: list[Person], costs: _Costs) -> None:
        self._order = order
        self._rank = {p.user_id: i for i, p in enumerate(order)}
        self._costs = costs
        self._left = SEARCH_BUDGET

        self._allowed = {
            p.user_id: {q.user_id for q in order if q is not p and costs.pair(p, q) < REPEAT}
            for p in order
        }

    def _ok(self, x: Person, y: Person) -> bool:
        return y.user_id in self._allowed[x.user_id]

    def run(self) -> list[list[Person]] | None:
        return self._step(list(self._order), trio=len(self._order) % 2 == 1)

    def _step(self, free: list[Person], trio: bool) -> list[list[Person]] | None:
        if not free:
            return []
        self._left -= len(free) ** 2
        if self._left < 0:
            return None
        options = {p.user_id: [q for q in free if self._ok(p, q)] for p in free}
        person = min(free, key=lambda p: (len(options[p.user_id]), self._rank[p.user_id]))
        partners = sorted(
            options[person.user_id],
            key=lambda q: (self._costs.pair(person, q), self._rank[q.user_id]),
        )
        rest = [p for p in free if p is not person]
        if not trio or len(free) > 3:
            for q in partners:
                found = self._step([p for p in rest if p is not q], trio)
                if found is not None:
                    return [[person, q], *found]
        if trio:
            for q, r in combinations(partners, 2):
                if self._ok(q, r):
                    found = self._step([p for p in rest if p is not q and p is not r], False)
                    if found is not None:
                        return [[person, q, r], *found]
        return None
