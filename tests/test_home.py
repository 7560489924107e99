"""The member's home: communities, rituals with opt-out toggles, facilitator status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import dashboard_links
from bot.runtime import home_health
from bot.runtime.dashboard.links import Grant
from bot.runtime.pulse_report import read_pulse
from bot.settings import Settings
from bot.vocabulary import events as ev
from tests.builders import T0, WORKSPACE, click, command, joined, key
from tests.conftest import Harness
from tests.dashboard_support import links
from tests.pulse_support import REPORT_AT, build_history
from tests.test_commands import say


def home_opened(user: str) -> ev.HomeOpened:
    return ev.HomeOpened(
        workspace=WORKSPACE, key=key(), occurred_at=T0, member=ev.MemberProfile(user)
    )


async def last_home(harness: Harness, user: str) -> dict[str, Any]:
    homes = [
        d.action
        for d in await harness.deliveries()
        if d.action["type"] == "PublishHome" and d.recipient == user
    ]
    assert homes, f"no home published for {user}"
    return homes[-1]


async def test_a_member_sees_their_communities_and_can_stop_a_ritual(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(home_opened("U-bob"))
    home = await last_home(harness, "U-bob")
    community = next(s for s in home["sections"] if s["title"] == "Data & IA")
    assert community["text"] == (
        "• Welcome: on\nYour contributions (28 days, only you see them): 0 posts · 0 replies · "
        "0 reactions · 0 kudos received"
    )
    [stop] = community["buttons"]
    assert (stop["label"], stop["callback"]) == ("Stop “Welcome”", "optout:welcome")

    await harness.dispatcher.handle(click("optout:welcome", "", user="U-bob", message_id=None))
    async with harness.store.transaction() as tx:
        bob = await tx.directory.member(1, "U-bob")
    assert bob is not None and bob.opted_out == ["welcome"]
    community = next(
        s for s in (await last_home(harness, "U-bob"))["sections"] if s["title"] == "Data & IA"
    )
    assert community["text"].splitlines()[0] == "• Welcome: off for you"
    assert community["buttons"][0]["callback"] == "optin:welcome"


async def test_pausing_everything_then_resuming(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-alice"))
    await harness.dispatcher.handle(click("optout:all", "", user="U-alice", message_id=None))
    home = await last_home(harness, "U-alice")
    assert "Tous les rituels sont en pause pour vous." in [s["text"] for s in home["sections"]]
    await harness.dispatcher.handle(click("optin:all", "", user="U-alice", message_id=None))
    async with harness.store.transaction() as tx:
        alice = await tx.directory.member(1, "U-alice")
    assert alice is not None and not alice.opted_out_all


async def test_a_member_of_no_community_is_told_so(harness: Harness) -> None:
    await harness.dispatcher.handle(home_opened("U-bob"))
    texts = [s["text"] for s in (await last_home(harness, "U-bob"))["sections"]]
    assert "You have not joined any Animateur community yet." in texts


async def test_facilitators_of_a_small_community_see_no_figure_and_why(
    harness: Harness,
) -> None:
    for user in ("U-alice", "U-bob", "U-chloe"):
        await harness.dispatcher.handle(joined(user))
    await harness.dispatcher.handle(home_opened("U-dan"))
    status = next(
        s
        for s in (await last_home(harness, "U-dan"))["sections"]
        if s["title"] == "You facilitate: Data & IA"
    )
    assert status["text"].splitlines()[0] == (
        "Active members (28 days): withheld — fewer than 5 members · target 60 %"
    )
    for user in ("U-emma", "U-x1", "U-x2"):
        await harness.dispatcher.handle(joined(user))
    await harness.dispatcher.handle(home_opened("U-dan"))
    status = next(
        s
        for s in (await last_home(harness, "U-dan"))["sections"]
        if s["title"] == "You facilitate: Data & IA"
    )
    assert status["text"].splitlines()[0] == "Active members (28 days): 0 % · target 60 %"


async def test_help_outside_a_community_says_so(harness: Harness) -> None:
    await harness.dispatcher.handle(command("U-alice", "help", "C-random"))
    [reply] = await harness.deliveries()
    assert (reply.action["type"], reply.recipient, reply.action["channel"]) == (
        "RespondPrivately",
        "U-alice",
        "C-random",
    )
    assert reply.action["text"].endswith(
        "Ce canal n'est pas encore une communauté. Pour la déclarer :\n"
        '• community setup clé="valeur"… — déclarer ou modifier la communauté'
    )


async def test_the_stop_button_of_a_ritual_dm_is_answered_in_the_members_language(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(joined("U-alice"))  # a French member
    await harness.dispatcher.handle(click("optout:welcome", "", user="U-alice"))
    confirmation = (await harness.deliveries())[-1]
    assert (confirmation.action["type"], confirmation.recipient) == ("SendDirectMessage", "U-alice")
    assert confirmation.action["text"] == (
        "C'est fait : vous ne recevrez plus Accueil. (optin welcome pour reprendre)"
    )
    assert confirmation.playbook is None, "sent although the member just opted out"
    async with harness.store.transaction() as tx:
        alice = await tx.directory.member(1, "U-alice")
    assert alice is not None and alice.opted_out == ["welcome"]
    assert not [d for d in await harness.deliveries() if d.action["type"] == "PublishHome"]


# -- the cockpit: a facilitator's communities at a glance, a member's own figures -------------


def opened_at(user: str, locale: str) -> ev.HomeOpened:
    return ev.HomeOpened(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=REPORT_AT,
        member=ev.MemberProfile(user, locale=locale),
    )


async def home_at_report(harness: Harness, user: str, locale: str = "en-GB") -> dict[str, Any]:
    harness.clock.now = REPORT_AT
    await harness.dispatcher.handle(opened_at(user, locale))
    return await last_home(harness, user)


def section(home: dict[str, Any], title: str) -> dict[str, Any]:
    return next(s for s in home["sections"] if s["title"] == title)


async def test_a_facilitator_sees_the_community_against_its_target_and_what_to_do(
    harness: Harness,
) -> None:
    await build_history(harness)  # figures worked out in tests/test_pulse_health.py
    harness.dispatcher.dashboard = links(harness.clock)
    home = await home_at_report(harness, "U-dan")
    status = section(home, "You facilitate: Data & IA")
    assert status["text"].splitlines() == [
        # weekly active share 50.0 → 44.4 → 10.0 → 81.8 %: up on the last week
        "Active members (28 days): 90.9 % ↗ · target 60 %",
        "Rituals running: 10",  # the welcomes of the 12 who joined but Hana's and Leo's (left)
        "Open warnings: 2",
        "What to do next:",
        "• Answer them, or ask someone who knows to.",
        "• Welcome them personally and invite them to introduce themselves.",
    ]
    [button] = status["buttons"]
    assert (button["label"], button["style"]) == ("Open the dashboard", "primary")
    token = parse_qs(urlsplit(button["url"]).query)["token"][0]
    assert harness.dispatcher.dashboard.open_link(token) == Grant(WORKSPACE, "U-dan", "C-data")

    french = section(await home_at_report(harness, "U-dan", "fr-FR"), "Vous animez : Data & IA")
    assert french["text"].splitlines()[0] == "Membres actifs (28 jours) : 90.9 % ↗ · objectif 60 %"
    assert french["buttons"][0]["label"] == "Ouvrir le tableau de bord"


async def test_a_member_sees_only_their_own_contributions_and_kudos(harness: Harness) -> None:
    await build_history(harness)
    harness.clock.now = REPORT_AT
    await say(harness, "U-alice", "kudos U-chloe for the review")
    home = await home_at_report(harness, "U-chloe")
    community = section(home, "Data & IA")
    # Chloe in the 28 days: posts p7 and p3, replies r1 and r4, a reaction to p0 on 11-23
    assert community["text"].splitlines()[-1] == (
        "Your contributions (28 days, only you see them): 2 posts · 2 replies · 1 reactions · "
        "1 kudos received"
    )
    assert not [s for s in home["sections"] if s["title"].startswith("You facilitate")]
    # Alice: posts p1 and p5, replies r2 and r7; the kudos she gave are not hers
    alice = section(await home_at_report(harness, "U-alice"), "Data & IA")
    assert alice["text"].splitlines()[-1] == (
        "Your contributions (28 days, only you see them): 2 posts · 2 replies · 0 reactions · "
        "0 kudos received"
    )


async def test_the_home_toggle_stops_a_ritual_for_that_member_only_and_resumes_it(
    harness: Harness,
) -> None:
    async with harness.store.transaction() as tx:
        await tx.directory.set_playbook(1, "checkin", True, T0)
    for user in ("U-alice", "U-bob"):
        await harness.dispatcher.handle(joined(user))
    await harness.dispatcher.handle(home_opened("U-bob"))
    buttons = section(await last_home(harness, "U-bob"), "Data & IA")["buttons"]
    assert "optout:checkin" in [b["callback"] for b in buttons]

    await harness.dispatcher.handle(click("optout:checkin", "", user="U-bob", message_id=None))
    lines = section(await last_home(harness, "U-bob"), "Data & IA")["text"].splitlines()
    assert "• Weekly check-in: off for you" in lines
    await say(harness, "U-dan", "checkin now")
    assert "U-alice" in await asked(harness) and "U-bob" not in await asked(harness)

    await harness.dispatcher.handle(click("optin:checkin", "", user="U-bob", message_id=None))
    lines = section(await last_home(harness, "U-bob"), "Data & IA")["text"].splitlines()
    assert "• Weekly check-in: on" in lines
    async with harness.store.transaction() as tx:
        bob = await tx.directory.member(1, "U-bob")
    assert bob is not None and bob.opted_out == []
    harness.clock.advance(timedelta(days=1))
    await say(harness, "U-dan", "checkin now")
    # Bob's working hours start at 14:00 UTC: asked then
    harness.clock.now = datetime(2026, 11, 25, 14, 1, tzinfo=UTC)
    await harness.scheduler.tick()
    await harness.dispatcher.idle()
    assert "U-bob" in await asked(harness)


async def asked(harness: Harness) -> set[str]:
    """Who was asked the check-in's first question."""
    return {
        d.recipient
        for d in await harness.deliveries()
        if d.playbook == "checkin" and d.action["type"] == "AskQuestion"
    }


async def test_the_home_command_shows_the_home(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(command("U-bob", "home", "C-data"))
    home = await last_home(harness, "U-bob")
    assert section(home, "Data & IA")["buttons"][0]["callback"] == "optout:welcome"


async def test_the_facilitators_pulse_is_read_while_others_may_still_write(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pulse of each community a facilitator runs takes a while to read: the home reads it
    outside the event's write transaction, so another event may be written meanwhile (on SQLite
    the write lock is the whole database's: held, the other write would wait for it)."""
    await build_history(harness)
    wrote: list[bool] = []

    async def read_while_writing(*args: Any, **kwargs: Any) -> Any:
        async def other_event() -> bool:
            async with harness.store.transaction() as tx:
                return await tx.activity.mark_processed(f"another-{len(wrote)}", REPORT_AT)

        wrote.append(await asyncio.wait_for(other_event(), 5))
        return await read_pulse(*args, **kwargs)

    monkeypatch.setattr(home_health, "read_pulse", read_while_writing)
    status = section(await home_at_report(harness, "U-dan"), "You facilitate: Data & IA")
    assert wrote == [True]
    assert status["text"].splitlines()[:2] == [
        "Active members (28 days): 90.9 % ↗ · target 60 %",
        "Rituals running: 10",
    ]


async def test_a_community_the_member_left_is_no_longer_on_their_home(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    await harness.dispatcher.handle(home_opened("U-bob"))
    assert "Data & IA" in [s["title"] for s in (await last_home(harness, "U-bob"))["sections"]]

    left = ev.MemberLeft(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile("U-bob"),
    )
    assert await harness.dispatcher.handle(left) == "processed"
    await harness.dispatcher.handle(home_opened("U-bob"))
    sections = (await last_home(harness, "U-bob"))["sections"]
    assert "Data & IA" not in [s["title"] for s in sections]
    assert "You have not joined any Animateur community yet." in [s["text"] for s in sections]


async def test_without_a_writable_key_file_the_home_goes_without_the_dashboard_button(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No ANIMATEUR_SECRET_KEY and a key file that cannot be made (its directory is a file):
    the home is still published, without the button; the command says why; logged once."""
    (tmp_path / "not-a-dir").write_text("")
    settings = Settings(dashboard_key_file=str(tmp_path / "not-a-dir" / "k"), _env_file=None)
    harness.dispatcher.dashboard = dashboard_links(settings, harness.clock)
    for user in ("U-alice", "U-bob"):
        await harness.dispatcher.handle(joined(user))
    for _ in range(2):
        await harness.dispatcher.handle(home_opened("U-dan"))
        status = section(await last_home(harness, "U-dan"), "You facilitate: Data & IA")
        assert status["text"].startswith("Active members (28 days): withheld")
        assert status["buttons"] == []
    said = await say(harness, "U-dan", "dashboard")
    assert said.startswith("The dashboard cannot make links right now")
    warned = [r for r in caplog.records if r.getMessage().startswith("dashboard unavailable")]
    assert len(warned) == 1

    harness.dispatcher.dashboard = links(harness.clock)  # with a key: the button is back
    await harness.dispatcher.handle(home_opened("U-dan"))
    status = section(await last_home(harness, "U-dan"), "You facilitate: Data & IA")
    assert [b["label"] for b in status["buttons"]] == ["Open the dashboard"]
