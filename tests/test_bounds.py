"""Bounded work per input: templates render under a budget, durations and numbers are bounded,
and commands are read in linear time — a hostile facilitator or member never stalls the bot."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.cli import main
from bot.runtime import commands
from bot.settings import SlackSettings
from playbooks import trial
from playbooks.durations import parse_duration
from playbooks.loader import PlaybookError, parse_playbook
from playbooks.render_budget import Limits
from playbooks.templates import RenderError, render
from playbooks.trial import isolated
from tests.conftest import Harness, LiveServer, wait_for
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_support import (
    BOT_USER,
    SECRET,
    TEAM,
    TOKEN,
    SlackBot,
    fixture,
    running_bot,
    seed_slack_community,
)
from tests.test_commands import say
from tests.test_playbook_validation import VALID

#: two equal lists of 20000 lists of 20000 distinct-but-equal 20000-character texts: comparing
#: them froze the whole process (one C-level operation holds the GIL) for more than 40 s
FREEZE = (
    '{% set s1="x"*20000 %}{% set s2="x"*19999 ~ "x" %}{% set a=[s1]*20000 %}'
    "{% set b=[s2]*20000 %}{{ [a]*20000 == [b]*20000 }}"
)
#: 20000 items each looked for among 20000 texts: more than 15 s against a 1 s budget
SELECT_IN = (
    '{% set s1="x"*20000 %}{% set s2="x"*19999 ~ "y" %}{% set a=[s1]*20000 %}'
    '{% set b=[s2]*20000 %}{{ a|select("in", b)|list|length }}'
)
#: gigabytes of text made of a list before any size was checked
LIST_AS_TEXT = '{{ [["x"*20000]*20000]*20000 }}'
FORMATTED_LIST = '{% set a = ["x"*20000]*20000 %}{{ "%s" % ([a]*20000,) }}'
#: a thousand million texts by list literals alone: 10 × 10 × 10…
LITERALS = (
    '{% set s="x"*19000 %}{% set a=[s,s,s,s,s,s,s,s,s,s] %}{% set b=[a,a,a,a,a,a,a,a,a,a] %}'
    "{% set c=[b,b,b,b,b,b,b,b,b,b] %}{{ c == c }}"
)
#: 100 million iterations: the bot froze for every workspace while the sandbox rendered them
NESTED_LOOPS = (
    "{% for i in range(5000) %}{% for j in range(5000) %}{% for k in range(4) %}x"
    "{% endfor %}{% endfor %}{% endfor %}"
)


# -- the template bomb, through the real stack --------------------------------------------------


async def _command(server: LiveServer, user: str, name: str, args: str = "") -> tuple[int, str]:
    """Post ``/animateur <name> <args>`` to the local API; its status and the reply (by then)."""
    before = len(await server.messages(user=user))
    status, _ = await server.post_event(
        type="command", channel="C-data", user=user, command=name, args=args
    )

    async def replied() -> list[dict[str, Any]]:
        return (await server.messages(user=user))[before:]

    [reply] = await wait_for(replied)
    return status, str(reply["text"])


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        (NESTED_LOOPS, "more than 5000 loop iterations"),
        (FREEZE, "a value of more than 20000 characters"),
        (SELECT_IN, "a value of more than 20000 characters"),
    ],
    ids=["nested loops", "comparison freeze", "select in"],
)
@pytest.mark.alone
async def test_a_template_bomb_set_in_chat_is_refused_while_others_are_answered(
    live_server: LiveServer, template: str, reason: str
) -> None:
    bomb = f"set welcome text.objective.en='{template}'"
    facilitator = asyncio.ensure_future(_command(live_server, "U-dan", "rituals", bomb))
    await asyncio.sleep(0.05)  # the bomb is being validated
    started = time.monotonic()
    status, help_reply = await _command(live_server, "U-bob", "help")
    answered_in = time.monotonic() - started
    assert (status, help_reply.splitlines()[0]) == (202, "What you can do:")
    assert answered_in < 3.0, f"another member waited {answered_in:.1f} s"

    status, refused = await facilitator
    assert status == 202
    assert refused.startswith(f"text.objective.en: template too expensive: {reason}"), refused
    assert refused.splitlines()[-1].startswith("Usage: /animateur rituals list")
    _, listed = await _command(live_server, "U-dan", "rituals", "list")
    assert "• welcome (Welcome) — on" in listed and "(customised)" not in listed


async def test_trial_renders_of_a_text_hold_no_database_lock(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a facilitator's texts are tried (slowly, here), other events are processed: the
    trial runs outside the event's transaction — on SQLite one holds the only write lock."""
    entered, release = threading.Event(), threading.Event()
    trial = commands._refusal

    def slow_trial(*args: Any) -> str | None:
        entered.set()
        release.wait(20)
        return trial(*args)

    monkeypatch.setattr(commands, "_refusal", slow_trial)
    text = 'set welcome text.objective.en="Hello {{ member.name }}"'
    facilitator = asyncio.ensure_future(_command(live_server, "U-dan", "rituals", text))
    assert await asyncio.to_thread(entered.wait, 10), "the trial never started"
    try:
        status, help_reply = await _command(live_server, "U-bob", "help")
        assert (status, help_reply.splitlines()[0]) == (202, "What you can do:")
        assert not facilitator.done(), "the trial was over before the other member's answer"
    finally:
        release.set()
    status, said = await facilitator
    assert (status, said) == (202, "Welcome customised in Data & IA: text.objective.en.")
    _, listed = await _command(live_server, "U-dan", "rituals", "list")
    assert "• welcome (Welcome) — on (customised)" in listed


@pytest.mark.timeout(30)
def test_the_bomb_from_the_issue_is_refused_at_once() -> None:
    bomb = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    with pytest.raises(RenderError, match="template too expensive: range"):
        render(bomb, {})


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 'x' * 100000 }}", "a value of more than 20000 characters"),
        ("{{ 'x' * 15000 }}{{ 'y' * 15000 }}", "more than 20000 characters of text"),
        ("{% for i in range(6000) %}.{% endfor %}", "range() of more than 5000 numbers"),
        ("{% for c in 'x' * 3000 %}{{ c }}{{ c }}{% endfor %}{{ 'x' * 0 }}", None),
        ("{% for a in 'ab' * 50 %}{% for b in 'cd' * 50 %}.{% endfor %}{% endfor %}", "5000 loop"),
        ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "calls nested more than 30 deep"),
        ("{{ '%50000d' % 1 }}", "a % format wider than 20000 characters"),
        ("{{ 2 ** 100000 }}", "a value of more than 20000 characters"),
        ("{{ ('ab' * 500)|replace('', 'y' * 500) }}", "a value of more than 20000 characters"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(20) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "a value of more than 20000 characters",
        ),
        ("{{ 'x'.center(50000) }}", "access to attribute 'center' of 'str' object is unsafe"),
        ("{{ '{:>50000}'.format(1) }}", "access to attribute 'format' of 'str' object is unsafe"),
        ("{% for x in [[1]] recursive %}{{ loop(x) }}{% endfor %}", "recursive loops"),
        (FREEZE, "a value of more than 20000 characters"),
        (SELECT_IN, "a value of more than 20000 characters"),
        (LIST_AS_TEXT, "a value of more than 20000 characters"),
        (FORMATTED_LIST, "a value of more than 20000 characters"),
        (LITERALS, "a value of more than 20000 characters"),
        ("{{ ('x' * 6000)|select('in', 'xy')|list|length }}", "more than 5000 loop iterations"),
        ("{{ (['x'] * 3000 + ['y'] * 3000)|map('upper')|list }}", "more than 5000 loop iterations"),
        ("{% set d = {} %}{{ dict.update(d, a=1) }}", "attribute 'update' of 'type' object"),
        (  # 40 MB kept by a block before anything was output
            '{% set s = "x"*20000 %}{% set y %}{% for i in range(2000) %}{{ s }}{% endfor %}'
            "{% endset %}{{ y|length }}",
            "it builds more than 1000000 characters",
        ),
    ],
)
def test_every_render_is_bounded_with_a_reason(template: str, reason: str | None) -> None:
    if reason is None:  # within every limit: rendered as before
        assert len(render(template, {})) == 6000
        return
    with pytest.raises(RenderError) as refused:
        render(template, {})
    assert reason in str(refused.value)


def test_a_render_has_a_deadline() -> None:
    slow = "{% for i in range(3) %}{{ i }}{% endfor %}"
    assert render(slow, {}) == "012"
    with pytest.raises(RenderError, match="template too expensive: it takes more than 0 s"):
        render(slow, {}, Limits(seconds=0.0))


@pytest.mark.alone
def test_a_trial_that_runs_too_long_is_killed_and_refused() -> None:
    started = time.monotonic()
    with pytest.raises(RenderError) as refused:
        isolated(time.sleep, 60)  # anything a render could do that no budget interrupts
    assert str(refused.value) == "template too expensive: trying it took longer than 5 s"
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == [], "the trial's process is still running"
    assert isolated(len, "still works") == 11


REAL_PROCESSES = trial._PROCESSES


def _late(after: float, target: Any, *args: Any) -> None:
    time.sleep(after)  # the machine is busy: the process gets going late
    target(*args)


class SlowToStart:
    """Trial processes that get going ``after`` seconds late — a busy machine."""

    def __init__(self, after: float) -> None:
        self.after = after

    def Pipe(self, duplex: bool) -> Any:
        return REAL_PROCESSES.Pipe(duplex=duplex)

    def Process(self, target: Any, args: tuple[Any, ...], daemon: bool) -> Any:
        late = functools.partial(_late, self.after, target)
        return REAL_PROCESSES.Process(target=late, args=args, daemon=daemon)


@pytest.mark.alone
def test_a_trial_s_time_counts_from_when_its_process_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A machine slow to start the trial's process does not make a text too expensive: its
    time starts once the process runs."""
    monkeypatch.setattr(trial, "ISOLATED_SECONDS", 1.0)
    monkeypatch.setattr(trial, "_PROCESSES", SlowToStart(after=1.5))
    assert isolated(len, "started late") == 12
    with pytest.raises(RenderError, match="took longer than 1 s"):
        isolated(time.sleep, 3)  # once started, a second is all it gets


async def test_a_machine_that_cannot_start_a_trial_says_so_and_changes_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trial, "START_SECONDS", 0.5)
    monkeypatch.setattr(trial, "_PROCESSES", SlowToStart(after=60))
    with pytest.raises(trial.TrialNotStarted):
        isolated(len, "never started")
    fine = 'rituals set checkin text.result.en="You aimed at {{ answers.objective|upper }}"'
    said = await say(harness, "U-dan", fine)
    assert said.startswith("The bot is too busy to try these settings right now"), said
    async with harness.store.transaction() as tx:
        assert await tx.directory.playbook_settings(1, "checkin") == {}

    monkeypatch.undo()  # the machine has time again: the same settings are tried and kept
    assert (await say(harness, "U-dan", fine)).startswith("Weekly check-in customised")


def test_a_trial_that_needs_gigabytes_is_stopped_and_refused() -> None:
    with pytest.raises(RenderError) as refused:
        isolated(bytearray, 2 * 2**30)
    assert str(refused.value).startswith("template too expensive: it needs too much memory")
    assert isolated(bytearray, 10) == bytearray(10)


# -- validation with hostile answers ---------------------------------------------------------


async def test_a_text_that_breaks_on_some_answers_is_refused_when_set(harness: Harness) -> None:
    quadratic = (
        'rituals set checkin text.result.en="{% for a in answers.objective %}'
        '{% for b in answers.objective %}.{% endfor %}{% endfor %}"'
    )
    refused = await say(harness, "U-dan", quadratic)
    assert refused.startswith(
        "text.result.en: template too expensive: more than 5000 loop iterations "
        "(with a 3000-character answer)"
    ), refused
    dividing = "{{ 100 // (answers.get('objective', '1')|int) }}%"
    refused = await say(harness, "U-dan", f'rituals set checkin text.result.en="{dividing}"')
    assert refused.startswith("text.result.en: ZeroDivisionError"), refused
    assert refused.splitlines()[0].endswith("(with an empty answer)")
    fine = 'rituals set checkin text.result.en="You aimed at {{ answers.objective|upper }}"'
    assert (await say(harness, "U-dan", fine)).startswith("Weekly check-in customised")
    async with harness.store.transaction() as tx:
        settings = await tx.directory.playbook_settings(1, "checkin")
    assert settings == {"texts": {"result": {"en": "You aimed at {{ answers.objective|upper }}"}}}


async def test_a_text_that_breaks_once_the_community_grows_is_refused_when_set(
    harness: Harness,
) -> None:
    """Fine with the objective the community has today (a few words), a text looping over it
    twice would end every run once a facilitator writes a 1000-character objective."""
    grows = (
        "{% for a in community.objective %}{% for b in community.objective %}.{% endfor %}"
        "{% endfor %}"
    )
    refused = await say(harness, "U-dan", f'rituals set welcome text.objective.en="{grows}"')
    assert refused.startswith(
        "text.objective.en: template too expensive: more than 5000 loop iterations"
    ), refused
    once = "Our aim: {% for c in community.objective %}{{ c }}{% endfor %}"
    done = await say(harness, "U-dan", f'rituals set welcome text.objective.en="{once}"')
    assert done == "Welcome customised in Data & IA: text.objective.en."
    async with harness.store.transaction() as tx:
        settings = await tx.directory.playbook_settings(1, "welcome")
    assert settings == {"texts": {"objective": {"en": once}}}


def test_a_bomb_in_a_playbook_file_is_reported_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = VALID.replace("      en: Hello", f'      en: "{NESTED_LOOPS}"')
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(bomb, "ritual.yaml")
    [problem] = caught.value.problems
    assert str(problem) == (
        "ritual.yaml:10: steps.0.text.en: template too expensive: more than 5000 loop "
        "iterations (no answer yet)"
    )
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, encoding="utf-8")
    assert main(["playbooks", "check", str(path)]) == 1
    assert capsys.readouterr().out.startswith(f"{path}:10: steps.0.text.en: template too")


def test_a_file_text_that_breaks_only_on_long_answers_is_reported() -> None:
    asks = VALID.replace(
        "    kind: send_dm\n    text:\n      en: Hello\n",
        "    kind: ask\n    text:\n      en: Hello\n",
    ) + (
        "  - id: echo\n    kind: send_dm\n    text:\n"
        "      en: '{{ answers.hello ~ answers.hello ~ answers.hello ~ answers.hello "
        "~ answers.hello ~ answers.hello ~ answers.hello }}'\n      fr: ok\n"
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(asks, "ritual.yaml")
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith("ritual.yaml:15: steps.1.text.en: template too expensive: a value")
    assert problem.endswith("(with a 3000-character answer)")


# -- durations and numbers -----------------------------------------------------------------


def test_durations_are_bounded_and_never_overflow() -> None:
    assert parse_duration("365d") == timedelta(days=365)
    assert parse_duration("52w1d") == timedelta(days=365)
    for huge in ("9999999999w", "366d", "99999999d", "9" * 5000 + "s"):
        with pytest.raises(ValueError, match=r"too long|is not a duration"):
            parse_duration(huge)


async def test_a_huge_snooze_answers_usage_not_500(live_server: LiveServer) -> None:
    status, reply = await _command(live_server, "U-bob", "snooze", "9999999999w")
    assert status == 202
    assert reply.splitlines() == [
        "a duration such as 3d or 2w, at most 26w, or off",
        "Usage: /animateur snooze <duration: 3d, 2w…|off>",
    ]
    status, reply = await _command(live_server, "U-bob", "snooze", "2w")
    assert (status, reply.startswith("Rituals paused for you until")) == (202, True), reply
    await _command(live_server, "U-bob", "snooze", "27w")
    async with live_server.bot.store.transaction() as tx:
        community = (await tx.directory.communities())[0]
        bob = await tx.directory.member(community.workspace_id, "U-bob")
    assert bob is not None and bob.snoozed_until is not None, "27w changed nothing"


async def test_a_huge_reminder_is_refused_and_members_still_join(live_server: LiveServer) -> None:
    status, reply = await _command(
        live_server, "U-dan", "rituals", "set welcome reminder.charter=99999999d"
    )
    assert status == 202
    assert reply.startswith("steps.1.ask.reminder: '99999999d' is too long: at most 365 days")
    async with live_server.bot.store.transaction() as tx:
        community = (await tx.directory.communities())[0]
        assert community.id is not None
        assert await tx.directory.playbook_settings(community.id, "welcome") == {}
    join = {"type": "member_joined", "channel": "C-data", "user": "U-chloe", "id": "join-9"}
    status, body = await live_server.post_event(**join)
    assert (status, body["status"]) == (202, "processed")
    welcome = await wait_for(lambda: live_server.messages(user="U-chloe"))
    assert "Data & IA" in welcome[0]["text"]
    _, reply = await _command(live_server, "U-dan", "rituals", "set welcome reminder.charter=2d")
    assert reply == "Welcome customised in Data & IA: reminder.charter."


async def test_a_schedule_or_digest_more_often_than_daily_is_refused(harness: Harness) -> None:
    for setting in ('schedule="* * * * *"', 'digest="*/5 9 * * *"', 'schedule="0 9,17 * * *"'):
        refused = await say(harness, "U-dan", f"rituals set checkin {setting}")
        key, _, cron = setting.partition("=")
        assert refused.startswith(
            f"{key}: '{cron.strip(chr(34))}' may fire more than once a day; a community's {key} "
            "fires at most once a day"
        ), refused
        assert refused.splitlines()[-1].startswith("Usage: /animateur rituals list")
    async with harness.store.transaction() as tx:
        assert await tx.directory.playbook_settings(1, "checkin") == {}
    done = await say(harness, "U-dan", 'rituals set checkin schedule="0 10 * * tue"')
    assert done == "Weekly check-in customised in Data & IA: schedule."
    done = await say(harness, "U-dan", 'rituals set checkin digest="0 17 * * mon-fri"')
    assert done == "Weekly check-in customised in Data & IA: digest."


async def test_too_many_settings_at_once_are_refused(harness: Harness) -> None:
    pairs = " ".join(f"reminder.charter={n}h" for n in range(1, 23))
    refused = await say(harness, "U-dan", f"rituals set welcome {pairs}")
    assert refused.startswith("at most 20 settings at once\nUsage: /animateur rituals")
    async with harness.store.transaction() as tx:
        assert await tx.directory.playbook_settings(1, "welcome") == {}


# -- inbound text ----------------------------------------------------------------------------


@pytest_asyncio.fixture
async def slack_bot(database_url: str) -> AsyncIterator[SlackBot]:
    async with FakeSlackApi() as slack:
        slack.add_team(team_id=TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
        slack.add_user(TEAM, "U0001", "ada", locale="en-US", tz="America/New_York")
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, _env_file=None)
        async with running_bot(database_url, slack, settings) as running:
            await seed_slack_community(running.bot)
            yield running


@pytest.mark.alone
async def test_a_900_kb_command_is_answered_at_once_with_why(slack_bot: SlackBot) -> None:
    url = slack_bot.slack.response_url()
    huge = fixture("command_help") | {
        "text": "community setup name=" + "a" * 900_000,
        "response_url": url,
    }
    started = time.monotonic()
    assert (await slack_bot.form(huge)).status == 200
    [answer] = await wait_for(lambda: _some(slack_bot.slack.responses), within=10.0)
    assert time.monotonic() - started < 5.0
    length = len("community setup name=") + 900_000
    assert answer["text"] == (
        f"This command is too long ({length} characters): at most 10000 characters and 100 words."
    )
    helped = fixture("command_help") | {"response_url": url, "trigger_id": "t-2"}
    assert (await slack_bot.form(helped)).status == 200
    answers = await wait_for(lambda: _some(slack_bot.slack.responses[1:]))
    assert answers[0]["text"].startswith("What you can do:")


async def _some(found: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return found or None


async def test_an_unclosed_quote_is_an_error_not_a_value(harness: Harness) -> None:
    refused = await say(harness, "U-dan", 'community setup name="Data')
    assert refused.splitlines()[0] == (
        'A quote is not closed in “name="Data”: close it, e.g. name="Data & AI".'
    )
    assert refused.splitlines()[1].startswith("Usage: /animateur community show | setup")
    assert (await say(harness, "U-dan", "community show")).startswith("*Data & IA*")
    french = await say(harness, "U-alice", "optout 'welcome")
    assert french.startswith("Un guillemet n'est pas fermé dans « 'welcome »")
    done = await say(harness, "U-dan", 'community setup objective=l\'entraide name="Data & AI"')
    assert done == "Data & AI updated: objective, name."
    assert "Why it exists: l'entraide" in await say(harness, "U-dan", "community show")


async def test_every_setup_value_at_its_longest_fits_in_one_command(harness: Harness) -> None:
    line = f"community setup charter={'c' * 3000} objective={'o' * 1000} resources={'r' * 2000}"
    assert await say(harness, "U-dan", line) == (
        "Data & IA updated: charter, objective, resources."
    )


async def test_too_many_words_are_refused(harness: Harness) -> None:
    refused = await say(harness, "U-dan", "rituals " + "x " * 120)
    assert refused.startswith("This command has too many words (120): at most 100.")
    assert refused.splitlines()[-1].startswith("Usage: /animateur rituals")
