"""Trial renders: a playbook's texts rendered with hostile values before any run meets them.

A text that works with a polite answer may fail, or blow its budget, with another: an empty
answer, a 3000-character one, one holding template syntax, emoji, a number. Texts are rendered
with each of those (and with no answer yet), so a text that breaks on some answers is refused
when it is written — in a file (``animateur playbooks check``) or in chat (``rituals set``) —
instead of ending members' runs later.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from playbooks import schema
from playbooks.digest import DigestData, DigestEntry, question_keys
from playbooks.engine import MAX_ANSWER_LENGTH, CommunityContext, MemberContext
from playbooks.sandbox import LIMITS
from playbooks.templates import RenderError, render

PathKey = tuple[str | int, ...]

#: (what the answer is, the answer) — every question answered so, in turn
HOSTILE_ANSWERS: tuple[tuple[str, str], ...] = (
    ("an empty answer", ""),
    (f"a {MAX_ANSWER_LENGTH}-character answer", "x" * MAX_ANSWER_LENGTH),
    (f"a {MAX_ANSWER_LENGTH}-character answer in emoji", "é🎉" * (MAX_ANSWER_LENGTH // 2)),
    ("an answer holding template syntax", "{{ 7 * 7 }} {% for x in y %} {# #} }} {{"),
    ("an answer in several scripts", "Zoë 🎉 日本語 عربى \u202e\u0301 «»"),
    ("the answer 42", "42"),
    ("the answer -1", "-1"),
    ("the answer 1e309", "1e309"),
    ("only spaces", "   "),
)
_MEMBERS = (MemberContext("U-sample", "Ada"), MemberContext("U-long", "N" * 200 + " 🎉"))
#: a community whose own texts are as long and odd as a facilitator may make them
SAMPLE_COMMUNITY = CommunityContext(
    channel="C-sample",
    name="Data & IA 🎉 {{ x }}",
    objective="o" * 2000,
    charter="",
    facilitators=("U-1", "U-2"),
    sponsors=(),
    timezone="Pacific/Kiritimati",
)
#: all the trial renders of one text together take at most this long (each at most its own)
TOTAL_SECONDS = 2 * LIMITS.seconds


class _Every(dict[str, str]):
    """Answers where every question (``keys``, and any other asked for) got the same value."""

    def __init__(self, value: str, keys: Iterable[str]) -> None:
        super().__init__(dict.fromkeys(keys, value))
        self.value = value

    def __missing__(self, key: str) -> str:
        return self.value


def _answer_sets(keys: Iterable[str]) -> Iterator[tuple[str, Mapping[str, str]]]:
    yield "no answer yet", {}
    for described, value in HOSTILE_ANSWERS:
        yield f"with {described}", _Every(value, keys)


def answer_keys(playbook: schema.Playbook) -> tuple[str, ...]:
    """The names a run's answers go by: its questions' and its records'."""
    recorded = (s.key for s in playbook.steps if isinstance(s, schema.Record))
    return (*sorted(question_keys(playbook)), *recorded)


def try_render(
    template: str,
    community: CommunityContext,
    locale: str,
    *,
    member: bool = True,
    keys: Iterable[str] = (),
) -> None:
    """Render ``template`` as a run would, with each hostile set of answers to ``keys`` (for a
    member of ``community``, or for the community alone); raises RenderError saying with
    which."""
    deadline = time.monotonic() + TOTAL_SECONDS
    keys = tuple(keys)
    for subject in _MEMBERS if member else (None,):
        for described, answers in _answer_sets(keys):
            values = {"community": community, "member": subject, "answers": answers}
            _render_by(deadline, template, values | {"locale": locale}, described)


def _render_by(deadline: float, template: str, values: Mapping[str, Any], described: str) -> None:
    left = deadline - time.monotonic()
    limits = replace(LIMITS, seconds=max(0.0, min(LIMITS.seconds, left)))
    try:
        render(template, values, limits)
    except RenderError as exc:
        raise RenderError(f"{exc} ({described})") from exc


def _digests(playbook: schema.Playbook) -> Iterator[tuple[str, DigestData]]:
    keys = sorted(question_keys(playbook)) or ["answer"]

    def entry(name: str, value: str) -> DigestEntry:
        answers = dict.fromkeys(keys, value)
        return DigestEntry(name, answers, answers)

    yield "nobody asked", DigestData(0, 0, (), {})
    hostile = tuple(entry(f"Member {i} 🎉", v) for i, (_d, v) in enumerate(HOSTILE_ANSWERS))
    counts = {k: {v: 1 for _d, v in HOSTILE_ANSWERS} for k in keys}
    yield "hostile answers", DigestData(len(hostile) + 3, len(hostile), hostile, counts)
    crowd = tuple(entry(f"Member {i}", "ok") for i in range(100))
    yield "100 members answering", DigestData(120, 100, crowd, {k: {"ok": 100} for k in keys})


def texts_of(playbook: schema.Playbook) -> Iterator[tuple[PathKey, str]]:
    """Every text a run of ``playbook`` renders, with where it is written."""
    for index, step in enumerate(playbook.steps):
        here: PathKey = ("steps", index)
        for field in ("text", "placeholder", "reminder_text"):
            text = getattr(step, field, None)
            if isinstance(text, schema.LocalizedText):
                yield from (((*here, field, loc), text.get(loc)) for loc in schema.LOCALES)
        for number, choice in enumerate(getattr(step, "choices", None) or ()):
            spot = (*here, "choices", number, "label")
            yield from (((*spot, loc), choice.label.get(loc)) for loc in schema.LOCALES)
        if isinstance(step, schema.Record):
            yield (*here, "value"), step.value


def problems(playbook: schema.Playbook) -> Iterator[tuple[PathKey, str]]:
    """``(where, what)`` for every text of ``playbook`` a trial render refuses."""
    member, keys = playbook.has_member_subject, answer_keys(playbook)
    for path, template in texts_of(playbook):
        locale = str(path[-1]) if path[-1] in schema.LOCALES else "en"
        try:
            try_render(template, SAMPLE_COMMUNITY, locale, member=member, keys=keys)
        except RenderError as exc:
            yield path, f"{'.'.join(str(p) for p in path)}: {exc}"
    digest = playbook.digest
    if digest is None:
        return
    for field in ("community", "facilitators"):
        text = getattr(digest, field)
        if text is None:
            continue
        for locale in schema.LOCALES:
            where: PathKey = ("digest", field, locale)
            deadline = time.monotonic() + TOTAL_SECONDS
            try:
                for described, data in _digests(playbook):
                    values = {"community": SAMPLE_COMMUNITY, "digest": data, "locale": locale}
                    _render_by(deadline, text.get(locale), values, f"with {described}")
            except RenderError as exc:
                yield where, f"{'.'.join(str(p) for p in where)}: {exc}"
