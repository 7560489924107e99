"""Early warnings and the weekly health digest to a community's facilitators (issue 11 §3), on
a virtual clock: a community whose active share falls week after week and whose question waits.

The community is the demo's "Data & IA" (Europe/Paris, 09:00–18:00, Monday to Friday), with two
facilitators: Dan (English) and Chloé (French). Ten members joined on 2026-11-02; the active
share of the ISO weeks W46..W50 is 80, 60, 40, 30 (Alice's question of 12-02, never answered,
with Emma's and Bob's posts) and 10 %; Emma, the sponsor, is active every week.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.runtime.pulse_watch import PulseWatch
from bot.runtime.roster import Rosters
from bot.runtime.scheduler import Scheduler
from storage.database import make_engine
from storage.store import Store
from tests.builders import WORKSPACE
from tests.conftest import Harness
from tests.pulse_support import at, declared, happen, joined, posted

PEOPLE = ("alice", "bob", "chloe", "dan", "emma", "fred", "gina", "hugo", "ines", "jules")
#: who is active each week (a post on its Tuesday), Emma the sponsor every week
ACTIVE = {
    (11, 10): PEOPLE[:8],
    (11, 17): PEOPLE[:6],
    (11, 24): ("emma", "alice", "bob", "chloe"),
    (12, 1): ("emma", "bob"),
    (12, 8): ("emma",),
}


async def declining(harness: Harness) -> None:
    for user in PEOPLE:
        await happen(harness, joined(user, at(11, 2, 8)))
    posts = 0
    for (month, day), users in sorted(ACTIVE.items()):
        for user in users:
            posts += 1
            await happen(harness, posted(user, f"m{posts}", at(month, day, 10)))
    await happen(harness, posted("alice", "q1", at(12, 2, 10), question=True))
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, "C-data")
        assert community is not None
        community.facilitators = ["U-dan", "U-chloe"]


def watch(harness: Harness, store: Store | None = None) -> PulseWatch:
    return PulseWatch(store or harness.store, harness.clock, harness.engine.playbooks)


async def told(harness: Harness, user: str, start: str) -> list[str]:
    """The DMs to ``user`` that start with ``start``, oldest first."""
    return [
        str(d.action["text"])
        for d in await harness.deliveries()
        if d.recipient == user
        and d.action["type"] == "SendDirectMessage"
        and str(d.action["text"]).startswith(start)
    ]


async def look(harness: Harness, when: datetime) -> int:
    harness.clock.now = when
    return await watch(harness).run_due()


WARNED = "Early warning for *Data & IA*:"
AVERTI = "Alerte précoce pour *Data & IA* :"


async def test_warnings_reach_facilitators_once_a_week_within_working_hours(
    harness: Harness,
) -> None:
    await declining(harness)
    # Tuesday 12-08, 06:00 in Paris: not working time, nothing is looked at or sent
    assert await look(harness, at(12, 8, 5)) == 0
    assert await told(harness, "U-dan", WARNED) == []

    # 09:00 in Paris: the two warnings, most pressing first, each with what to do
    await look(harness, at(12, 8, 8))
    assert await told(harness, "U-dan", WARNED) == [
        "\n".join(
            [
                WARNED,
                "⚠ 1 question(s) unanswered for more than 48 h (C-data q1). "
                "Answer them, or ask someone who knows to.",
                "⚠ The active share fell three weeks in a row (80.0 % → 30.0 %). "
                "Post a question or a challenge this week, and invite two silent members "
                "to share what they do.",
                "(Each warning comes at most once a week; /animateur health shows the figures.)",
            ]
        )
    ]
    french = await told(harness, "U-chloe", AVERTI)
    assert len(french) == 1
    assert "⚠ 1 question(s) sans réponse depuis plus de 48 h (C-data q1). Répondez-y" in french[0]
    assert "⚠ La part d'actifs a baissé trois semaines de suite (80.0 % → 30.0 %)." in french[0]

    # still true an hour later, on Thursday, on Monday morning: not again within the week
    for when in (at(12, 8, 9), at(12, 10, 14), at(12, 15, 7, 30)):
        await look(harness, when)
    assert len(await told(harness, "U-dan", WARNED)) == 1

    # a week on, still true (W47..W50: 60 → 40 → 30 → 10 %): again, once
    await look(harness, at(12, 15, 8))
    await look(harness, at(12, 15, 9))
    again = await told(harness, "U-dan", WARNED)
    assert len(again) == 2
    assert "(60.0 % → 10.0 %)" in again[1] and "(C-data q1)" in again[1]
    assert len(await told(harness, "U-chloe", AVERTI)) == 2


async def test_a_warning_that_ends_stops_and_a_new_kind_comes_within_the_week(
    harness: Harness,
) -> None:
    await declining(harness)
    await look(harness, at(12, 8, 8))
    # Bob answers Alice's question, and the community names a sponsor never active there:
    # the next day only the new kind comes (the fall went out yesterday, the question is over)
    await happen(harness, posted("bob", "a1", at(12, 8, 11), thread="q1"))
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, "C-data")
        assert community is not None
        community.sponsors = ["U-zoe"]  # never active here
        community.created_at = at(11, 1)  # declared well over 30 days ago
    await look(harness, at(12, 9, 8))
    warned = await told(harness, "U-dan", WARNED)
    assert len(warned) == 2
    assert warned[1].splitlines()[1:-1] == [
        "⚠ No sponsor activity for 30 days. "
        "Ask your sponsor to post or react this week: leaders lead by example."
    ]


async def test_the_digest_goes_out_on_monday_once_across_processes_in_each_language(
    harness: Harness,
) -> None:
    await declining(harness)
    # Sunday: no digest (and no warning: not a working day)
    assert await look(harness, at(12, 6, 10)) == 0
    # Monday 12-07, 09:00 in Paris: two processes' schedulers pass at once, then again
    other = Store(make_engine(harness.url))
    try:
        schedulers = [
            Scheduler(
                store,
                harness.dispatcher.handle,
                harness.dispatcher.fire_schedule,
                harness.engine.playbooks,
                harness.clock,
                roster=Rosters(store, {}),
                pulse=watch(harness, store).run_due,
            )
            for store in (harness.store, other)
        ]
        harness.clock.now = at(12, 7, 8)
        await asyncio.gather(*(s.tick() for s in schedulers))
        harness.clock.now = at(12, 7, 9, 30)
        await asyncio.gather(*(s.tick() for s in schedulers))
    finally:
        await other.close()

    digests = await told(harness, "U-dan", "Weekly pulse")
    assert len(digests) == 1
    assert len(await told(harness, "U-dan", WARNED)) == 1  # the warnings too, once
    assert digests[0].splitlines() == [
        "Weekly pulse of *Data & IA* — week 2026-W50",
        "• Members: 10 · active: 8 (80.0 %) — target 60 %: 20.0 points above",
        "• Active in the last 7 days: 3 (30.0 %) · contributors: 8 (80.0 %)",
        # one question: no rate over fewer than 5
        "• Questions: 1 asked · 0 answered (— %) · 1 waiting for more than 48 h",
        "Week by week (active % · contributors % · questions answered %):",
        "• 2026-W46: 80.0 · 80.0 · —",
        "• 2026-W47: 60.0 · 60.0 · — ↓",
        "• 2026-W48: 40.0 · 40.0 · — ↓",
        "• 2026-W49: 30.0 · 30.0 · — ↓",  # one question: withheld, as over 28 days
        "What changed:",
        "• Active share last week: 40.0 % → 30.0 % (-10.0 points ↓)",
        "• First digest: the next one will compare with this one.",
        "Warnings:",
        "⚠ 1 question(s) unanswered for more than 48 h (C-data q1). "
        "Answer them, or ask someone who knows to.",
        "⚠ The active share fell three weeks in a row (80.0 % → 30.0 %). "
        "Post a question or a challenge this week, and invite two silent members "
        "to share what they do.",
    ]
    french = await told(harness, "U-chloe", "Pouls hebdomadaire")
    assert len(french) == 1
    assert french[0].splitlines()[:2] == [
        "Pouls hebdomadaire de *Data & IA* — semaine 2026-W50",
        "• Membres : 10 · actifs : 8 (80.0 %) — cible 60 % : 20.0 points au-dessus",
    ]
    assert "Ce qui a changé :" in french[0] and "Alertes :" in french[0]

    # the rest of the week: no other digest; the next Monday: the next one, compared
    for when in (at(12, 8, 8), at(12, 11, 15)):
        await look(harness, when)
    assert len(await told(harness, "U-dan", "Weekly pulse")) == 1
    await happen(harness, joined("kim", at(12, 9, 10)))
    await happen(harness, posted("bob", "a1", at(12, 9, 11), thread="q1"))  # answered at last
    await look(harness, at(12, 14, 8))
    digests = await told(harness, "U-dan", "Weekly pulse")
    assert len(digests) == 2
    changed = digests[1].splitlines()
    assert changed[0] == "Weekly pulse of *Data & IA* — week 2026-W51"
    assert "• Members since the last digest: 10 → 11" in changed
    assert changed[changed.index("What changed:") + 1 :] == [
        "• Active share last week: 30.0 % → 18.2 % (-11.8 points ↓)",
        "• Members since the last digest: 10 → 11",
        "• No longer a warning: questions unanswered for 48 h",
        "Warnings:",
        "⚠ The active share fell three weeks in a row (60.0 % → 18.2 %). "
        "Post a question or a challenge this week, and invite two silent members "
        "to share what they do.",
    ]


async def test_a_small_community_s_digest_withholds_its_figures(harness: Harness) -> None:
    for user in ("alice", "bob", "dan"):
        await happen(harness, joined(user, at(11, 2, 8)))
        await happen(harness, posted(user, f"p-{user}", at(11, 10, 10)))
    await look(harness, at(12, 7, 8))
    (digest,) = await told(harness, "U-dan", "Weekly pulse")
    lines = digest.splitlines()
    assert lines[1] == "• Members: 3 · active: — (fewer than 5) — target 60 %"
    assert lines[3] == "• Questions: — (fewer than 5)"
    assert "• 2026-W49: — (fewer than 5)" in lines
    # never a person's own figures: nobody is named
    assert not any(name in digest for name in ("alice", "Alice", "bob", "Bob"))


async def test_silent_newcomers_an_unanswered_welcome_and_a_silent_sponsor_warn_too(
    harness: Harness,
) -> None:
    # five people join on 11-20 and never post nor answer the welcome; Emma, the sponsor,
    # never did anything here
    newcomers = ("kim", "lea", "max", "noa", "oli")
    for user in newcomers:
        await happen(harness, joined(user, at(11, 20, 8)))
    await declared(harness, at(11, 1))
    await look(harness, at(12, 8, 8))
    (warned,) = await told(harness, "U-dan", WARNED)
    assert warned.splitlines()[1:-1] == [
        "⚠ Few answer the ritual welcome: 0.0 %. "
        "Shorten its question or move it to another time (rituals set).",
        "⚠ No sponsor activity for 30 days. "
        "Ask your sponsor to post or react this week: leaders lead by example.",
        "⚠ 5 newcomer(s) did not post within their first 14 days. "
        "Welcome them personally and invite them to introduce themselves.",
    ]
    named = [f"U-{user}" for user in newcomers] + [user.title() for user in newcomers]
    assert not any(name in warned for name in named), "nobody is named"


async def test_a_community_declared_an_hour_ago_has_no_silent_sponsor_yet(
    harness: Harness,
) -> None:
    # the same community as above (Emma, its sponsor, never active), declared an hour ago
    for user in ("kim", "lea", "max", "noa", "oli"):
        await happen(harness, joined(user, at(11, 20, 8)))
    await declared(harness, at(12, 8, 7))
    await look(harness, at(12, 8, 8))
    (warned,) = await told(harness, "U-dan", WARNED)
    lines = warned.splitlines()[1:-1]
    assert any(line.startswith("⚠ 5 newcomer(s) did not post") for line in lines)
    assert not any("sponsor" in line for line in lines)
