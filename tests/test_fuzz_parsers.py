"""Property-based tests (hypothesis) of what people type and write: the command parser, the
override parser (and ``rituals set`` end to end), the playbook loader. Whatever the input, the
answer is a result or a clear refusal — never an unhandled exception, never a stored value that
breaks the community. Bounded so that the suite stays fast."""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime.arguments import MAX_WORDS, ArgumentError, split_words
from bot.runtime.clock import ManualClock
from playbooks.loader import PlaybookError, load_library, parse_playbook
from playbooks.overrides import OverrideError, apply_overrides, with_pairs
from playbooks.schema import Playbook
from playbooks.templates import RenderError, render
from storage.database import make_engine, upgrade
from tests.builders import T0, joined
from tests.conftest import Harness
from tests.test_commands import say
from tests.test_playbook_validation import VALID

BOUNDED = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
LIBRARY = load_library()

# -- the command parser ----------------------------------------------------------------------

plain_word = st.text(
    st.characters(
        blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc"), blacklist_characters="\"'\\"
    ),
    min_size=1,
    max_size=20,
)


@BOUNDED
@given(st.text(max_size=600))
def test_any_text_is_words_or_a_clear_refusal(text: str) -> None:
    try:
        words = split_words(text)
    except ArgumentError as refused:
        assert refused.key in ("unclosed_quote", "command_too_many_words")
        return
    assert all(isinstance(w, str) for w in words) and len(words) <= MAX_WORDS


@BOUNDED
@given(st.lists(plain_word, max_size=MAX_WORDS))
def test_plain_words_come_back_as_typed(words: list[str]) -> None:
    assert split_words(" ".join(words)) == words


@BOUNDED
@given(
    st.from_regex(r"[a-z][a-z_.]{0,12}", fullmatch=True),
    st.text(st.characters(blacklist_characters='"\\', blacklist_categories=("Cs",)), max_size=80),
)
def test_a_quoted_value_keeps_its_spaces_like_shlex(key: str, value: str) -> None:
    typed = f'{key}="{value}"'
    assert split_words(typed) == [f"{key}={value}"] == shlex.split(typed)


@BOUNDED
@given(st.from_regex(r"[a-z]{1,8}=\"[^\"\\]{0,30}", fullmatch=True))
def test_an_unclosed_quote_is_never_a_value(typed: str) -> None:
    try:
        split_words(typed)
    except ArgumentError as refused:
        assert refused.key == "unclosed_quote"
    else:
        raise AssertionError(f"{typed!r} was read as a value")


# -- the override parser ---------------------------------------------------------------------

STEPS = sorted({s.id for p in LIBRARY.values() for s in p.steps} | {"nowhere", ""})
durations = st.sampled_from(["4h", "2d", "0s", "366d", "9999999999w", "1d12h", "fri 15:00", "x"])
templates = st.sampled_from(
    [
        "Hi {{ member.name }}",
        "{{ answers.objective|upper }}",
        "{% for i in range(99999) %}x{% endfor %}",
        "{% for a in answers.objective %}{% for b in answers.objective %}.{% endfor %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ community.sponsors[4].name }}",
        "{{ ",
        "{% for x in y recursive %}{{ loop(x) }}{% endfor %}",
    ]
) | st.text(max_size=60)
crons = st.sampled_from(["0 10 * * tue", "61 9 * * mon", "* * * * *", "x"]) | st.text(max_size=20)
pair = st.one_of(
    st.tuples(st.sampled_from(["schedule", "digest"]), crons).map("=".join),
    st.tuples(
        st.sampled_from(["text"]), st.sampled_from(STEPS), st.sampled_from(["en", "fr", "de"])
    )
    .map(".".join)
    .flatmap(lambda key: templates.map(lambda value: f"{key}={value}")),
    st.tuples(st.sampled_from(["wait", "reminder"]), st.sampled_from(STEPS))
    .map(".".join)
    .flatmap(lambda key: durations.map(lambda value: f"{key}={value}")),
    st.text(max_size=30),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)


@BOUNDED
@given(st.sampled_from(sorted(LIBRARY)), st.lists(pair, max_size=6))
def test_any_pairs_give_a_playbook_or_say_what_is_wrong(name: str, pairs: list[str]) -> None:
    try:
        customised = apply_overrides(LIBRARY[name], with_pairs({}, pairs))
    except OverrideError as refused:
        assert str(refused)
        return
    assert isinstance(customised, Playbook)


@BOUNDED
@given(
    st.sampled_from(sorted(LIBRARY)),
    st.dictionaries(
        st.sampled_from(["schedule", "digest", "texts", "waits", "reminders", "colour"]),
        json_values,
        max_size=4,
    ),
)
def test_stored_overrides_of_any_shape_never_crash(name: str, stored: dict[str, Any]) -> None:
    try:
        apply_overrides(LIBRARY[name], stored)
    except OverrideError as refused:
        assert str(refused)


def _typed(pair: str) -> str:
    """``pair`` as one quoted word of a command."""
    return '"' + pair.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def harness_on_its_loop(tmp: Path) -> Iterator[tuple[asyncio.AbstractEventLoop, Harness]]:
    """A seeded harness and the loop to drive it from a (synchronous) hypothesis test."""
    loop = asyncio.new_event_loop()
    url = f"sqlite+aiosqlite:///{tmp / 'fuzz.db'}"

    async def create() -> Harness:
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        built = Harness.create(url, ManualClock(T0))
        await built.seed(["welcome", "checkin"])
        return built

    harness = loop.run_until_complete(create())
    try:
        yield loop, harness
    finally:
        loop.run_until_complete(harness.store.close())
        loop.close()


def test_rituals_set_never_stores_what_breaks_the_community(tmp_path: Path) -> None:
    with harness_on_its_loop(tmp_path) as (loop, harness):
        members = iter(range(10_000))

        async def attempt(name: str, pairs: list[str]) -> None:
            line = " ".join(["rituals", "set", name, *(_typed(p) for p in pairs)])
            answer = await say(harness, "U-dan", line)
            assert answer, "always an answer"
            async with harness.store.transaction() as tx:
                stored = await tx.directory.playbook_settings(1, name)
            apply_overrides(LIBRARY[name], stored)  # what was stored fits the playbook
            status = await harness.dispatcher.handle(joined(f"U-new{next(members)}"))
            assert status == "processed", "members still join"

        @settings(
            max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.sampled_from(sorted(LIBRARY)), st.lists(pair, min_size=1, max_size=4))
        def check(name: str, pairs: list[str]) -> None:
            loop.run_until_complete(attempt(name, pairs))

        check()


# -- texts -----------------------------------------------------------------------------------

FRAGMENTS = [
    "{{", "}}", "{%", "%}", " for x in ", " endfor ", " if ", " endif ", " set ns = ", "range(",
    "5000", "99", ")", "(", "'x'", " * ", " ** ", " ~ ", " + ", " % ", "|join",
    "|replace('', 'yy')", "|list", "|sum", "namespace(s='x')", "ns.s", "answers.a", "member.name",
    "community.charter",
    "loop.index", "macro m(n)", "m(n)", "endmacro", "x", ",", "[", "]", ".split()", ".upper()",
    "20000", " set a = ", "[a]", "[a, a, a]", " == ", " in ", "|select('in', a)", "|map('upper')",
    "|sort", "|unique", " set y ", " endset ", "a", "dict.update(", "'%s' % ",
]  # fmt: skip


@settings(BOUNDED, max_examples=100)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join) | st.text(max_size=80))
def test_any_text_renders_within_its_limits_or_says_why(template: str) -> None:
    values = {"answers": {"a": "x" * 3000}, "member": None, "community": None}
    started = time.monotonic()
    try:
        rendered = render(template, values)
    except RenderError as refused:
        assert str(refused)
        return
    finally:  # a render's budget is 1 s: generous, for a loaded machine
        assert time.monotonic() - started < 10, f"{template!r} held the process"
    assert len(rendered) <= 20_000


# -- the playbook loader ---------------------------------------------------------------------


def _loaded_or_located(text: str) -> None:
    try:
        parse_playbook(text, "fuzz.yaml")
    except PlaybookError as refused:
        assert refused.problems
        last = text.count("\n") + 2
        for problem in refused.problems:
            assert problem.file == "fuzz.yaml" and 1 <= problem.line <= last, problem
            assert problem.message


@BOUNDED
@given(st.text(max_size=400))
def test_any_text_is_a_playbook_or_problems_at_lines(text: str) -> None:
    _loaded_or_located(text)


@BOUNDED
@given(st.data())
def test_a_mutated_playbook_is_a_playbook_or_problems_at_lines(data: st.DataObject) -> None:
    text = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        insert = data.draw(
            st.sampled_from(["", ":", "- ", "  ", "\n", "{{", "{%", "&a ", "*a", "'"])
        )
        text = text[:at] + insert + text[at + cut :]
    _loaded_or_located(text)


KEYS = [
    "name",
    "title",
    "description",
    "trigger",
    "steps",
    "digest",
    "id",
    "kind",
    "text",
    "en",
    "fr",
    "on",
    "cron",
    "next",
    "choices",
    "value",
    "label",
    "duration",
    "until",
    "reminder",
]
KEY = st.sampled_from(KEYS)
yaml_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from(["send_dm", "ask", "wait", "member_joined", "schedule", "1d", "{{ x }}"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=5),
    max_leaves=25,
)


@settings(BOUNDED, max_examples=100)
@given(st.dictionaries(KEY, yaml_values, max_size=6))
def test_any_yaml_document_is_a_playbook_or_problems_at_lines(document: dict[str, Any]) -> None:
    _loaded_or_located(yaml.safe_dump(document, allow_unicode=True))
