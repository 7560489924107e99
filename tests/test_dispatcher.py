"""Inbound path on a real database: dedupe, runs that survive restarts, answers, fan-out."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.runtime.dispatcher import start_callback
from bot.vocabulary import events as ev
from playbooks.loader import parse_playbook
from storage.tables import ActivityRecord, Answer
from tests.builders import T0, WORKSPACE, click, command, joined, key
from tests.conftest import Harness


async def test_a_join_starts_the_welcome_once_whatever_the_retries(harness: Harness) -> None:
    event = joined("U-bob")
    assert await harness.dispatcher.handle(event) == "processed"
    assert await harness.dispatcher.handle(event) == "duplicate"
    [run] = await harness.runs()
    assert (run.playbook, run.subject, run.status, run.step) == (
        "welcome",
        "U-bob",
        "waiting_answer",
        "charter",
    )
    kinds = [d.action["type"] for d in await harness.deliveries()]
    assert kinds == ["SendDirectMessage", "AskQuestion"]


async def test_events_whose_long_keys_share_a_prefix_are_each_processed(harness: Harness) -> None:
    """Teams keys run long (tenant, activity and member ids): two events differing only past
    the key column's length are two events, and a retry of either is still a duplicate."""
    prefix = "activity:" + "x" * 700
    first, second = (replace(joined(user), key=prefix + user) for user in ("U-bob", "U-eve"))
    assert [await harness.dispatcher.handle(e) for e in (first, second, first)] == [
        "processed",
        "processed",
        "duplicate",
    ]
    assert sorted(r.subject for r in await harness.runs()) == ["U-bob", "U-eve"]


async def test_a_second_join_while_the_welcome_runs_does_not_restart_it(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(joined("U-bob"))
    assert len(await harness.runs()) == 1
    assert len(await harness.deliveries()) == 2


async def test_joining_a_channel_that_is_no_community_starts_nothing(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob", channel="C-random"))
    assert await harness.runs() == [] and await harness.deliveries() == []


async def test_activity_is_recorded_as_metadata_only(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    posted = ev.MessagePosted(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile("U-bob"),
    )
    await harness.dispatcher.handle(posted)
    async with harness.store.transaction() as tx:
        rows = (await tx.session.execute(select(ActivityRecord))).scalars().all()
    assert [(r.user_id, r.kind, r.channel) for r in rows] == [
        ("U-bob", "member_joined", "C-data"),
        ("U-bob", "message_posted", "C-data"),
    ]
    assert all(r.community_id is not None for r in rows)


async def test_a_run_waiting_for_an_answer_survives_a_restart(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-alice"))
    [run] = await harness.runs()
    await harness.store.close()

    reborn = Harness.create(harness.url, harness.clock)
    try:
        await reborn.dispatcher.handle(click(f"run:{run.id}:charter", "accept", user="U-alice"))
        [resumed] = await reborn.runs()
        assert (resumed.step, resumed.variables) == ("expectations", {"charter": "accept"})
        question = (await reborn.deliveries())[-1].action
        assert question["type"] == "AskQuestion"
        assert question["text"] == "Merci ! Qu'attendez-vous de cette communauté ?"
        async with reborn.store.transaction() as tx:
            answers = (await tx.session.execute(select(Answer))).scalars().all()
        assert [(a.user_id, a.key, a.value) for a in answers] == [("U-alice", "charter", "accept")]
    finally:
        await reborn.store.close()


async def test_someone_else_cannot_answer_a_members_question(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    [run] = await harness.runs()
    await harness.dispatcher.handle(click(f"run:{run.id}:charter", "accept", user="U-chloe"))
    [unchanged] = await harness.runs()
    assert unchanged.step == "charter"


async def test_declining_tells_each_facilitator_by_dm(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    [run] = await harness.runs()
    await harness.dispatcher.handle(click(f"run:{run.id}:charter", "decline", user="U-bob"))
    to_facilitator = [d for d in await harness.deliveries() if d.recipient == "U-dan"]
    assert [d.action["text"] for d in to_facilitator] == [
        "Bob joined Data & IA but did not accept the charter."
    ]


async def test_an_unknown_command_answers_with_the_available_ones(harness: Harness) -> None:
    await harness.dispatcher.handle(command("U-bob", "frobnicate", locale="en"))
    [reply] = await harness.deliveries()
    assert (reply.action["type"], reply.recipient) == ("RespondPrivately", "U-bob")
    assert reply.action["text"] == "Unknown command “frobnicate”. Available commands: help."


INTRO = """
name: intro
title: {en: Intro, fr: Présentation}
description: {en: test, fr: test}
trigger: {on: command, command: intro}
steps:
  - id: ask
    kind: ask
    text: {en: "Who are you?", fr: "Qui êtes-vous ?"}
"""

KUDOS = """
name: kudos
title: {en: Kudos, fr: Bravo}
description: {en: test, fr: test}
trigger: {on: button}
steps:
  - id: thanks
    kind: post_to_community
    text: {en: "{{ member.name }} says thanks!", fr: "{{ member.name }} dit merci !"}
"""


async def test_a_command_starts_its_playbook_for_the_member(database_url: str) -> None:
    harness = Harness.create(database_url, ManualClock(T0), {"intro": parse_playbook(INTRO)})
    try:
        await harness.seed(["intro"])
        await harness.dispatcher.handle(command("U-chloe", "intro"))
        [run] = await harness.runs()
        assert (run.playbook, run.subject) == ("intro", "U-chloe")
        [question] = await harness.deliveries()
        assert (question.recipient, question.action["text"]) == ("U-chloe", "Qui êtes-vous ?")
    finally:
        await harness.store.close()


async def test_a_start_button_starts_its_playbook_in_that_community(database_url: str) -> None:
    harness = Harness.create(database_url, ManualClock(T0), {"kudos": parse_playbook(KUDOS)})
    try:
        await harness.seed(["kudos"])
        await harness.dispatcher.handle(click(start_callback("kudos", "C-data"), "go", "U-bob"))
        await harness.dispatcher.handle(click(start_callback("kudos", "C-nowhere"), "go", "U-bob"))
        [post] = await harness.deliveries()
        assert (post.recipient, post.action["text"]) == ("C-data", "Bob Smith says thanks!")
    finally:
        await harness.store.close()
