"""The ``only`` member filter of a ritual for each member, as written in a playbook file: it
parses with its durations, and a file that uses it where it means nothing is refused with
where and why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from playbooks.loader import PlaybookError, parse_playbook

RITUAL = """\
name: quiet
title: {en: Quiet, fr: Calme}
description: {en: d, fr: d}
trigger:
  on: schedule
  cron: "0 10 * * mon-fri"
  %s
steps:
  - id: hello
    kind: send_dm
    text: {en: "Hi {{ highlights.thread.url if highlights.thread }}", fr: "Salut"}
"""


def test_a_filter_for_each_member_parses_with_its_durations() -> None:
    playbook = parse_playbook(
        RITUAL % "audience: each_member\n  only: {silent_for: 30d, again_after: 8w, at_most: 3}"
    )
    only = playbook.member_filter
    assert only is not None
    assert (only.silent_delta, only.again_delta, only.at_most) == (
        timedelta(days=30),
        timedelta(weeks=8),
        3,
    )
    assert playbook.uses_highlights


@pytest.mark.parametrize(
    ("trigger", "why"),
    [
        (
            "only: {role: sponsors}",
            "'only' chooses among members: it needs 'audience: each_member'",
        ),
        ("audience: each_member\n  only: {silent_for: soon}", "soon"),
        ("audience: each_member\n  only: {role: everyone}", "sponsors"),
        ("audience: each_member\n  only: {at_most: 0}", "greater than or equal to 1"),
    ],
)
def test_a_filter_that_means_nothing_is_refused_with_where(trigger: str, why: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(RITUAL % trigger, "quiet.yaml")
    said = str(caught.value)
    assert said.startswith("quiet.yaml:") and why in said, said
