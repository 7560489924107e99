"""``rituals run <ritual>``: a facilitator runs any scheduled ritual now — for each member (the
check-in) or for the community as a whole — through the same durable launch; ``checkin now``
stays as its alias; what cannot be run says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from bot.runtime.clock import ManualClock
from playbooks.loader import load_library, parse_playbook
from tests.builders import T0, joined
from tests.conftest import Harness
from tests.test_commands import say

#: a ritual for the community as a whole: a post in the channel, another two days later
GATHERING = """
name: gathering
title: {en: Open gathering, fr: Rencontre ouverte}
description: {en: test, fr: test}
trigger: {on: schedule, cron: "0 10 * * mon"}
steps:
  - id: invite
    kind: post_to_community
    text: {en: "Gathering today at noon!", fr: "Rencontre aujourd'hui à midi !"}
  - id: pause
    kind: wait
    duration: 2d
  - id: thanks
    kind: post_to_community
    text: {en: "Thanks for coming!", fr: "Merci d'être venus !"}
"""


@pytest_asyncio.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    """The demo community (Dan facilitates) with the bundled rituals and the gathering;
    welcome, checkin and gathering on."""
    library = {**load_library(), "gathering": parse_playbook(GATHERING)}
    built = Harness.create(database_url, ManualClock(T0), library)
    await built.seed(["welcome", "checkin", "gathering"])
    yield built
    await built.store.close()


async def dms_to(harness: Harness, user: str) -> list[str]:
    return [
        str(d.action["text"])
        for d in await harness.deliveries()
        if d.recipient == user and d.action["type"] == "SendDirectMessage"
    ]


async def posts(harness: Harness) -> list[str]:
    return [
        str(d.action["text"])
        for d in await harness.deliveries()
        if d.action["type"] == "PostToCommunity"
    ]


async def asked(harness: Harness) -> list[str]:
    """Who was asked the check-in's first question."""
    return sorted(
        {
            d.recipient
            for d in await harness.deliveries()
            if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
        }
    )


async def test_a_facilitator_runs_a_ritual_of_the_community_now(harness: Harness) -> None:
    assert await say(harness, "U-dan", "rituals run gathering") == (
        "Open gathering starts now in Data & IA (what it posts waits for the community's "
        "working hours)."
    )
    assert await posts(harness) == ["Rencontre aujourd'hui à midi !"], "in the community's French"
    assert (await dms_to(harness, "U-dan"))[-1] == "Open gathering started in Data & IA."
    [run] = [r for r in await harness.runs() if r.playbook == "gathering"]
    assert (run.subject, run.status) == ("", "waiting_timer"), "one run, for the community"

    await say(harness, "U-dan", "rituals run gathering")  # again, while it waits
    assert (await dms_to(harness, "U-dan"))[-1] == (
        "Open gathering was already under way in Data & IA (started less than 20 hours ago): "
        "nothing new was started."
    )
    assert await posts(harness) == ["Rencontre aujourd'hui à midi !"], "not posted twice"
    harness.clock.advance(timedelta(days=2))
    await harness.scheduler.tick()
    assert await posts(harness) == ["Rencontre aujourd'hui à midi !", "Merci d'être venus !"]


async def test_a_ritual_of_the_community_run_now_is_done_even_if_the_bot_stops_after_answering(
    harness: Harness,
) -> None:
    harness.dispatcher.run_now = None  # the process dies right after answering
    reply = await say(harness, "U-dan", "rituals run gathering")
    assert reply.startswith("Open gathering starts now in Data & IA")
    assert await posts(harness) == [], "nothing ran before the answer"
    await harness.scheduler.tick()  # any process's next pass executes the recorded launch
    assert await posts(harness) == ["Rencontre aujourd'hui à midi !"]
    await harness.scheduler.tick()
    assert await posts(harness) == ["Rencontre aujourd'hui à midi !"], "once"


async def test_rituals_run_checkin_asks_every_member_and_checkin_now_is_the_same(
    harness: Harness,
) -> None:
    # Paris (10:00) and New York (04:00); Dan, the facilitator, joined too
    for user in ("U-alice", "U-bob", "U-dan"):
        await harness.dispatcher.handle(joined(user))
    assert await say(harness, "U-dan", "rituals run checkin") == (
        "Weekly check-in starts now for the members of Data & IA: I will tell you how many "
        "were asked now and how many later (outside their working hours)."
    )
    assert await asked(harness) == ["U-alice", "U-dan"]
    assert (await dms_to(harness, "U-dan"))[-1] == (
        "Weekly check-in in Data & IA: 2 member(s) asked now, 1 later (outside their working "
        "hours)."
    )
    await harness.dispatcher.handle(joined("U-chloe"))  # Paris too
    assert (await say(harness, "U-dan", "checkin now")).startswith(
        "Weekly check-in starts now for the members of Data & IA"
    )
    assert await asked(harness) == ["U-alice", "U-chloe", "U-dan"], "nobody asked twice"
    assert (await dms_to(harness, "U-dan"))[-1].startswith(
        "Weekly check-in in Data & IA: 1 member(s) asked now"
    )


async def test_only_facilitators_run_rituals(harness: Harness) -> None:
    for line in ("rituals run gathering", "checkin now"):
        assert await say(harness, "U-bob", line) == (
            "Only the facilitators of Data & IA can do that (U-dan)."
        )
    assert await posts(harness) == [] and await asked(harness) == []
    async with harness.store.transaction() as tx:
        assert await tx.runs.launches() == [], "nothing recorded either"


async def test_what_cannot_be_run_says_why_and_what_can(harness: Harness) -> None:
    reply = await say(harness, "U-dan", "rituals run karaoke")
    assert reply.splitlines() == [
        "unknown ritual “karaoke” (rituals you can run here: checkin, gathering)",
        "Usage: /animateur rituals list | enable <ritual> | disable <ritual> | run <ritual> | "
        'set <ritual> schedule="30 9 * * mon" digest="0 9 * * mon" (at most daily) '
        'text.<step>.<en|fr>="…" wait.<step>="fri 15:00" reminder.<step>=4h | reset <ritual>',
    ]
    assert await say(harness, "U-dan", "rituals run welcome") == (
        "Welcome (welcome) is not a scheduled ritual: it starts by itself when its moment "
        "comes (a member joining, a button, a command), so it cannot be run now. Rituals you "
        "can run here: checkin, gathering."
    )
    await say(harness, "U-dan", "rituals disable gathering")
    assert await say(harness, "U-dan", "rituals run gathering") == (
        "Open gathering is off in Data & IA: /animateur rituals enable gathering first."
    )
    assert "(rituals you can run here: checkin)" in await say(harness, "U-dan", "rituals run x")
    assert (await say(harness, "U-dan", "rituals run")).startswith("Usage: /animateur rituals")
    assert (await say(harness, "U-dan", "checkin later")).startswith(
        "Usage: /animateur checkin now (the same as /animateur rituals run checkin)"
    )
    assert await posts(harness) == [] and await asked(harness) == []


async def test_rituals_run_speaks_french(harness: Harness) -> None:
    await say(harness, "U-dan", "language fr")
    assert await say(harness, "U-dan", "rituals run gathering") == (
        "Rencontre ouverte démarre maintenant dans Data & IA (ses messages attendent les "
        "heures de travail de la communauté)."
    )
    assert (await dms_to(harness, "U-dan"))[-1] == "Rencontre ouverte a démarré dans Data & IA."
    assert await say(harness, "U-dan", "rituals run welcome") == (
        "Accueil (welcome) n'est pas un rituel programmé : il démarre de lui-même le moment "
        "venu (l'arrivée d'un membre, un bouton, une commande), il ne peut donc pas être lancé "
        "maintenant. Rituels que vous pouvez lancer ici : checkin, gathering."
    )
    await say(harness, "U-dan", "rituals disable checkin")
    assert await say(harness, "U-dan", "checkin now") == (
        "Point hebdo est désactivé dans Data & IA : /animateur rituals enable checkin d'abord."
    )


async def test_help_tells_facilitators_which_rituals_they_can_run(harness: Harness) -> None:
    facilitator = await say(harness, "U-dan", "help")
    assert (
        "• rituals run <ritual> — run a scheduled ritual now (challenge, checkin, gathering, "
        "intros, nudge, sponsor; checkin now for the check-in)"
    ) in facilitator
    assert "rituals run" not in await say(harness, "U-bob", "help")


async def test_a_run_asked_in_a_channel_that_is_no_community_says_so(harness: Harness) -> None:
    reply = await say(harness, "U-dan", "rituals run checkin", channel="C-other")
    assert reply.startswith("Run this in a community's channel.")
