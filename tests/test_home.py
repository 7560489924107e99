"""The member's home: communities, rituals with opt-out toggles, facilitator status."""

from __future__ import annotations

from typing import Any

from bot.vocabulary import events as ev
from tests.builders import T0, WORKSPACE, click, command, joined, key
from tests.conftest import Harness


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
