"""``/animateur health``: a facilitator's private look at the community's pulse, in their
language, with the gap to the target and the most pressing warnings (issue 11 §3)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.local.links import LocalMessageLinks
from bot.runtime import health as health_module
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.pulse_report import read_pulse
from bot.vocabulary import events as ev
from tests.builders import WORKSPACE
from tests.conftest import Harness
from tests.pulse_support import REPORT_AT, at, build_history, declared, happen, joined


async def health(harness: Harness, user: str, locale: str) -> str:
    harness.clock.now = REPORT_AT
    command = ev.CommandInvoked(
        workspace=WORKSPACE,
        key=f"health-{user}-{locale}",
        occurred_at=REPORT_AT,
        channel="C-data",
        member=ev.MemberProfile(user, locale=locale),
        name="health",
    )
    assert await harness.dispatcher.handle(command) == "processed"
    replies = [
        d.action
        for d in await harness.deliveries()
        if d.action["type"] == "RespondPrivately" and d.recipient == user
    ]
    return str(replies[-1]["text"])


async def test_a_facilitator_sees_the_pulse_the_gap_and_the_top_warnings(
    harness: Harness,
) -> None:
    await build_history(harness)

    assert (await health(harness, "U-dan", "en-GB")).splitlines() == [
        "Pulse of *Data & IA* — last 28 days",
        "• Members: 11 · active: 10 (90.9 %) — target 60 %: 30.9 points above",
        "• Active in the last 7 days: 9 (81.8 %) · contributors: 8 (72.7 %)",
        "• Participation: 3 silent · 6 occasional · 2 regular",
        "• Questions: 6 asked · 4 answered (66.7 %) · 1 waiting for more than 48 h · "
        "first answer in 52.5 min (median), 102.0 min (9 in 10)",
        "• Newcomers: 5 joined · 2 posted within 14 days",
        "• Pairs who interacted: 6 · sponsors last active: 2026-11-25 · facilitators: 2026-11-27",
        "• Active share, week by week: 50.0 → 44.4 → 10.0 → 81.8 %",
        "Warnings:",
        "⚠ 1 question(s) unanswered for more than 48 h (C-data p3). "
        "Answer them, or ask someone who knows to.",
        # Gus and Jay: their first 14 days are over (Finn's, Kim's and Max's are not)
        "⚠ 2 newcomer(s) did not post within their first 14 days. "
        "Welcome them personally and invite them to introduce themselves.",
    ]
    french = (await health(harness, "U-dan", "fr-FR")).splitlines()
    assert french[1] == "• Membres : 11 · actifs : 10 (90.9 %) — cible 60 % : 30.9 points au-dessus"
    assert french[-2].startswith("⚠ 1 question(s) sans réponse depuis plus de 48 h (C-data p3).")

    # the askers of p1 and p2 said they were solved (the experts ritual asks them)
    for message_id in ("p1", "p2"):
        async with harness.store.transaction() as tx:
            assert await tx.experts.mark_solved(1, message_id, at(11, 25))
    solved = (await health(harness, "U-dan", "en")).splitlines()[4]
    assert solved.endswith(
        "102.0 min (9 in 10) · 2 solved, as their askers said (50.0 % of the answered)"
    )


async def test_the_waiting_question_is_a_link_where_the_platform_has_one(
    harness: Harness,
) -> None:
    # as the composition root registers it: the playground links to itself
    playground = LocalMessageLinks("http://127.0.0.1:3000")
    harness.dispatcher.message_links = MessageLinkBook({"local": playground})
    await build_history(harness)

    said = (await health(harness, "U-dan", "en-GB")).splitlines()
    assert said[-2] == (
        "⚠ 1 question(s) unanswered for more than 48 h "
        "([question of 2026-11-20](http://127.0.0.1:3000/playground)). "
        "Answer them, or ask someone who knows to."
    )
    french = (await health(harness, "U-dan", "fr-FR")).splitlines()
    assert "([question du 2026-11-20](http://127.0.0.1:3000/playground))" in french[-2]


async def test_only_facilitators_get_it_and_small_communities_see_no_figures(
    harness: Harness,
) -> None:
    for user in ("alice", "bob", "dan"):
        await happen(harness, joined(user, at(11, 24)))
    await declared(harness, at(10, 1))  # long enough for a sponsor's silence to be one
    refused = await health(harness, "U-alice", "en")
    assert refused.startswith("Only the facilitators of Data & IA")

    said = (await health(harness, "U-dan", "en")).splitlines()
    assert said[1] == "• Members: 3 · active: — (fewer than 5) — target 60 %"
    assert said[3] == "• Participation: — (fewer than 5)"
    # Emma, the sponsor, never did anything there
    assert said[-1] == (
        "⚠ No sponsor activity for 30 days. "
        "Ask your sponsor to post or react this week: leaders lead by example."
    )


async def test_the_pulse_is_read_while_others_may_still_write(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pulse of a large community takes a while to read: it is read outside the command's
    write transaction, so another event may be written meanwhile (on SQLite the write lock is
    the whole database's: held, the other write would wait for it)."""
    await build_history(harness)
    await declared(harness, at(10, 1))
    wrote: list[bool] = []

    async def read_while_writing(*args: Any, **kwargs: Any) -> Any:
        async def other_event() -> bool:
            async with harness.store.transaction() as tx:
                return await tx.activity.mark_processed("another-event", REPORT_AT)

        wrote.append(await asyncio.wait_for(other_event(), 5))
        return await read_pulse(*args, **kwargs)

    monkeypatch.setattr(health_module, "read_pulse", read_while_writing)
    said = (await health(harness, "U-dan", "en")).splitlines()
    assert wrote == [True]
    assert said[1] == "• Members: 11 · active: 10 (90.9 %) — target 60 %: 30.9 points above"
