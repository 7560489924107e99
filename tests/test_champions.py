"""Champions spotted (issue 14 §4): with the weekly digest, the facilitators of the demo's
"Data & IA" (facilitator Dan) privately get up to three members who carried the community
that week — each with "add as facilitator" and "suggest as expert" buttons; the member is
asked first, and only a facilitator's press counts.

Everyone joined on 2026-11-02 (no newcomer unless a test says so); the week looked back on is
[11-30 10:00, 12-07 10:00) UTC, the digest goes out on Monday 12-07 at 10:00 UTC (11:00 in
Paris, the community's working time)."""

from __future__ import annotations

from itertools import count

from bot.runtime.champion_buttons import INVITE_PREFIX
from bot.runtime.champions import champion_callback, spot
from bot.runtime.privacy import erase_person
from bot.runtime.pulse_watch import PulseWatch
from bot.vocabulary import events as ev
from storage.tables import ChampionInvite, Community
from tests.builders import WORKSPACE
from tests.conftest import Harness
from tests.pulse_support import at, happen, joined, person, posted, reacted
from tests.test_history_queries import recorded

PEOPLE = ("alice", "bob", "chloe", "dan", "emma", "fred", "gina", "hugo", "ines", "jules")
DIGEST_AT = at(12, 7, 10)
_keys = count(1)


async def members(harness: Harness) -> None:
    for user in PEOPLE:
        await happen(harness, joined(user, at(11, 2, 8)))


async def answers(harness: Harness, who: str, questions: int, day: int = 2) -> None:
    """``questions`` questions, each by someone asking only this one (their thread that got a
    reply is too little to be named), each answered by ``who``."""
    for i in range(questions):
        asked = f"q-{who}-{i}"
        asker = f"asker{i}{who}"
        await happen(harness, posted(asker, asked, at(12, day, 9, i), question=True))
        await happen(harness, posted(who, f"a-{who}-{i}", at(12, day, 10, i), thread=asked))


async def community(harness: Harness) -> Community:
    async with harness.store.read() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        found = await tx.directory.community_by_channel(workspace.id, "C-data")
        assert found is not None
        return found


async def opt_out_all(harness: Harness, user: str) -> None:
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        member = await tx.directory.member(workspace.id, f"U-{user}")
        assert member is not None
        member.opted_out_all = True


async def digest(harness: Harness) -> None:
    harness.clock.now = DIGEST_AT
    watch = PulseWatch(harness.store, harness.clock, harness.engine.playbooks)
    assert await watch.run_due() > 0


async def sent(harness: Harness, to: str, kind: str = "") -> list[dict[str, object]]:
    """The actions queued for ``to`` (of ``kind`` only, when given), oldest first."""
    return [
        d.action
        for d in await harness.deliveries()
        if d.recipient == to and (not kind or d.action["type"] == kind)
    ]


async def spotted(harness: Harness, to: str = "U-dan") -> list[str]:
    return [
        str(a["text"])
        for a in await sent(harness, to, "AskQuestion")
        if str(a.get("callback")).startswith("champion:")
    ]


async def click(harness: Harness, user: str, callback: str, value: str) -> None:
    harness.clock.now = harness.clock.now.replace(minute=harness.clock.now.minute + 1)
    event = ev.ButtonClicked(
        workspace=WORKSPACE,
        key=f"champion-click-{next(_keys)}",
        occurred_at=harness.clock.now,
        member=person(user),
        callback=callback,
        value=value,
    )
    assert await harness.dispatcher.handle(event) == "processed"


async def invitations(harness: Harness, to: str = "U-bob") -> list[dict[str, object]]:
    return [
        a
        for a in await sent(harness, to, "AskQuestion")
        if str(a["callback"]).startswith(INVITE_PREFIX)
    ]


async def texts(harness: Harness, to: str) -> list[str]:
    return [str(a["text"]) for a in await sent(harness, to)]


async def test_a_member_who_answered_three_questions_is_spotted_and_one_who_did_nothing_is_not(
    harness: Harness,
) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await happen(harness, posted("chloe", "hello", at(12, 3, 9)))  # active, but carried no one
    await digest(harness)

    (said,) = await spotted(harness)
    # the askers' threads got replies (one each): too little to be named
    assert said == (
        "🏅 Champion spotted in Data & IA this week: <@U-bob|Bob> — answered others' questions."
    )
    (question,) = [a for a in await sent(harness, "U-dan", "AskQuestion") if a["text"] == said]
    c = await community(harness)
    assert question["callback"] == champion_callback(c.id or 0, "U-bob")
    assert [choice["label"] for choice in question["choices"]] == [  # type: ignore[attr-defined]
        "Add as facilitator",
        "Suggest as expert",
    ]
    assert not any("Chloé" in s or "U-chloe" in s for s in await spotted(harness))


async def test_at_most_three_highest_first_never_opted_out_nor_facilitators(
    harness: Harness,
) -> None:
    await members(harness)
    await answers(harness, "bob", 4)
    await answers(harness, "chloe", 3)
    await answers(harness, "emma", 2, day=3)
    await answers(harness, "fred", 2, day=4)
    await answers(harness, "ines", 5, day=1)  # the most, but she stopped every ritual
    await answers(harness, "dan", 5, day=1)  # the facilitator himself
    await opt_out_all(harness, "ines")
    await digest(harness)

    named = await spotted(harness)
    assert len(named) == 3
    assert [s.split("<@")[1].split("|")[0] for s in named] == ["U-bob", "U-chloe", "U-emma"]
    assert not any("U-ines" in s or "U-dan" in s or "U-fred" in s for s in named)


async def test_welcoming_a_newcomer_and_threads_that_got_replies_count_too(
    harness: Harness,
) -> None:
    await members(harness)
    await happen(harness, joined("kim", at(11, 30, 12)))
    await happen(harness, posted("kim", "kim-hello", at(12, 1, 9)))
    await happen(harness, posted("gina", "kim-welcome", at(12, 1, 10), thread="kim-hello"))
    await happen(harness, posted("gina", "idea", at(12, 2, 9)))
    await happen(harness, posted("hugo", "idea-reply", at(12, 2, 10), thread="idea"))
    await happen(harness, reacted("jules", "kim-hello", at(12, 1, 11)))  # welcomed: 2 only
    await digest(harness)

    (said,) = await spotted(harness)
    assert "<@U-gina|Gina>" in said
    assert said.endswith("— started threads that got replies, welcomed newcomers.")


async def test_add_as_facilitator_asks_the_member_then_adds_them_on_yes(harness: Harness) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await digest(harness)
    c = await community(harness)
    button = champion_callback(c.id or 0, "U-bob")

    # someone who does not facilitate the community presses it: refused, Bob is not asked
    await click(harness, "chloe", button, "facilitator")
    assert (await texts(harness, "U-chloe"))[-1] == (  # in her language
        "Seuls les animateurs de Data & IA peuvent utiliser ce bouton."
    )
    assert not await invitations(harness)

    await click(harness, "dan", button, "facilitator")
    (invitation,) = await invitations(harness)
    assert str(invitation["text"]).startswith(
        "<@U-dan|Dan> invites you to become a facilitator of Data & IA"
    )
    assert (await texts(harness, "U-dan"))[-1] == (
        "<@U-bob|Bob> was asked whether they want to facilitate Data & IA: "
        "you will be told their answer."
    )
    assert (await community(harness)).facilitators == ["U-dan"]  # not before Bob says yes
    # pressed again while Bob has not answered: not asked twice
    await click(harness, "dan", button, "facilitator")
    assert len(await invitations(harness)) == 1
    assert "has not answered yet" in (await texts(harness, "U-dan"))[-1]
    # someone else cannot answer for Bob
    await click(harness, "chloe", str(invitation["callback"]), "accept")
    assert (await texts(harness, "U-chloe"))[-1].startswith("Cette invitation ne vous est pas")
    assert (await community(harness)).facilitators == ["U-dan"]

    version = (await community(harness)).version
    await click(harness, "bob", str(invitation["callback"]), "accept")
    after = await community(harness)
    assert after.facilitators == ["U-dan", "U-bob"]
    assert after.version == version + 1  # a setup form opened before is now out of date
    assert (await texts(harness, "U-dan"))[-1] == (
        "<@U-bob|Bob> accepted: they are now a facilitator of Data & IA."
    )
    assert (await texts(harness, "U-bob"))[-1].startswith(
        "Welcome among the facilitators of Data & IA!"
    )
    # the button again, now stale: said so, nothing sent to Bob
    await click(harness, "dan", button, "facilitator")
    assert (await texts(harness, "U-dan"))[
        -1
    ] == "<@U-bob|Bob> is already a facilitator of Data & IA."
    assert len(await invitations(harness)) == 1


async def test_on_no_nothing_changes_and_the_facilitator_is_told(harness: Harness) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await digest(harness)
    c = await community(harness)
    await click(harness, "dan", champion_callback(c.id or 0, "U-bob"), "facilitator")
    (invitation,) = await invitations(harness)

    await click(harness, "bob", str(invitation["callback"]), "decline")
    after = await community(harness)
    assert after.facilitators == ["U-dan"] and after.version == c.version
    assert (await texts(harness, "U-dan"))[-1] == (
        "<@U-bob|Bob> declined to facilitate Data & IA; nothing was changed."
    )
    # a second answer changes nothing either
    await click(harness, "bob", str(invitation["callback"]), "accept")
    assert (await community(harness)).facilitators == ["U-dan"]
    assert (await texts(harness, "U-bob"))[-1] == "You already declined to facilitate Data & IA."
    async with harness.store.read() as tx:
        row = await tx.session.get(
            ChampionInvite, int(str(invitation["callback"]).removeprefix(INVITE_PREFIX))
        )
        assert row is not None and row.answer == "declined"


async def test_a_member_who_left_is_not_asked(harness: Harness) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await digest(harness)
    c = await community(harness)
    await happen(harness, ev.MemberLeft(
        workspace=WORKSPACE, key="bob-left", occurred_at=at(12, 7, 11), channel="C-data",
        member=person("bob"),
    ))  # fmt: skip
    await click(harness, "dan", champion_callback(c.id or 0, "U-bob"), "facilitator")
    assert (await texts(harness, "U-dan"))[
        -1
    ] == "<@U-bob|Bob> is no longer in Data & IA: nothing was sent."
    assert not await invitations(harness)


async def test_suggest_as_expert_invites_the_member_to_declare_topics(harness: Harness) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await digest(harness)
    c = await community(harness)
    before = len(await texts(harness, "U-bob"))

    await click(harness, "dan", champion_callback(c.id or 0, "U-bob"), "expert")
    suggestion = (await texts(harness, "U-bob"))[before:]
    assert len(suggestion) == 1
    assert suggestion[0].startswith("<@U-dan|Dan>, facilitator of Data & IA, thinks others")
    assert "`/animateur expert add <topic>`" in suggestion[0]
    assert (await texts(harness, "U-dan"))[-1] == (
        "<@U-bob|Bob> was invited to declare their expert topics."
    )


async def test_a_forged_or_stale_button_changes_nothing(harness: Harness) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await digest(harness)
    c = await community(harness)
    # a click naming no community, or an invitation that never was, from Bob himself
    await click(harness, "dan", "champion:99999999999999999999:U-bob", "facilitator")
    assert (await texts(harness, "U-dan"))[-1] == (
        "This button is out of date: its community no longer exists."
    )
    await click(harness, "bob", f"{INVITE_PREFIX}12345", "accept")
    assert (await texts(harness, "U-bob"))[-1].startswith("This invitation is not yours")
    after = await community(harness)
    assert after.facilitators == ["U-dan"] and after.version == c.version
    # the real button still works next to them
    await click(harness, "dan", champion_callback(c.id or 0, "U-bob"), "facilitator")
    assert len(await invitations(harness)) == 1


async def test_spotting_reads_the_week_through_indexes(harness: Harness) -> None:
    if not harness.url.startswith("sqlite"):
        return  # the plan checked is SQLite's; PostgreSQL plans tiny tables with seq scans
    await members(harness)
    await answers(harness, "bob", 3)
    c = await community(harness)
    engine = harness.store.engine
    with recorded(engine) as seen:
        async with harness.store.read() as tx:
            found = await spot(tx, c, DIGEST_AT)
    assert [f.user_id for f in found] == ["U-bob"]
    plans: list[str] = []
    async with engine.connect() as connection:
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith("SELECT"):
                explained = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                plans += [str(row[-1]) for row in explained.all()]
    tables = ("activityrecord", "pulsequestion", "communitymember", "member")
    assert [p for p in plans if p.startswith("SCAN") and p.split()[1] in tables] == []
    history = [p for p in plans if "activityrecord" in p]
    assert history and all(
        "USING INDEX ix_activity_community_time (community_id=? AND occurred_at>? AND "
        "occurred_at<?)" in p
        for p in history
    ), history


async def test_erasing_a_champion_erases_the_message_that_named_them(harness: Harness) -> None:
    await members(harness)
    await answers(harness, "bob", 3)
    await answers(harness, "emma", 3)
    await digest(harness)
    assert len(await spotted(harness)) == 2

    await erase_person(harness.store, WORKSPACE, "U-bob", harness.clock())

    (left,) = await spotted(harness)  # Emma's stays; Bob's lost its text (and its buttons)
    assert "Emma" in left
    assert not any("U-bob" in str(a) for a in await sent(harness, "U-dan"))
