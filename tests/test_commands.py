"""The /animateur commands, as a member or a facilitator would use them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.builders import command, joined, submitted
from tests.conftest import Harness


async def say(harness: Harness, user: str, line: str, channel: str = "C-data") -> str:
    """Run a command (and what it starts after answering); its private reply."""
    await harness.dispatcher.handle(command(user, line, channel))
    await harness.dispatcher.idle()
    replies = [d for d in await harness.deliveries() if d.action["type"] == "RespondPrivately"]
    assert replies and replies[-1].recipient == user
    return str(replies[-1].action["text"])


async def test_help_differs_for_members_and_facilitators(harness: Harness) -> None:
    member = await say(harness, "U-bob", "help")
    assert member.startswith("What you can do:\n• help — this list")
    assert "optout <ritual|all>" in member and "facilitator add" not in member
    facilitator = await say(harness, "U-dan", "help")
    assert "As a facilitator of Data & IA, also:" in facilitator
    assert "• facilitator add|remove @someone — who facilitates" in facilitator


async def test_a_non_facilitator_cannot_change_the_community(harness: Harness) -> None:
    reply = await say(harness, "U-bob", 'community setup objective="mine now"')
    assert reply == "Only the facilitators of Data & IA can do that (U-dan)."
    shown = await say(harness, "U-bob", "community show")
    assert "mine now" not in shown


async def test_a_facilitator_changes_it_and_everyone_sees_it(harness: Harness) -> None:
    reply = await say(
        harness,
        "U-dan",
        'community setup objective="Ship ML faster together" target=70 timezone=Europe/Paris',
    )
    assert reply == "Data & IA updated: objective, target, timezone."
    shown = await say(harness, "U-bob", "community show")
    assert "Why it exists: Ship ML faster together" in shown
    assert "Target engagement: 70 % · Time zone: Europe/Paris" in shown


async def test_declaring_a_new_community_makes_you_its_facilitator(harness: Harness) -> None:
    reply = await say(harness, "U-bob", 'community setup name="Design Guild" locale=en', "C-design")
    assert reply == (
        "Design Guild is now an Animateur community, and you facilitate it. Rituals on: welcome."
    )
    shown = await say(harness, "U-bob", "community show", "C-design")
    assert shown.startswith("*Design Guild*")
    assert "Charter: 1. Share what you know, even unfinished." in shown, "the default charter"
    await harness.dispatcher.handle(joined("U-chloe", channel="C-design"))
    welcome = [d for d in await harness.deliveries() if d.recipient == "U-chloe"]
    assert welcome and "Design Guild" in welcome[0].action["text"]


async def test_working_time_holidays_and_resources_are_set_and_shown(harness: Harness) -> None:
    reply = await say(
        harness,
        "U-dan",
        'community setup working_hours=08:30-17:00 holidays="2026-12-25, 2026-12-24" '
        'resources="1. The wiki 2. #data-help 3. Friday demos"',
    )
    assert reply == "Data & IA updated: working_hours, holidays, resources."
    shown = await say(harness, "U-dan", "community show")
    assert "Working hours: 08:30-17:00 · Holidays: 2026-12-24, 2026-12-25" in shown
    assert "Useful things for newcomers: 1. The wiki 2. #data-help 3. Friday demos" in shown
    await say(harness, "U-dan", "community setup holidays=none")
    assert "Holidays: none" in await say(harness, "U-dan", "community show")


async def test_bad_arguments_get_the_usage_line_and_what_is_wrong(harness: Harness) -> None:
    line = "community setup target=150 timezone=Mars/Olympus working_hours=9-6 holidays=25/12"
    reply = await say(harness, "U-dan", line)
    assert reply.splitlines()[:4] == [
        "target: a whole number from 0 to 100",
        "timezone: unknown time zone (write e.g. Europe/Paris)",
        "working_hours: write the working hours as 09:00-18:00",
        "holidays: “25/12” is not a date (write 2026-12-25)",
    ]
    assert reply.splitlines()[4].startswith("Usage: /animateur community show | setup [name=")
    assert (await say(harness, "U-bob", "snooze forever")).endswith(
        "Usage: /animateur snooze <duration: 3d, 2w…|off>"
    )
    assert await say(harness, "U-bob", "optout") == "Usage: /animateur optout <ritual|all>"
    assert (await say(harness, "U-bob", "optout karaoke")).startswith(
        "unknown ritual “karaoke” (known: challenge, checkin, experts, intros, nudge, sponsor, "
        "welcome)"
    )


async def test_rituals_are_listed_and_switched_by_facilitators_only(harness: Harness) -> None:
    assert await say(harness, "U-bob", "rituals list") == (
        "Rituals in Data & IA:\n• challenge (Knowledge-sharing challenge) — off\n"
        "• checkin (Weekly check-in) — off\n• experts (Questions to experts) — off\n"
        "• intros (Intros) — off\n• nudge (Gentle nudges) — off\n"
        "• sponsor (Sponsors lead by example) — off\n• welcome (Welcome) — on"
    )
    assert (await say(harness, "U-bob", "rituals disable welcome")).startswith(
        "Only the facilitators"
    )
    assert await say(harness, "U-dan", "rituals disable welcome") == "Welcome is off in Data & IA."
    await harness.dispatcher.handle(joined("U-emma"))
    assert [d for d in await harness.deliveries() if d.recipient == "U-emma"] == []


async def test_facilitators_are_added_by_mention_and_one_always_remains(
    harness: Harness,
) -> None:
    await say(harness, "U0042", "help")  # a member the bot has met
    assert await say(harness, "U-dan", "facilitator add <@U0042|zoe>") == (
        "U0042 now facilitates Data & IA."
    )
    assert await say(harness, "U-dan", "facilitator remove U0042") == (
        "U0042 no longer facilitates Data & IA."
    )
    assert await say(harness, "U-dan", "facilitator remove U-dan") == (
        "A community keeps at least one facilitator."
    )


async def test_only_members_become_facilitators_and_a_member_one_always_remains(
    harness: Harness,
) -> None:
    assert await say(harness, "U-dan", "facilitator add @U-ghost") == (
        "U-ghost: not a member of this workspace (mention a member: @name)"
    )
    assert "Facilitators: U-dan ·" in await say(harness, "U-dan", "community show")
    # a stranger named before this check existed does not count as the one who remains
    async with harness.store.transaction() as tx:
        [community, *_] = await tx.directory.communities()
        community.facilitators = ["U-ghost", "U-dan"]
    assert await say(harness, "U-dan", "facilitator remove U-dan") == (
        "A community keeps at least one facilitator who is a member of the workspace: "
        "add one before removing this one."
    )
    assert await say(harness, "U-dan", "facilitator add U-chloe") == (
        "U-chloe now facilitates Data & IA."
    )
    assert await say(harness, "U-dan", "facilitator remove U-dan") == (
        "U-dan no longer facilitates Data & IA."
    )


async def test_sponsors_and_facilitators_set_up_must_be_members(harness: Harness) -> None:
    reply = await say(harness, "U-dan", "community setup sponsors=@U-ghost,U-emma")
    assert reply.splitlines()[0] == (
        "sponsors: U-ghost: not a member of this workspace (mention a member: @name)"
    )
    reply = await say(harness, "U-dan", "community setup facilitators=U-nobody")
    assert reply.splitlines()[0].startswith("facilitators: U-nobody: not a member")
    shown = await say(harness, "U-dan", "community show")
    assert "Facilitators: U-dan · Sponsors: U-emma" in shown
    assert await say(harness, "U-dan", "community setup sponsors=U-chloe,U-emma") == (
        "Data & IA updated: sponsors."
    )


async def test_setup_values_are_bounded_with_a_usage_answer(harness: Harness) -> None:
    too_long = "x" * 3001
    people = ",".join(f"U-p{i}" for i in range(21))
    days = ",".join(f"2027-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(101))
    line = f"community setup charter={too_long} sponsors={people} holidays={days} target=101"
    reply = await say(harness, "U-dan", line)
    assert reply.splitlines()[:4] == [
        "charter: at most 3000 characters",
        "sponsors: at most 20 people",
        "holidays: at most 100 days",
        "target: a whole number from 0 to 100",
    ]
    assert reply.splitlines()[4].startswith("Usage: /animateur community show | setup")
    shown = await say(harness, "U-dan", "community show")
    assert "Charter: xxx" not in shown and "Target engagement: 60 %" in shown
    assert await say(harness, "U-dan", f"community setup charter={'y' * 3000}") == (
        "Data & IA updated: charter."
    )


async def test_opting_out_is_honoured_when_sending(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))  # welcome DMs queued, not sent yet
    assert await say(harness, "U-bob", "optout welcome") == (
        "Done: you will no longer receive Welcome. (optin welcome to resume)"
    )
    await harness.worker.drain()
    ritual = [d for d in await harness.deliveries() if d.playbook == "welcome"]
    assert ritual and {d.status for d in ritual} == {"skipped"}
    replies = [d for d in await harness.deliveries() if d.playbook is None]
    assert {d.status for d in replies} == {"sent"}, "command replies still go"


async def test_a_ritual_does_not_even_start_for_a_member_who_opted_out(harness: Harness) -> None:
    await say(harness, "U-bob", "optout welcome")
    await harness.dispatcher.handle(joined("U-bob"))
    assert [r for r in await harness.runs() if r.subject == "U-bob"] == []


async def test_snooze_pauses_rituals_until_it_ends(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-alice"))  # welcome DMs queued, not sent yet
    reply = await say(harness, "U-alice", "snooze 2w")
    assert reply.startswith("Rituels en pause pour vous jusqu'au 2026-12-08 10:00")
    await harness.worker.drain()
    assert {d.status for d in await harness.deliveries() if d.playbook} == {"skipped"}
    harness.clock.advance(timedelta(weeks=2, minutes=1))
    await say(harness, "U-alice", "help")
    await harness.dispatcher.handle(joined("U-alice", channel="C-data"))
    assert await say(harness, "U-alice", "snooze off") == "Les rituels reprennent pour vous."


async def test_the_chosen_language_wins_over_the_platforms(harness: Harness) -> None:
    assert await say(harness, "U-bob", "language fr") == "Je vous parlerai en français."
    await harness.dispatcher.handle(joined("U-bob"))  # the platform still says en-US
    welcome = next(d for d in await harness.deliveries() if d.playbook == "welcome")
    assert welcome.action["text"].startswith("Bienvenue dans *Data & IA*")
    assert (await say(harness, "U-bob", "language klingon")).startswith("Utilisation")


async def form(harness: Harness, user: str, channel: str = "C-data") -> dict[str, Any]:
    """``community setup`` with no arguments: the form it offers (fails if it offers none)."""
    await harness.dispatcher.handle(command(user, "community setup", channel))
    last = (await harness.deliveries())[-1]
    assert (last.action["type"], last.recipient) == ("OpenForm", user), last.action
    return dict(last.action)


def prefilled(offered: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in offered["fields"]}


async def submit(harness: Harness, user: str, offered: dict[str, Any], **changes: str) -> str:
    """Send the form back with ``changes`` made; the answer the member gets (by DM)."""
    values = prefilled(offered) | changes
    await harness.dispatcher.handle(submitted(offered["callback"], values, user))
    last = (await harness.deliveries())[-1]
    assert (last.action["type"], last.recipient) == ("SendDirectMessage", user)
    return str(last.action["text"])


async def test_setup_without_arguments_offers_a_form_prefilled_with_the_community(
    harness: Harness,
) -> None:
    offered = await form(harness, "U-dan")
    assert (offered["title"], offered["submit_label"]) == ("Community setup", "Save")
    assert offered["callback"].startswith("setup:") and offered["channel"] == "C-data"
    assert offered["callback"].endswith(":C-data"), "the form is bound to its channel"
    values = prefilled(offered)
    assert " ".join(values) == (
        "name objective charter facilitators sponsors target timezone locale rituals "
        "working_hours working_days holidays resources"
    )
    assert values["working_days"] == "mon-fri", "Dan reads English"
    assert values["name"] == "Data & IA" and values["objective"].startswith("partager nos cas")
    assert (values["facilitators"], values["sponsors"], values["target"]) == (
        "U-dan",
        "U-emma",
        "60",
    )
    assert (values["timezone"], values["locale"], values["rituals"]) == (
        "Europe/Paris",
        "fr",
        "welcome",
    )
    long_text = [f["name"] for f in offered["fields"] if f["multiline"]]
    assert long_text == ["objective", "charter", "resources"]


async def test_on_a_new_channel_anyone_gets_the_form_with_defaults(harness: Harness) -> None:
    values = prefilled(await form(harness, "U-bob", "C-design"))
    assert (values["name"], values["facilitators"], values["target"]) == ("", "U-bob", "60")
    assert values["charter"].startswith("1. Share what you know"), "the default, in Bob's English"
    assert (values["timezone"], values["locale"], values["rituals"]) == (
        "America/New_York",
        "en",
        "welcome",
    )


async def test_a_non_facilitator_gets_the_refusal_instead_of_the_form(harness: Harness) -> None:
    reply = await say(harness, "U-bob", "community setup")
    assert reply == "Only the facilitators of Data & IA can do that (U-dan)."
    assert not [d for d in await harness.deliveries() if d.action["type"] == "OpenForm"]


async def test_a_submitted_form_changes_what_was_edited(harness: Harness) -> None:
    offered = await form(harness, "U-dan")
    reply = await submit(
        harness, "U-dan", offered, objective="Ship ML faster together", target="70", sponsors=""
    )
    assert reply == "Data & IA updated: objective, target."
    shown = await say(harness, "U-bob", "community show")
    assert "Why it exists: Ship ML faster together" in shown
    assert "Sponsors: U-emma" in shown, "an emptied field stays as it is"
    assert "Target engagement: 70 %" in shown
    unchanged = await submit(harness, "U-dan", await form(harness, "U-dan"))
    assert unchanged == "Data & IA: nothing to change."


async def test_a_form_with_a_wrong_value_changes_nothing_and_says_what_to_fix(
    harness: Harness,
) -> None:
    offered = await form(harness, "U-dan")
    reply = await submit(
        harness, "U-dan", offered, objective="new", target="150", timezone="Mars/Olympus"
    )
    assert reply.splitlines() == [
        "Nothing was changed, please fix:",
        "target: a whole number from 0 to 100",
        "timezone: unknown time zone (write e.g. Europe/Paris)",
    ]
    assert prefilled(await form(harness, "U-dan")) == prefilled(offered)


async def test_a_forged_form_from_a_non_facilitator_is_refused(harness: Harness) -> None:
    offered = await form(harness, "U-dan")
    reply = await submit(harness, "U-bob", offered, objective="mine now", facilitators="U-bob")
    assert reply == "Only the facilitators of Data & IA can do that (U-dan)."
    assert prefilled(await form(harness, "U-dan")) == prefilled(offered)


async def test_a_stale_form_is_refused_and_a_fresh_one_works(harness: Harness) -> None:
    stale = await form(harness, "U-dan")
    newer = await form(harness, "U-dan")
    assert await submit(harness, "U-dan", newer, target="80") == "Data & IA updated: target."
    reply = await submit(harness, "U-dan", stale, objective="older idea")
    assert reply == (
        "This form is out of date: Data & IA has changed since it was opened. Nothing was "
        "changed; use `community setup` to open it again with the current settings."
    )
    values = prefilled(await form(harness, "U-dan"))
    assert (values["target"], values["objective"]) == ("80", prefilled(stale)["objective"])
    # a change by command makes a form opened before it stale too
    before = await form(harness, "U-dan")
    await say(harness, "U-dan", "facilitator add U-alice")
    assert (await submit(harness, "U-dan", before, target="10")).startswith(
        "This form is out of date"
    )
    fresh = await form(harness, "U-dan")
    assert await submit(harness, "U-dan", fresh, target="10") == "Data & IA updated: target."


async def test_a_form_claiming_another_channel_is_refused(harness: Harness) -> None:
    await say(harness, "U-dan", 'community setup name="Design Guild"', "C-design")
    offered = await form(harness, "U-dan")  # Data & IA's form…
    forged = offered | {"callback": offered["callback"].replace(":C-data", ":C-design")}
    reply = await submit(harness, "U-dan", forged, target="5")  # …claiming Design Guild's channel
    assert reply == (
        "This form belongs to another channel; nothing was changed. Use `community setup` "
        "in the channel you want to change."
    )
    assert prefilled(await form(harness, "U-dan", "C-design"))["target"] == "60"
    # a form of the time before the binding says nothing of its community: refused too
    legacy = offered | {"callback": "setup:C-data"}
    assert (await submit(harness, "U-dan", legacy, target="5")).startswith(
        "This form is out of date"
    )
    assert prefilled(await form(harness, "U-dan"))["target"] == "60"


async def test_a_new_community_declared_with_the_form(harness: Harness) -> None:
    offered = await form(harness, "U-bob", "C-design")
    reply = await submit(
        harness, "U-bob", offered, name="Design Guild", facilitators="U-bob, U-alice", rituals=""
    )
    assert reply == (
        "Design Guild is now an Animateur community, and you facilitate it. Rituals on: welcome."
    )
    values = prefilled(await form(harness, "U-alice", "C-design"))
    assert (values["name"], values["facilitators"]) == ("Design Guild", "U-bob, U-alice")


async def test_the_form_lists_the_rituals_on(harness: Harness) -> None:
    offered = await form(harness, "U-dan")
    assert await submit(harness, "U-dan", offered, rituals="checkin") == (
        "Data & IA updated: rituals."
    )
    assert prefilled(await form(harness, "U-dan"))["rituals"] == "checkin", "welcome is off"


async def test_a_facilitator_runs_the_checkin_now_for_every_member(harness: Harness) -> None:
    # Paris, New York and London: 10:00, 04:00 and 09:00 right now (Dan, who facilitates, is
    # a member too: he joined the channel)
    for user in ("U-alice", "U-bob", "U-dan"):
        await harness.dispatcher.handle(joined(user))
    assert await say(harness, "U-dan", "checkin now") == (
        "Weekly check-in is off in Data & IA: /animateur rituals enable checkin first."
    )
    await say(harness, "U-dan", "rituals enable checkin")
    assert (await say(harness, "U-bob", "checkin now")).startswith("Only the facilitators")
    assert (await say(harness, "U-dan", "checkin now")).startswith(
        "Weekly check-in starts now for the members of Data & IA: I will tell you"
    )

    async def asked() -> list[str]:
        """Who was asked, once per question (reminders repeat a question's callback)."""
        deliveries = await harness.deliveries()
        questions = {
            (d.recipient, d.action["callback"]) for d in deliveries if d.playbook == "checkin"
        }
        return sorted(user for user, _callback in questions)

    assert await asked() == ["U-alice", "U-dan"], "10:00 in Paris, 09:00 in London"
    harness.clock.advance(timedelta(hours=5))  # 09:00 in New York
    await harness.scheduler.tick()
    assert await asked() == ["U-alice", "U-bob", "U-dan"], "Bob in his working hours"
    await say(harness, "U-dan", "checkin now")
    await harness.scheduler.tick()
    assert await asked() == ["U-alice", "U-bob", "U-dan"], "nobody asked twice the same day"
    assert (await say(harness, "U-dan", "checkin later")).startswith(
        "Usage: /animateur checkin now (the same as /animateur rituals run checkin)"
    )


async def test_a_community_rewords_and_reschedules_a_ritual_then_goes_back(
    harness: Harness,
) -> None:
    reply = await say(
        harness,
        "U-dan",
        'rituals set checkin schedule="0 10 * * tue" '
        'text.objective.fr="Votre cap, {{ member.name }} ?"',
    )
    assert reply == "Weekly check-in customised in Data & IA: schedule, text.objective.fr."
    listed = await say(harness, "U-dan", "rituals list")
    assert "• checkin (Weekly check-in) — off (customised)" in listed
    await say(harness, "U-dan", "rituals enable checkin")
    await harness.dispatcher.handle(joined("U-alice"))
    await say(harness, "U-dan", "checkin now")
    checkins = [d for d in await harness.deliveries() if d.playbook == "checkin"]
    question = next(d for d in checkins if d.recipient == "U-alice")
    assert question.action["text"] == "Votre cap, Alice ?"

    moved = await say(harness, "U-dan", 'rituals set checkin wait.until-friday="thu 16:00"')
    assert moved == "Weekly check-in customised in Data & IA: wait.until-friday."
    async with harness.store.transaction() as tx:
        settings = await tx.directory.playbook_settings(1, "checkin")
    assert settings["waits"] == {"until-friday": "thu 16:00"}
    assert settings["schedule"] == "0 10 * * tue", "earlier settings kept"
    refused = await say(harness, "U-dan", 'rituals set checkin schedule="61 9 * * mon"')
    assert refused.startswith("trigger.schedule.cron: invalid cron expression '61 9 * * mon'")
    wrong = await say(harness, "U-dan", "rituals set checkin colour=blue")
    assert wrong.startswith("“colour” cannot be set")
    assert (await say(harness, "U-bob", "rituals set checkin digest=x")).startswith(
        "Only the facilitators"
    )
    assert await say(harness, "U-dan", "rituals reset checkin") == (
        "Weekly check-in is back to its bundled texts and schedule in Data & IA."
    )
    assert "(customised)" not in await say(harness, "U-dan", "rituals list")


async def test_a_customised_text_that_cannot_be_rendered_is_refused(harness: Harness) -> None:
    line = 'rituals set checkin text.objective.en="Hi {{ community.facilitators[5].name }}"'
    refused = await say(harness, "U-dan", line)
    assert refused.startswith("text.objective.en: UndefinedError:")
    assert "(customised)" not in await say(harness, "U-dan", "rituals list"), "nothing stored"


async def test_a_timezone_that_is_a_folder_is_refused_not_a_crash(harness: Harness) -> None:
    reply = await say(harness, "U-dan", "community setup timezone=America")
    assert reply.startswith("timezone: unknown time zone (write e.g. Europe/Paris)")


async def test_switching_a_ritual_off_stops_its_runs_under_way(harness: Harness) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    assert [r.status for r in await harness.runs()] == ["waiting_answer"]
    await say(harness, "U-dan", "rituals disable welcome")
    assert [r.status for r in await harness.runs()] == ["done"]
