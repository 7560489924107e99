"""Trial renders: a playbook's texts rendered with hostile values before any run meets them.

A text that works with a polite answer may fail, or blow its budget, with another: an empty
answer, a 3000-character one, one holding template syntax, emoji, a number. Texts are rendered
with each of those (and with no answer yet), so a text that breaks on some answers is refused
when it is written — in a file (``animateur playbooks check``) or in chat (``rituals set``) —
instead of ending members' runs later.

Trials run in a process of their own (:func:`isolated`), killed after :data:`ISOLATED_SECONDS`
or when it needs more than :data:`ISOLATED_MEMORY` bytes: whatever a text finds that the
render budget misses, it cannot freeze the bot or exhaust its memory. They are tried against
the community as it is and against :data:`SAMPLE_COMMUNITY`, every field at its longest, so
that a text does not break later when the community's texts grow.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from playbooks import schema
from playbooks.conversation import Contributor, Season, Tally, season_view, tallied
from playbooks.digest import DigestData, DigestEntry, question_keys
from playbooks.engine import MAX_ANSWER_LENGTH, CommunityContext, MemberContext
from playbooks.overrides import OverrideError, apply_overrides
from playbooks.render_budget import LIMITS
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
#: the longest community texts ``community setup`` accepts, and people it names
LONGEST = {"name": 200, "objective": 1000, "charter": 3000, "resources": 2000, "people": 20}
_PERSON = "29:" + "p" * 97  # as long as a Teams member id
#: a community whose own texts are as long and odd as a facilitator may make them
SAMPLE_COMMUNITY = CommunityContext(
    channel="C-sample",
    name=("Data & IA 🎉 {{ x }} " * 20)[: LONGEST["name"]],
    objective="o" * LONGEST["objective"],
    charter="c" * LONGEST["charter"],
    facilitators=tuple(f"{_PERSON}{i:02}" for i in range(LONGEST["people"])),
    sponsors=tuple(f"{_PERSON}{i:02}" for i in range(LONGEST["people"])),
    timezone="Pacific/Kiritimati",
    resources="r" * LONGEST["resources"],
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


#: The people taking part in the trial renders of texts that show a tally or a season.
CROWD = 50
#: The group a ``group_members`` step's text is tried with: three people with long names.
GROUP = [
    {"user_id": f"{_PERSON}{i}", "name": "N" * 200 + " 🎉", "mention": f"<@{_PERSON}{i}|Ada>"}
    for i in range(3)
]


class _EveryTally(dict[str, Any]):
    """``collected``: every collect step's name holds the same tally."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally.as_template()

    def __missing__(self, key: str) -> Any:
        return self.tally


def _conversations() -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``(what, collected, season)``: nobody took part; and a crowd with long names (a text
    naming everyone stays within the render budget for CROWD people, or shows fewer:
    ``contributors[:10]``)."""
    empty = Tally()
    yield "nobody taking part", _EveryTally(empty), season_view(Season("2026-Q4", {}), {})
    crowd = Tally.of(
        Contributor(f"U-{i}", f"{'N' * 50} {i} 🎉 {{{{ x }}}}", 1000 - i, i) for i in range(CROWD)
    )
    data = tallied({}, crowd)
    yield (
        f"{CROWD} people taking part",
        _EveryTally(crowd),
        season_view(Season("2026-Q4", data), data),
    )


def _highlight_sets() -> Iterator[tuple[str, Mapping[str, Any]]]:
    """What ``highlights`` may hold (bot.runtime.highlights): nothing worth a look; and
    everything, at its longest."""
    yield (
        "nothing highlighted",
        {
            "thread": None,
            "question": None,
            "open_question": None,
            "contributors": [],
            "sponsors_quiet": False,
        },
    )
    url = "https://example.com/" + "x" * 500
    name = f"{'N' * 80} 🎉 {{{{ x }}}}"
    yield (
        "everything highlighted",
        {
            "thread": {"url": url, "started": "30 septembre", "replies": 100_000},
            "question": {"url": url, "asked": "30 septembre", "topic": "t" * 80},
            "open_question": {"url": url, "asked": "30 septembre"},
            "contributors": [name, name, name],
            "sponsors_quiet": True,
        },
    )


def _answer_sets(keys: Iterable[str]) -> Iterator[tuple[str, Mapping[str, str]]]:
    yield "no answer yet", {}
    for described, value in HOSTILE_ANSWERS:
        yield f"with {described}", _Every(value, keys)


def answer_keys(playbook: schema.Playbook) -> tuple[str, ...]:
    """The names a run's answers go by: its questions' and its records'."""
    recorded = (s.key for s in playbook.steps if isinstance(s, schema.Record))
    kept = [
        name
        for s in playbook.steps
        for name in (
            getattr(s, "remember_as", None),
            s.save_as if isinstance(s, schema.Pick) else None,
        )
        if name
    ]
    if isinstance(playbook.trigger, schema.QuestionTrigger):
        kept.append(schema.QUESTION)
    if any(isinstance(s, schema.WaitReply) for s in playbook.steps):
        kept += ["replier", "replier_name"]
    if any(isinstance(s, schema.DmPeople) for s in playbook.steps):
        kept.append(schema.LINK)
    if playbook.grouping() is not None:
        kept += ["grouped", "partners", "round"]
    return (*sorted(question_keys(playbook)), *recorded, *kept)


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
    conversations = list(_conversations())
    if "collected" not in template and "season" not in template:
        conversations = conversations[:1]  # a text that shows neither: once is enough
    highlighted = list(_highlight_sets()) if "highlights" in template else [("", {})]
    for subject in _MEMBERS if member else (None,):
        for described, answers in _answer_sets(keys):
            for took_part, collected, season in conversations:
                for shown, highlights in highlighted:
                    values = {
                        "community": community,
                        "member": subject,
                        "answers": answers,
                        "collected": collected,
                        "season": season,
                        "highlights": highlights,
                        "locale": locale,
                        "group": GROUP,
                    }
                    said = described if len(conversations) == 1 else f"{described}, {took_part}"
                    said = f"{said}, {shown}" if shown else said
                    _render_by(deadline, template, values, said)


def settings_refusal(
    playbook: schema.Playbook, settings: Mapping[str, Any], community: CommunityContext
) -> str | None:
    """Why a community's ``settings`` (``rituals set``) cannot be stored for ``playbook``
    (None: they can): they do not fit it, or one of their texts fails a trial render — with
    ``community`` as it is, or with the longest community it may become."""
    try:
        customised = apply_overrides(playbook, settings)
    except OverrideError as problem:
        return str(problem)
    keys = answer_keys(customised)
    for step_id, texts in settings.get("texts", {}).items():
        member = _for_a_member(customised, step_id)
        template = getattr(customised.step(step_id), "text", None)
        assert isinstance(template, schema.LocalizedText)  # overrides only accept such steps
        for locale in texts:
            try:
                for sample in (community, SAMPLE_COMMUNITY):
                    text = template.get(locale)
                    try_render(text, sample, locale, member=member, keys=keys)
            except RenderError as problem:
                return f"text.{step_id}.{locale}: {problem}"
    return None


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


def _for_a_member(playbook: schema.Playbook, step_id: str) -> bool:
    """Whether the step's texts are rendered for a member (the ritual runs for each member, or
    the step is in the part each grouped member's own run goes through)."""
    if playbook.has_member_subject:
        return True
    start = playbook.member_part
    ids = [s.id for s in playbook.steps]
    return start is not None and step_id in ids and ids.index(step_id) >= start


def problems(playbook: schema.Playbook) -> Iterator[tuple[PathKey, str]]:
    """``(where, what)`` for every text of ``playbook`` a trial render refuses."""
    keys = answer_keys(playbook)
    for path, template in texts_of(playbook):
        locale = str(path[-1]) if path[-1] in schema.LOCALES else "en"
        member = _for_a_member(playbook, playbook.steps[int(path[1])].id)
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


# -- trials in a process of their own --------------------------------------------------------

#: all the trials of one playbook, or of one ``rituals set``, take at most this long
ISOLATED_SECONDS = 5.0
#: what a trial's process may take to start (the first one starts the fork server, which
#: imports this module): not the text's fault, so not counted in ISOLATED_SECONDS — a busy
#: machine must not refuse the bundled playbooks when the bot starts
START_SECONDS = 60.0
#: and at most this much memory (address space) — then their process is killed
ISOLATED_MEMORY = 512 * 1024 * 1024
#: never fork a process running an event loop and threads: children come from a server process
_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload(["playbooks.trial"])
_T = TypeVar("_T")


class TooExpensive(RenderError):
    """Trials went over their process's time or memory: ``template too expensive: …``."""


class TrialNotStarted(RuntimeError):
    """The machine could not start a trial's process: nothing is known about the text."""


def isolated(work: Callable[..., _T], *args: Any) -> _T:
    """``work(*args)`` (a module-level function, picklable arguments and result) done in a
    process of its own, killed after :data:`ISOLATED_SECONDS` or when it needs more than
    :data:`ISOLATED_MEMORY`; raises TooExpensive then. Blocks: call it off the event loop."""
    receiving, sending = _PROCESSES.Pipe(duplex=False)
    process = _PROCESSES.Process(target=_work_in_child, args=(sending, work, args), daemon=True)
    process.start()
    sending.close()
    try:
        if not receiving.poll(START_SECONDS):
            raise TrialNotStarted(f"a trial's process did not start within {START_SECONDS:g} s")
        receiving.recv()  # started: from now on, the text's time
        if not receiving.poll(ISOLATED_SECONDS):
            raise TooExpensive(
                f"template too expensive: trying it took longer than {ISOLATED_SECONDS:g} s"
            )
        try:
            done, result = receiving.recv()
        except EOFError:  # killed: out of memory at a level Python could not report
            raise TooExpensive(
                f"template too expensive: trying it needs more than "
                f"{ISOLATED_MEMORY // 2**20} MB of memory"
            ) from None
    finally:
        process.kill()
        process.join()
        receiving.close()
    if not done:
        raise result
    return result  # type: ignore[no-any-return]


def _work_in_child(sending: Connection, work: Callable[..., Any], args: tuple[Any, ...]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))
    sending.send(None)  # started
    try:
        outcome: tuple[bool, Any] = (True, work(*args))
    except MemoryError:
        outcome = (False, TooExpensive("template too expensive: it needs too much memory"))
    except Exception as exc:  # handed back to the caller as it was raised
        outcome = (False, exc if isinstance(exc, RenderError) else RenderError(repr(exc)))
    sending.send(outcome)
    sending.close()


_CHECKED: dict[str, list[tuple[PathKey, str]]] = {}


def checked(playbook: schema.Playbook) -> list[tuple[PathKey, str]]:
    """:func:`problems` of ``playbook``, found in a process of its own (and remembered: the
    library is checked each time the bot starts)."""
    key = playbook.model_dump_json()
    found = _CHECKED.get(key)
    if found is None:
        try:
            found = isolated(_problem_list, playbook)
        except TooExpensive as exc:
            found = [((), str(exc))]
        if len(_CHECKED) >= 256:
            _CHECKED.clear()
        _CHECKED[key] = found
    return found


def _problem_list(playbook: schema.Playbook) -> list[tuple[PathKey, str]]:
    return list(problems(playbook))
