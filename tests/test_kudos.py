"""``kudos @someone for <reason>``: a public thanks in the community's channel, at most five a
day per giver, never to oneself, a bot or someone unknown — and counted for recognition."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, select

from storage.tables import Kudos
from tests.builders import T0, command, joined
from tests.conftest import Harness, wait_for
from tests.slack_support import CHANNEL
from tests.test_commands import say
from tests.test_governance import command as slack_command
from tests.test_governance import slack_bot


async def posts(harness: Harness) -> list[tuple[str, str]]:
    """What was posted in channels: (channel, text)."""
    return [
        (d.recipient, str(d.action["text"]))
        for d in await harness.deliveries()
        if d.action["type"] == "PostToCommunity"
    ]


async def dms_to(harness: Harness, user: str) -> list[str]:
    return [
        str(d.action["text"])
        for d in await harness.deliveries()
        if d.recipient == user and d.action["type"] == "SendDirectMessage"
    ]


async def stored(harness: Harness) -> list[tuple[str, str, int, str]]:
    async with harness.store.transaction() as tx:
        rows = await tx.session.execute(select(Kudos).order_by(col(Kudos.id)))
        return [(k.giver, k.receiver, k.community_id, k.reason) for k in rows.scalars().all()]


async def test_kudos_are_posted_in_the_channel_naming_giver_receiver_and_reason(
    harness: Harness,
) -> None:
    reply = await say(harness, "U-dan", "kudos U-alice for the data catalogue demo")
    assert reply == (
        "Your thanks to Alice Martin is posted in Data & IA.\nYou can give 4 more today."
    )
    assert await posts(harness) == [
        ("C-data", "🙌 Dan Okafor remercie Alice Martin : « the data catalogue demo »")
    ], "in the community's language (French), whatever the giver's"
    assert (await dms_to(harness, "U-alice")) == [
        "🙌 Dan Okafor vous remercie dans Data & IA : « the data catalogue demo »"
    ], "the receiver is told, in her language"
    assert await stored(harness) == [("U-dan", "U-alice", 1, "the data catalogue demo")]

    await say(harness, "U-dan", "community setup locale=en")
    await say(harness, "U-alice", "kudos @U-bob pour l'aide \"précieuse\" d'hier")
    await say(harness, "U-emma", "kudos U-bob a great review")  # without "for"
    assert (await posts(harness))[1:] == [
        ("C-data", "🙌 Alice Martin thanks Bob Smith: “l'aide \"précieuse\" d'hier”"),
        ("C-data", "🙌 Emma Leroy thanks Bob Smith: “a great review”"),
    ], "the reason as typed, quotes and apostrophes included"
    assert await dms_to(harness, "U-bob") == [
        "🙌 Alice Martin thanked you in Data & IA: “l'aide \"précieuse\" d'hier”",
        "🙌 Emma Leroy thanked you in Data & IA: “a great review”",
    ]
    french = await say(harness, "U-alice", "kudos U-chloe pour la relecture")
    assert french == (
        "Vos remerciements à Chloé Dubois sont publiés dans Data & IA.\n"
        "Vous pouvez en donner encore 3 aujourd'hui."
    )


async def test_five_kudos_a_day_then_the_giver_is_told_when_they_can_give_again(
    harness: Harness,
) -> None:
    """Bob lives in New York: at T0 (09:00 UTC) it is 04:00 there; his day ends at 05:00 UTC."""
    receivers = ["U-alice", "U-chloe", "U-dan", "U-emma", "U-alice"]
    replies = [
        await say(harness, "U-bob", f"kudos {r} for help #{i}") for i, r in enumerate(receivers)
    ]
    assert replies[0].endswith("You can give 4 more today.")
    assert replies[3].endswith("You can give 1 more today.")
    assert replies[4] == (
        "Your thanks to Alice Martin is posted in Data & IA.\n"
        "That was your last kudos for today (at most 5 a day): you can give more from "
        "2026-11-25 00:00 (America/New_York time)."
    )
    sixth = await say(harness, "U-bob", "kudos U-emma for one more")
    assert sixth == (
        "You have given your 5 kudos for today (at most 5 a day): you can give more from "
        "2026-11-25 00:00 (America/New_York time)."
    )
    assert len(await posts(harness)) == 5 and len(await stored(harness)) == 5

    harness.clock.advance(timedelta(hours=19, minutes=59))  # 23:59 in New York
    assert (await say(harness, "U-bob", "kudos U-emma for one more")).startswith(
        "You have given your 5 kudos for today"
    )
    harness.clock.advance(timedelta(minutes=1))  # midnight in New York: a new day
    assert (await say(harness, "U-bob", "kudos U-emma for one more")).endswith(
        "You can give 4 more today."
    )
    assert (await posts(harness))[-1] == (
        "C-data",
        "🙌 Bob Smith remercie Emma Leroy : « one more »",
    )


async def test_the_quota_counts_every_community_and_a_giver_without_timezone_has_the_communitys(
    harness: Harness,
) -> None:
    await say(harness, "U0042", "help")  # met without a timezone: her day is Paris's
    await say(harness, "U0042", 'community setup name="Design" timezone=Asia/Tokyo', "C-design")
    for i in range(3):
        await say(harness, "U0042", f"kudos U-bob for design #{i}", "C-design")
    for i in range(2):
        await say(harness, "U0042", f"kudos U-bob for data #{i}")
    assert await say(harness, "U0042", "kudos U-bob for more") == (
        "Vous avez donné vos 5 kudos du jour (5 par jour au plus) : vous pourrez en donner à "
        "nouveau à partir du 2026-11-25 00:00 (fuseau Europe/Paris)."
    ), "in Data & IA, whose timezone is Paris (and language French)"
    assert [c for c, _text in await posts(harness)] == ["C-design"] * 3 + ["C-data"] * 2


async def test_no_kudos_to_oneself(harness: Harness) -> None:
    for line in ("kudos U-dan for being me", "kudos @U-dan pour moi"):
        assert await say(harness, "U-dan", line) == (
            "Kudos thank someone else: you cannot give them to yourself."
        )
    await say(harness, "U-dan", "language fr")
    assert await say(harness, "U-dan", "kudos U-dan pour moi") == (
        "Les kudos remercient quelqu'un d'autre : vous ne pouvez pas vous en donner."
    )
    assert await posts(harness) == [] and await stored(harness) == []
    await say(harness, "U-dan", "kudos U-emma pour le sponsoring")
    assert len(await posts(harness)) == 1, "someone else: posted"


async def test_no_kudos_to_someone_unknown_and_what_names_nobody_gets_the_usage(
    harness: Harness,
) -> None:
    assert await say(harness, "U-dan", "kudos U-zoe for the help") == (
        "U-zoe is not a person of this workspace (a bot, a deactivated account or someone "
        "unknown here): kudos go to colleagues. Mention them: @name"
    )
    assert await say(harness, "U-dan", "kudos bob for the help") == (
        "“bob” is not a person: mention them (@name)\nUsage: /animateur kudos @someone for <reason>"
    )
    assert await say(harness, "U-dan", "kudos U-bob for") == (
        "say what you thank them for\nUsage: /animateur kudos @someone for <reason>"
    )
    assert await say(harness, "U-dan", "kudos") == "Usage: /animateur kudos @someone for <reason>"
    long = "x" * 501
    assert (await say(harness, "U-dan", f"kudos U-bob for {long}")).startswith(
        "a reason of at most 500 characters"
    )
    assert (await dms_to(harness, "U-zoe")) == [] and await posts(harness) == []
    await harness.dispatcher.handle(joined("U-zoe"))  # now a member the bot knows
    assert (await say(harness, "U-dan", "kudos U-zoe for the help")).startswith(
        "Your thanks to Zoe is posted"
    )


async def test_a_member_who_switched_rituals_off_is_not_thanked_in_public(
    harness: Harness,
) -> None:
    await say(harness, "U-alice", "optout all")
    assert await say(harness, "U-dan", "kudos U-alice for the demo") == (
        "Alice Martin has switched off all rituals, so no public thanks for them: tell them "
        "directly!"
    )
    assert await posts(harness) == [] and await stored(harness) == []
    await say(harness, "U-alice", "optin all")
    assert (await say(harness, "U-dan", "kudos U-alice for the demo")).startswith("Your thanks")


async def test_kudos_are_given_in_a_community_s_channel(harness: Harness) -> None:
    reply = await say(harness, "U-dan", "kudos U-alice for the demo", "D-dan")
    assert reply.startswith("Run this in a community's channel.")
    assert await stored(harness) == []


async def test_two_kudos_at_the_same_moment_never_pass_the_quota_together(
    harness: Harness,
) -> None:
    for i in range(4):
        await say(harness, "U-bob", f"kudos U-alice for #{i}")
    await asyncio.gather(
        harness.dispatcher.handle(command("U-bob", "kudos U-chloe for the fifth")),
        harness.dispatcher.handle(command("U-bob", "kudos U-emma for the sixth")),
    )
    assert len(await stored(harness)) == 5
    assert len(await posts(harness)) == 5
    replies = [
        str(d.action["text"])
        for d in await harness.deliveries()
        if d.recipient == "U-bob" and d.action["type"] == "RespondPrivately"
    ]
    assert sum(r.startswith("You have given your 5 kudos") for r in replies) == 1


async def test_kudos_given_and_received_are_counted_per_member_over_a_period(
    harness: Harness,
) -> None:
    await say(harness, "U-dan", "kudos U-alice for a")
    await say(harness, "U-bob", "kudos U-alice for b")
    harness.clock.advance(timedelta(days=1))
    await say(harness, "U-bob", "kudos U-dan for c")
    await say(harness, "U-dan", 'community setup name="Design"', "C-design")
    await say(harness, "U-dan", "kudos U-bob for elsewhere", "C-design")
    async with harness.store.transaction() as tx:
        season = (T0, T0 + timedelta(days=2))
        assert await tx.kudos.kudos_given(1, *season) == {"U-dan": 1, "U-bob": 2}
        assert await tx.kudos.kudos_received(1, *season) == {"U-alice": 2, "U-dan": 1}
        first_day = (T0, T0 + timedelta(days=1))  # the end is excluded
        assert await tx.kudos.kudos_given(1, *first_day) == {"U-dan": 1, "U-bob": 1}
        assert await tx.kudos.kudos_received(1, T0 + timedelta(days=1), T0 + timedelta(days=2)) == {
            "U-dan": 1
        }
        assert await tx.kudos.kudos_received(2, *season) == {"U-bob": 1}, "per community"
        assert await tx.kudos.kudos_given(1, T0 - timedelta(days=7), T0) == {}


# -- on Slack, through Bolt and the fake Web API -------------------------------------------


async def test_on_slack_kudos_go_to_people_not_to_bots_or_deactivated_accounts(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        await slack_command(bot, "U0006", "help", CHANNEL)  # Paul has been seen: his name known
        for who in ("<@U0BOT|animateur>", "<@U0008|gone>"):  # the bot itself; a deactivated one
            refused = await slack_command(bot, "U0009", f"kudos {who} for the help", CHANNEL)
            assert refused.startswith(f"{who[2:7]} is not a person of this workspace (a bot,")
        assert await slack_command(bot, "U0009", "kudos <@U0009|dan> for me", CHANNEL) == (
            "Kudos thank someone else: you cannot give them to yourself."
        )
        done = await slack_command(bot, "U0009", "kudos <@U0006|paul> for the review", CHANNEL)
        assert done == "Your thanks to paul is posted in Data.\nYou can give 4 more today."

        async def posted() -> list[str]:
            calls = bot.slack.calls_to("chat.postMessage")
            return [str(c.args["text"]) for c in calls if c.args["channel"] == CHANNEL]

        assert await wait_for(posted) == ["🙌 dan thanks paul: “the review”"]


async def test_people_mentioned_in_a_reason_read_as_their_names(harness: Harness) -> None:
    """A mention in the reason is posted as the person's name, not their platform id; what
    names nobody known stays as typed, and the stored reason is what the giver wrote."""
    await say(harness, "U-dan", "community setup locale=en")
    await say(harness, "U-dan", "kudos U-alice for pairing with @U-bob and U-nobody")
    assert await posts(harness) == [
        ("C-data", "🙌 Dan Okafor thanks Alice Martin: “pairing with @Bob Smith and U-nobody”")
    ]
    assert await dms_to(harness, "U-alice") == [
        "🙌 Dan Okafor vous remercie dans Data & IA : « pairing with @Bob Smith and U-nobody »"
    ], "in her language"
    assert [r[3] for r in await stored(harness)] == ["pairing with @U-bob and U-nobody"]
