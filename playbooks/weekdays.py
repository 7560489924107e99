"""Working weekdays as people write them: ``mon-fri``, ``mon,wed,fri``, ``fri-mon``, ``lun-ven``.

A list of days and ranges, separated by commas or spaces. A day is an English or French name,
short or long (``mon``/``monday``, ``lun``/``lundi``…), in any case; a range ``a-b`` runs from
``a`` to ``b`` and goes round the end of the week when ``b`` comes before ``a`` (``fri-mon``:
Friday, Saturday, Sunday, Monday). Days are numbered from Monday = 0, as ``datetime.weekday``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from playbooks.calendar import WEEKDAYS

#: How each day is written in short, per language (English first: what the bot writes).
SHORT_NAMES: Mapping[str, tuple[str, ...]] = {
    "en": WEEKDAYS,
    "fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
}
_LONG = (
    ("monday", "lundi"),
    ("tuesday", "tues", "mardi"),
    ("wednesday", "mercredi"),
    ("thursday", "thur", "thurs", "jeudi"),
    ("friday", "vendredi"),
    ("saturday", "samedi"),
    ("sunday", "dimanche"),
)
#: every accepted name → its day number
DAY_NUMBERS: Mapping[str, int] = {
    name: day
    for day in range(7)
    for name in (*(names[day] for names in SHORT_NAMES.values()), *_LONG[day])
}
#: a range's dash: hyphen, en dash, em dash (phones turn one into the other)
_RANGE = re.compile(r"\s*[-–—]\s*")
#: the most characters a setting of working days may have
LIMIT = 100


class BadDays(ValueError):
    """``value`` names no day (``kind``: ``day``), is no range (``range``), or names none at
    all (``empty``)."""

    def __init__(self, kind: str, value: str = "") -> None:
        super().__init__(f"{kind}: {value!r}")
        self.kind = kind
        self.value = value


def parse_days(text: str) -> list[int]:
    """The weekdays ``text`` names, sorted, each once; raises BadDays."""
    spaced = _RANGE.sub("-", text.strip().lower())  # "mon - fri" is one range
    days: set[int] = set()
    for item in re.split(r"[,;\s]+", spaced):
        if not item:
            continue
        ends = item.split("-")
        if len(ends) == 1:
            days.add(_day(ends[0]))
        elif len(ends) == 2 and all(ends):
            first, last = _day(ends[0]), _day(ends[1])
            days.update((first + offset) % 7 for offset in range((last - first) % 7 + 1))
        else:
            raise BadDays("range", item)
    if not days:
        raise BadDays("empty", text)
    return sorted(days)


def _day(name: str) -> int:
    found = DAY_NUMBERS.get(name.strip("."))
    if found is None:
        raise BadDays("day", name)
    return found


def format_days(days: Iterable[int], locale: str = "en") -> str:
    """``[0, 1, 2, 3, 4]`` → ``mon-fri``; ``[0, 2, 4]`` → ``mon, wed, fri``; ``[4, 5, 6, 0]``
    → ``fri-mon``: runs of two days or more as ranges, in ``locale``'s short names (which
    :func:`parse_days` reads back)."""
    names = SHORT_NAMES.get(locale, SHORT_NAMES["en"])
    chosen = {d for d in days if 0 <= d < 7}
    if len(chosen) == 7:
        return f"{names[0]}-{names[6]}"
    parts = []
    for start in sorted(chosen):
        if (start - 1) % 7 in chosen:
            continue  # inside a run that begins earlier (possibly before the week's end)
        end = start
        while (end + 1) % 7 in chosen:
            end = (end + 1) % 7
        parts.append(names[start] if end == start else f"{names[start]}-{names[end]}")
    return ", ".join(parts)
