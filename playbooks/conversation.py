"""What rituals that take part in the conversation work with, kept pure: a thread's tally (who
replied, how often, the reactions their replies received), the season's state that lasts across
runs (each person's tallies, the list items already picked) and how texts see both.

Season data, as stored (JSON)::

    {"people": {"<user id>": {"name": "Ada", "replies": 3, "reactions": 5, "rounds": 2}},
     "picked": {"<list name>": [0, 3, 1]},
     "round": {"<list name>": ["<round>", 1]}}

(``round``: the last pick of each list and the round it was for — the runs of one round of a
ritual for each member share it.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

#: The variable prefix a ``collect`` step keeps its tally under (hidden from ``answers``).
COLLECTED = "_collected."
#: The variables ``wait_reply`` sets: who replied (user id), and their name.
REPLIER, REPLIER_NAME = "replier", "replier_name"
PEOPLE = "people"
PICKED = "picked"
ROUNDS = "round"


@dataclass(frozen=True, slots=True)
class Contributor:
    user_id: str
    name: str
    replies: int
    reactions: int
    #: False for someone who opted out of the ritual: counted in the totals, never named, and
    #: kept out of the season
    named: bool = True


@dataclass(frozen=True, slots=True)
class Tally:
    """A thread's replies by people and the reactions those replies received."""

    contributors: tuple[Contributor, ...] = ()

    @staticmethod
    def of(contributors: Iterable[Contributor]) -> Tally:
        """Sorted: most replies first, then most reactions, then by name."""
        ordered = sorted(contributors, key=lambda c: (-c.replies, -c.reactions, c.name, c.user_id))
        return Tally(tuple(ordered))

    @property
    def replies(self) -> int:
        return sum(c.replies for c in self.contributors)

    @property
    def reactions(self) -> int:
        return sum(c.reactions for c in self.contributors)

    def as_template(self) -> dict[str, Any]:
        """What texts see as ``collected.<name>``."""
        return {
            "contributors": [asdict(c) for c in self.contributors],
            "named": [asdict(c) for c in self.contributors if c.named],
            "unnamed": sum(1 for c in self.contributors if not c.named),
            "replies": self.replies,
            "reactions": self.reactions,
            "people": len(self.contributors),
        }

    def to_json(self) -> str:
        """Rows ``[user id, name, replies, reactions]`` (``, 0]`` more: not named)."""
        rows = [[c.user_id, c.name, c.replies, c.reactions] for c in self.contributors]
        for row, c in zip(rows, self.contributors, strict=True):
            if not c.named:
                row.append(0)
        return json.dumps(rows)

    @staticmethod
    def from_json(text: str) -> Tally:
        try:
            rows = json.loads(text)
            return Tally(
                tuple(
                    Contributor(str(u), str(n), int(r), int(a), not rest or bool(rest[0]))
                    for u, n, r, a, *rest in rows
                )
            )
        except (ValueError, TypeError):
            return Tally()


@dataclass(frozen=True, slots=True)
class Season:
    """The state of one season (a calendar quarter) of a ritual in a community."""

    name: str
    data: Mapping[str, Any]


def people_in(variables: Mapping[str, str]) -> dict[str, str]:
    """The people a run's variables name, by user id, with their names: who replied, who is
    in a thread's tally (a text the run sends may name them)."""
    found: dict[str, str] = {}
    if variables.get(REPLIER):
        found[variables[REPLIER]] = variables.get(REPLIER_NAME, "")
    for key, value in variables.items():
        if key.startswith(COLLECTED):
            found |= {c.user_id: c.name for c in Tally.from_json(value).contributors}
    return found


def season_of(moment: datetime) -> str:
    """The season ``moment`` (in the community's timezone) falls in: ``2026-Q4``."""
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def tallied(data: Mapping[str, Any], tally: Tally) -> dict[str, Any]:
    """``data`` with a collect's ``tally`` added: each contributor's replies, reactions and
    one more round — but nothing of someone not to be named (they opted out: their entry, if
    any, goes)."""
    out: dict[str, Any] = json.loads(json.dumps(dict(data)))  # a deep copy
    people = out.setdefault(PEOPLE, {})
    for c in tally.contributors:
        if not c.named:
            people.pop(c.user_id, None)
            continue
        person = people.setdefault(c.user_id, {"replies": 0, "reactions": 0, "rounds": 0})
        person["name"] = c.name
        person["replies"] = int(person.get("replies", 0)) + c.replies
        person["reactions"] = int(person.get("reactions", 0)) + c.reactions
        person["rounds"] = int(person.get("rounds", 0)) + 1
    return out


def standings(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The season's people, most replies first, then most reactions, then by name."""
    people = data.get(PEOPLE) or {}
    rows = [
        {
            "user_id": str(uid),
            "name": str(p.get("name") or uid),
            "replies": int(p.get("replies", 0)),
            "reactions": int(p.get("reactions", 0)),
            "rounds": int(p.get("rounds", 0)),
        }
        for uid, p in people.items()
        if isinstance(p, Mapping)
    ]
    return sorted(rows, key=lambda r: (-r["replies"], -r["reactions"], r["name"], r["user_id"]))


def season_view(season: Season | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """What texts see as ``season``."""
    top = standings(data)
    return {"name": season.name if season else "", "top": top, "people": len(top)}


def picked(
    data: Mapping[str, Any], name: str, size: int, round_: str = ""
) -> tuple[int, dict[str, Any]]:
    """The next index of list ``name`` (``size`` items) not picked yet this season, in order —
    starting over when all were — and the season data that remembers it. In a ``round_``
    (the runs of one fire of a ritual for each member) the first run picks, the others get
    the same item."""
    out: dict[str, Any] = json.loads(json.dumps(dict(data)))
    last = (out.get(ROUNDS) or {}).get(name)
    if round_ and isinstance(last, list) and len(last) == 2 and last[0] == round_:
        index = last[1]
        if isinstance(index, int) and 0 <= index < size:
            return index, out
    used = [i for i in (out.setdefault(PICKED, {}).get(name) or []) if isinstance(i, int)]
    free = [i for i in range(size) if i not in used]
    if not free:
        used, free = [], list(range(size))
    used.append(free[0])
    out[PICKED][name] = used
    if round_:
        out.setdefault(ROUNDS, {})[name] = [round_, free[0]]
    return free[0], out
