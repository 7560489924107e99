"""Playbook files: every problem is reported as file:line with what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from playbooks.loader import LIBRARY, PlaybookError, load_library, parse_playbook

VALID = """\
name: demo
title: {en: Demo, fr: Démo}
description: {en: A demo, fr: Une démo}
trigger:
  on: member_joined
steps:
  - id: hello
    kind: send_dm
    text:
      en: Hello
      fr: Bonjour
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "ritual.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_valid_example_parses() -> None:
    assert parse_playbook(VALID).steps[0].id == "hello"


def test_bad_indentation_points_at_the_line() -> None:
    [problem] = problems(VALID.replace("      fr: Bonjour", "     fr: Bonjour"))
    assert problem.startswith("ritual.yaml:11: YAML syntax: indentation does not line up")


def test_unknown_step_kind_points_at_the_step() -> None:
    [problem] = problems(VALID.replace("kind: send_dm", "kind: send_sms"))
    assert problem.startswith("ritual.yaml:8: steps.0.kind: unknown value 'send_sms'")
    assert "send_dm" in problem


def test_missing_french_text_points_at_the_text() -> None:
    [problem] = problems(VALID.replace("      fr: Bonjour\n", ""))
    assert problem == "ritual.yaml:9: steps.0.send_dm.text.fr: required field is missing"


def test_bad_cron_points_at_the_cron_line() -> None:
    scheduled = VALID.replace(
        "trigger:\n  on: member_joined", "trigger:\n  on: schedule\n  cron: '61 9 * * mon'"
    ).replace("kind: send_dm", "kind: post_to_community")
    [problem] = problems(scheduled)
    assert problem.startswith("ritual.yaml:6: trigger.schedule.cron: invalid cron expression")


def test_unknown_field_and_broken_template_are_both_reported() -> None:
    text = VALID.replace("      en: Hello", "      en: Hello {{ member.name").replace(
        "    kind: send_dm", "    kind: send_dm\n    colour: blue"
    )
    found = problems(text)
    assert "ritual.yaml:9: steps.0.send_dm.colour: unknown field" in found
    template_error = "ritual.yaml:11: steps.0.send_dm.text.en: template error"
    assert any(p.startswith(template_error) for p in found)


def test_a_target_that_does_not_exist_is_reported_at_its_line() -> None:
    [problem] = problems(VALID + "    next: nowhere\n")
    assert problem == "ritual.yaml:12: steps.0.next: no step has id 'nowhere'"


def test_a_member_step_in_a_community_ritual_is_reported() -> None:
    scheduled = VALID.replace("  on: member_joined", "  on: schedule\n  cron: '30 9 * * mon'")
    [problem] = problems(scheduled)
    assert "ritual.yaml:9: steps.0.kind: 'send_dm' talks to one member" in problem


def test_a_wait_needs_a_duration_or_a_moment_and_a_digest_needs_a_text() -> None:
    text = (
        VALID
        + "  - id: pause\n    kind: wait\n"
        + "  - id: later\n    kind: wait\n    until: friday\n"
        + "digest:\n  cron: '0 17 * * fri'\n"
    )
    assert problems(text) == [
        "ritual.yaml:12: steps.1.wait: a wait step needs either 'duration' (e.g. 1d) "
        "or 'until' (e.g. fri 15:00)",
        "ritual.yaml:16: steps.2.wait.until: 'friday' is not a moment of the week: "
        "write e.g. 'fri 15:00' or '09:30'",
        "ritual.yaml:17: digest: a digest needs a 'community' text, a 'facilitators' text, or both",
    ]


def test_yes_no_and_on_stay_strings() -> None:
    playbook = parse_playbook(
        VALID.replace("id: hello", "id: hello\n    next: finish")
        + "  - id: finish\n    kind: record\n    key: flag\n    value: yes\n"
    )
    assert playbook.steps[1].value == "yes"  # type: ignore[union-attr]


def test_every_bundled_playbook_is_valid() -> None:
    assert "welcome" in load_library()


def test_cli_check_prints_file_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("kind: send_dm", "kind: teleport"), encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    assert main(["playbooks", "check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}:8: steps.0.kind: unknown value 'teleport'")
    assert main(["playbooks", "check", str(good), str(LIBRARY)]) == 0
    assert "playbook(s) valid" in capsys.readouterr().out


def test_cli_list_shows_the_bundled_rituals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playbooks", "list"]) == 0
    assert "welcome" in capsys.readouterr().out


CONVERSING = """\
name: conversing
title: {en: Conversing, fr: Conversation}
description: {en: A ritual in the conversation, fr: Un rituel dans la conversation}
trigger:
  on: schedule
  cron: '0 10 * * tue'
lists:
  prompts: {en: [a tip], fr: [une astuce]}
steps:
  - id: choose
    kind: pick
    from: prompts
    save_as: prompt
  - id: post
    kind: post_to_community
    remember_as: challenge
    text: {en: "{{ answers.prompt }}", fr: "{{ answers.prompt }}"}
  - id: close
    kind: collect
    thread: challenge
    until: thu 16:00
    save_as: week
  - id: recap
    kind: reply_in_thread
    thread: challenge
    text: {en: "{{ collected.week.people }} people", fr: "{{ collected.week.people }} personnes"}
"""


def test_a_conversation_ritual_parses() -> None:
    playbook = parse_playbook(CONVERSING)
    assert [s.kind for s in playbook.steps] == [
        "pick",
        "post_to_community",
        "collect",
        "reply_in_thread",
    ]
    assert playbook.uses_season


def test_a_thread_no_earlier_step_remembers_points_at_the_thread() -> None:
    [problem] = problems(
        CONVERSING.replace("    thread: challenge\n    text:", "    thread: chalenge\n    text:")
    )
    assert problem.startswith(
        "ritual.yaml:25: steps.3.thread: no earlier step remembers 'chalenge' (known: 'challenge')"
    )


def test_a_thread_remembered_only_later_is_refused() -> None:
    moved = CONVERSING.replace("    remember_as: challenge\n", "").replace(
        "    save_as: week\n",
        "    save_as: week\n  - id: again\n    kind: post_to_community\n"
        "    remember_as: challenge\n    text: {en: again, fr: encore}\n",
    )
    found = problems(moved)
    # the collect comes before the post it names; the recap after it
    assert [p.split(": ")[1] for p in found] == ["steps.2.thread"]
    assert "known: none" in found[0]


def test_question_is_a_thread_only_in_a_ritual_started_by_a_question() -> None:
    waiting = VALID.replace(
        "  - id: hello",
        "  - id: wait\n    kind: wait_reply\n    thread: question\n    timeout: 4h\n  - id: hello",
    )
    [problem] = problems(waiting)
    assert problem.startswith("ritual.yaml:9: steps.0.thread: no earlier step remembers 'question'")
    asked = waiting.replace("on: member_joined", "on: question")
    assert parse_playbook(asked).trigger.on == "question"


def test_a_pick_from_an_unknown_list_points_at_its_from() -> None:
    [problem] = problems(CONVERSING.replace("from: prompts", "from: topics"))
    assert problem == (
        "ritual.yaml:12: steps.0.from: no list 'topics' in the playbook's 'lists' "
        "(lists: 'prompts')"
    )


def test_collect_and_wait_reply_need_their_time() -> None:
    [problem] = problems(CONVERSING.replace("    until: thu 16:00\n", ""))
    assert problem == (
        "ritual.yaml:18: steps.2.collect: a collect step needs either 'duration' (e.g. 2d) "
        "or 'until' (e.g. thu 16:00)"
    )
    waiting = VALID.replace("on: member_joined", "on: question").replace(
        "  - id: hello", "  - id: wait\n    kind: wait_reply\n    thread: question\n  - id: hello"
    )
    [problem] = problems(waiting)
    assert problem == "ritual.yaml:7: steps.0.wait_reply.timeout: required field is missing"


def test_lists_have_as_many_items_in_each_language() -> None:
    [problem] = problems(CONVERSING.replace("fr: [une astuce]", "fr: [une astuce, deux]"))
    assert "a list has as many items in each language (en: 1, fr: 2)" in problem
    assert problem.startswith("ritual.yaml:8: lists.prompts")


def test_a_remembered_post_and_a_saved_value_cannot_share_a_name() -> None:
    [problem] = problems(CONVERSING.replace("save_as: prompt", "save_as: challenge"))
    assert problem == (
        "ritual.yaml:16: steps.1.remember_as: 'challenge' is also set by step 'choose'; "
        "a post's thread and another value cannot share a name"
    )
    asked = CONVERSING.replace("on: schedule\n  cron: '0 10 * * tue'", "on: question").replace(
        "remember_as: challenge", "remember_as: question"
    )
    [problem] = problems(asked.replace("thread: challenge", "thread: question"))
    assert "steps.1.remember_as: 'question' is also set by the question trigger" in problem


def test_two_posts_cannot_be_remembered_under_one_name() -> None:
    twice = CONVERSING.replace(
        "    save_as: week\n",
        "    save_as: week\n  - id: again\n    kind: post_to_community\n"
        "    remember_as: challenge\n    text: {en: again, fr: encore}\n",
    )
    [problem] = problems(twice)
    assert problem == (
        "ritual.yaml:25: steps.3.remember_as: 'challenge' is remembered by step 'post' "
        "already; give each post its own name"
    )
