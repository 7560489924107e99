"""The conversation steps in the pure engine: a reply whose thread is not known yet waits and
retries, then falls back to the channel; a community's own list is picked from."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.vocabulary import actions as act
from playbooks.conversation import Season
from playbooks.engine import THREAD_GIVE_UP, THREAD_RETRY, Engine, RunState
from playbooks.loader import load_library, parse_playbook
from playbooks.overrides import OverrideError, apply_overrides, with_pairs
from tests.builders import T0, context, tick

RITUALS = load_library(Path(__file__).parent / "fixtures" / "rituals")

REPLYING = """\
name: replying
title: {en: Replying, fr: Réponse}
description: {en: Replies, fr: Réponses}
trigger: {on: member_joined}
steps:
  - id: post
    kind: post_to_community
    remember_as: spot
    text: {en: Here, fr: Ici}
  - id: reply
    kind: reply_in_thread
    thread: spot
    text: {en: In the thread, fr: Dans le fil}
"""


def test_a_reply_waits_for_its_thread_then_goes_to_the_channel_and_says_so() -> None:
    engine = Engine({"replying": parse_playbook(REPLYING)})
    started = engine.start("replying", context(), T0)
    assert [type(a) for a in started.actions] == [act.PostToCommunity]
    assert started.actions[0].remember == "spot"  # type: ignore[union-attr]
    state = started.state
    assert (state.step, state.wake_at) == ("reply", T0 + THREAD_RETRY)

    # known by the next try (delivery wrote it): the reply goes in the thread
    known = replace(state, variables={**state.variables, "spot": "1733.0001"})
    moved = engine.on_event(known, tick(at=known.wake_at), context(), known.wake_at)  # type: ignore[arg-type]
    assert moved.actions == (
        act.ReplyInThread(channel="C1", thread="1733.0001", text="In the thread"),
    )
    assert moved.state.status == "done" and moved.notes == ()

    # never known: retried each minute, then posted in the channel, and the run's log says why
    at = state.wake_at
    assert at is not None
    while True:
        moved = engine.on_event(state, tick(at=at), context(), at)
        if moved.actions:
            break
        state = moved.state
        assert state.wake_at == at + THREAD_RETRY
        at = state.wake_at
    assert at - T0 >= THREAD_GIVE_UP
    assert moved.actions == (act.PostToCommunity(channel="C1", text="In the thread"),)
    assert moved.notes and "posted in the channel instead" in moved.notes[0]


def test_a_community_list_replaces_the_playbooks_and_is_picked_from() -> None:
    sharing = RITUALS["sharing"]
    settings = with_pairs(
        {},
        [
            "list.prompts.en=a demo | a dataset | a trick",
            "list.prompts.fr=une démo | des données | un truc",
        ],
    )
    customised = apply_overrides(sharing, settings)
    assert customised.lists["prompts"].en == ["a demo", "a dataset", "a trick"]
    engine = Engine({"sharing": sharing})
    ctx = replace(context(), overrides=settings, member=None, season=Season("2026-Q4", {}))
    first = engine.start("sharing", ctx, T0)
    assert first.actions[0].text == "This week, share a demo"  # type: ignore[union-attr]
    assert first.season == {"picked": {"prompts": [0]}}
    again = engine.start("sharing", replace(ctx, season=Season("2026-Q4", first.season)), T0)
    assert again.actions[0].text == "This week, share a dataset"  # type: ignore[union-attr]


def test_a_community_list_must_fit_the_playbook() -> None:
    sharing = RITUALS["sharing"]
    with pytest.raises(OverrideError, match=r"^no list 'topics' \(lists: prompts\)$"):
        apply_overrides(sharing, with_pairs({}, ["list.topics.en=x"]))


def test_a_collects_close_is_a_wait_a_community_may_move() -> None:
    sharing = RITUALS["sharing"]
    moved = apply_overrides(sharing, with_pairs({}, ["wait.close=fri 11:00"]))
    assert moved.step("close").until == "fri 11:00"  # type: ignore[union-attr]
    assert sharing.step("close").until == "thu 16:00"  # type: ignore[union-attr]


def test_wait_reply_times_out_to_its_on_timeout_step() -> None:
    engine = Engine({"asked": RITUALS["asked"]})
    ctx = context()
    started = engine.start("asked", ctx, T0, variables={"question": "q1"})
    state: RunState = started.state
    assert (state.status, state.waiting_thread) == ("waiting_answer", "q1")
    assert state.wake_at is not None and state.wake_at >= T0 + timedelta(hours=4)
    timed_out = engine.on_event(state, tick(at=state.wake_at), ctx, state.wake_at)
    assert timed_out.state.status == "done" and timed_out.state.waiting_thread is None
    assert timed_out.actions == (
        act.NotifyFacilitators(channel="C1", text="A question has waited 4 working hours"),
    )
