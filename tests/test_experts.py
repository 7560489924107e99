"""Questions to experts, the foundations (issue 12 §2): members declare their own topics
(``expert add|remove|list``), a question's words are matched to the community's experts at
ingest — its text stored nowhere — and ``experts_for`` picks who to ask: matching experts, at
most 3 asks a day each, else the facilitators."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import SQLModel, col

from bot.runtime.experts import experts_for, mark_solved, record_asked
from bot.vocabulary import events as ev
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.words import question_words, topic_words
from storage.slack_tables import SLACK_METADATA
from storage.store import Store
from storage.tables import Community, QuestionMatch
from tests.builders import T0, WORKSPACE, joined
from tests.conftest import Harness, LiveServer, wait_for
from tests.fakes.bot_connector import FakeBotConnector
from tests.pulse_support import happen, posted
from tests.slack_support import TEAM, fixture, joined_envelope, seeded_slack_bot
from tests.teams_support import TENANT, activity, running_teams_bot, seed_team_community
from tests.test_commands import say


async def test_members_declare_list_and_remove_their_own_topics(harness: Harness) -> None:
    added = await say(harness, "U-bob", "expert add  Data   VIZ ")
    assert added == "Noted: you know “data viz”. Your topics: data viz."
    again = await say(harness, "U-bob", "expert add data viz")
    assert again == "“data viz” is already one of your topics."
    await say(harness, "U-bob", "expert add Modèles de Langage")
    listed = await say(harness, "U-bob", "expert list", channel="D-bob")
    assert listed == "Your topics: data viz, modeles de langage.", "folded, in a DM too"
    removed = await say(harness, "U-bob", "expert remove DATA viz")
    assert removed == "“data viz” is no longer one of your topics."
    missing = await say(harness, "U-bob", "expert remove sql")
    assert missing == "“sql” is not one of your topics. Yours: modeles de langage."
    french = await say(harness, "U-alice", "expert add SQL")
    assert french == "C'est noté : vous connaissez « sql ». Vos sujets : sql."


async def test_bad_arguments_answer_with_the_usage_line(harness: Harness) -> None:
    usage = "Usage: /animateur expert add <topic> · expert remove <topic> · expert list"
    for line in ("expert", "expert teach sql", "expert add", "expert list all"):
        assert (await say(harness, "U-bob", line)).endswith(usage), line
    long = await say(harness, "U-bob", "expert add " + "x" * 61)
    assert long.startswith("A topic is a few words (at most 60 characters)")
    assert (await say(harness, "U-bob", "expert add ?!")).startswith("A topic is a few words")
    someone = await say(harness, "U-bob", "expert add U-alice sql")
    assert someone.startswith("You can only declare your own topics")
    french = await say(harness, "U-alice", "expert remove")
    assert french.endswith("/animateur expert add <sujet> · expert remove <sujet> · expert list")
    async with harness.store.transaction() as tx:
        assert await tx.experts.topics(1, "U-bob") == []


async def test_at_most_20_topics_each(harness: Harness) -> None:
    for n in range(20):
        await say(harness, "U-bob", f"expert add topic{n}")
    refused = await say(harness, "U-bob", "expert add one more")
    assert refused.startswith("You have 20 topics already")
    async with harness.store.transaction() as tx:
        assert len(await tx.experts.topics(1, "U-bob")) == 20


async def test_in_the_channel_the_list_shows_the_communitys_experts_by_name(
    harness: Harness,
) -> None:
    for user in ("U-alice", "U-bob", "U-chloe"):
        await harness.dispatcher.handle(joined(user))
    await say(harness, "U-alice", "expert add data viz")
    await say(harness, "U-bob", "expert add data viz")
    await say(harness, "U-bob", "expert add sql")
    await say(harness, "U-emma", "expert add budget")  # not in the community
    await say(harness, "U-chloe", "optout all")
    await say(harness, "U-chloe", "expert add python")  # stopped the rituals: not shown
    listed = await say(harness, "U-bob", "expert list")
    assert listed == (
        "Your topics: data viz, sql.\n"
        "Experts of Data & IA, by topic:\n"
        "• data viz — Alice, Bob\n"
        "• sql — Bob"
    )
    assert "U-" not in listed
    private = await say(harness, "U-bob", "expert list", channel="D-bob")
    assert private == "Your topics: data viz, sql.", "no community outside its channel"
    helped = await say(harness, "U-bob", "help")
    assert "• expert add <topic>, expert remove <topic>, expert list" in helped


async def _community(store: Store) -> Community:
    async with store.transaction() as tx:
        community = await tx.directory.community(1)
        assert community is not None
        return community


async def _matches(store: Store) -> list[tuple[str, str, str]]:
    async with store.transaction() as tx:
        rows = await tx.session.execute(select(QuestionMatch).order_by(col(QuestionMatch.id)))
        return [(m.message_id, m.expert, m.topic) for m in rows.scalars().all()]


async def _texts_anywhere(store: Store, *needles: str) -> list[str]:
    found = []
    async with store.transaction() as tx:
        for table in [*SQLModel.metadata.sorted_tables, *SLACK_METADATA.sorted_tables]:
            for row in (await tx.session.execute(select(table))).all():
                found += [
                    f"{table.name}: {value!r}"
                    for value in row
                    if any(n in str(value).lower() for n in needles)
                ]
    return found


async def test_a_question_on_the_local_platform_matches_experts_and_its_text_is_kept_nowhere(
    live_server: LiveServer,
) -> None:
    for user in ("U-alice", "U-bob", "U-chloe"):
        status, _ = await live_server.post_event(type="member_joined", user=user, channel="C-data")
        assert status == 202
    store = live_server.bot.store
    async with store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        await tx.experts.add_topic(workspace.id, "U-bob", "data viz", T0)
        await tx.experts.add_topic(workspace.id, "U-chloe", "notebooks", T0)
        await tx.experts.add_topic(workspace.id, "U-chloe", "sql", T0)
    for event in (
        {"text": "Anyone knows a good Data-Viz <@U-x> notebook, `sql` or not?"},
        {"text": "data viz notebooks are great"},  # no question
    ):
        status, body = await live_server.post_event(
            type="message_posted", user="U-alice", channel="C-data", **event
        )
        assert (status, body["status"]) == (202, "processed"), body
    matched = await _matches(store)
    assert [(expert, topic) for _, expert, topic in matched] == [
        ("U-bob", "data viz"),
        ("U-chloe", "notebooks"),
    ], "all of a topic's words, plural folded; code is no word; a statement matches nothing"
    assert await _texts_anywhere(store, "anyone", "great", "knows") == []


async def test_the_matches_follow_a_questions_edits_and_go_with_its_deletion(
    live_server: LiveServer,
) -> None:
    for user in ("U-alice", "U-bob", "U-chloe"):
        await live_server.post_event(type="member_joined", user=user, channel="C-data")
    store = live_server.bot.store
    await _declare(store, WORKSPACE, "U-bob", "data viz")
    await _declare(store, WORKSPACE, "U-chloe", "sql")
    _, body = await live_server.post_event(
        type="message_posted", user="U-alice", channel="C-data", text="Data viz is hard."
    )
    message = body["message_id"]
    assert await _matches(store) == [], "no question yet"

    async def edit(text: str) -> list[tuple[str, str]]:
        status, _ = await live_server.post_event(
            type="message_edited", user="U-alice", message_id=message, text=text
        )
        assert status == 202
        return [(expert, topic) for _, expert, topic in await _matches(store)]

    assert await edit("Data viz is hard, any tips?") == [("U-bob", "data viz")]
    assert await edit("Which SQL engine then?") == [("U-chloe", "sql")], "the new words"
    assert await edit("Never mind, found it.") == [], "no question any more"
    assert await edit("Any SQL or data viz tips?") == [("U-bob", "data viz"), ("U-chloe", "sql")]
    status, _ = await live_server.post_event(
        type="message_deleted", user="U-alice", message_id=message
    )
    assert status == 202
    assert await _matches(store) == [], "they go with the question"


async def _ask(harness: Harness, user: str, message_id: str, hours: float = 0) -> None:
    when = T0 + timedelta(hours=hours)
    await happen(harness, posted(user.removeprefix("U-"), message_id, when, question=True))


async def _match(harness: Harness, message_id: str, *experts: str) -> None:
    """The question's words matched these experts' "data viz" (as at ingest)."""
    async with harness.store.transaction() as tx:
        for expert in experts:
            await tx.experts.add_topic(1, expert, "data viz", T0)
        await tx.experts.match_question(1, 1, message_id, {"data", "viz", "help"})


async def _pick_and_ask(harness: Harness, message_id: str, hours: float = 0) -> list[str]:
    now = T0 + timedelta(hours=hours)
    async with harness.store.transaction() as tx:
        community = await tx.directory.community(1)
        assert community is not None
        chosen = await experts_for(tx, community, message_id, now)
        await record_asked(tx, community, message_id, chosen, now)
    return chosen


async def test_experts_are_asked_at_most_3_times_a_day_then_the_facilitators(
    harness: Harness,
) -> None:
    for user in ("U-alice", "U-bob", "U-chloe", "U-emma", "U-dan"):
        await harness.dispatcher.handle(joined(user))
    # Emma matches two topics, so she comes first; Alice asks, so she is never asked
    async with harness.store.transaction() as tx:
        await tx.experts.add_topic(1, "U-emma", "viz", T0)
    await _ask(harness, "U-alice", "q1")
    await _match(harness, "q1", "U-alice", "U-bob", "U-chloe", "U-emma")
    assert await _pick_and_ask(harness, "q1") == ["U-emma", "U-bob", "U-chloe"]
    assert await _pick_and_ask(harness, "q1") == [], "nobody is asked twice about a question"
    for n in (2, 3):
        await _ask(harness, "U-alice", f"q{n}", hours=n)
        await _match(harness, f"q{n}", "U-bob", "U-chloe", "U-emma")
        assert await _pick_and_ask(harness, f"q{n}", hours=n) == ["U-emma", "U-bob", "U-chloe"]
    # a 4th question the same day: they were asked 3 times — Dan, the facilitator, instead
    await _ask(harness, "U-alice", "q4", hours=4)
    await _match(harness, "q4", "U-bob", "U-chloe", "U-emma")
    assert await _pick_and_ask(harness, "q4", hours=4) == ["U-dan"]
    # the next day (Bob's, in New York: 05:00 UTC), the experts may be asked again
    await _ask(harness, "U-alice", "q5", hours=21)
    await _match(harness, "q5", "U-bob", "U-chloe", "U-emma")
    assert await _pick_and_ask(harness, "q5", hours=21) == ["U-emma", "U-bob", "U-chloe"]


async def test_without_a_matching_expert_the_facilitators_are_asked_but_never_the_asker(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(joined("U-bob"))
    await _ask(harness, "U-bob", "q1")
    assert await _pick_and_ask(harness, "q1") == ["U-dan"]
    await _ask(harness, "U-dan", "q2", hours=1)
    assert await _pick_and_ask(harness, "q2", hours=1) == [], "Dan asked it himself"
    await say(harness, "U-bob", "optout all")
    await _ask(harness, "U-alice", "q3", hours=2)
    await _match(harness, "q3", "U-bob")
    assert await _pick_and_ask(harness, "q3", hours=2) == ["U-dan"], "Bob stopped the rituals"


async def test_a_solved_question_is_marked_once(harness: Harness) -> None:
    await _ask(harness, "U-alice", "q1")
    community = await _community(harness.store)
    async with harness.store.transaction() as tx:
        assert await mark_solved(tx, community, "q1", T0 + timedelta(hours=1))
        assert await mark_solved(tx, community, "q1", T0 + timedelta(hours=2))
        assert not await mark_solved(tx, community, "nope", T0)
        question = await tx.experts.question(1, "q1")
    assert question is not None
    assert (question.solved, question.solved_at) == (True, T0 + timedelta(hours=1))


async def _declare(store: Store, ref: WorkspaceRef, user: str, topic: str) -> None:
    async with store.transaction() as tx:
        workspace = await tx.directory.workspace(ref)
        assert workspace is not None and workspace.id is not None
        await tx.experts.add_topic(workspace.id, user, topic, T0)


async def test_a_slack_question_matches_an_expert_and_its_text_is_kept_nowhere(
    database_url: str,
) -> None:
    async with seeded_slack_bot(database_url) as slack_bot:
        for user, event_id in (("U0001", "Ev-j1"), ("U0002", "Ev-j2")):
            assert (await slack_bot.event(joined_envelope(user, event_id))).status == 200
        store = slack_bot.bot.store
        await _declare(store, WorkspaceRef("slack", TEAM), "U0002", "data viz")
        for text, event_id, ts in (
            ("<@U0BOT> anyone knows a good data viz library?", "Ev-q", "1700000300.000150"),
            ("I adore data viz", "Ev-s", "1700000400.000150"),
        ):
            envelope = fixture("event_message_question")
            envelope["event"] |= {"text": text, "user": "U0001", "ts": ts}
            envelope["event_id"] = event_id
            assert (await slack_bot.event(envelope)).status == 200
        matched = await wait_for(lambda: _matches(store))
        assert matched == [("1700000300.000150", "U0002", "data viz")]
        assert await _texts_anywhere(store, "anyone", "library", "adore") == []


async def test_a_teams_question_matches_an_expert_and_its_text_is_kept_nowhere(
    database_url: str,
) -> None:
    async with FakeBotConnector() as connector, running_teams_bot(database_url, connector) as bot:
        await seed_team_community(bot.bot)
        for user, name in (("29:1abc", "Ada Lovelace"), ("29:1grace", "Grace Hopper")):
            status, _ = await bot.add_member(user, name)
            assert status in (200, 201)
        await _declare(bot.bot.store, WorkspaceRef("teams", TENANT), "29:1grace", "data viz")
        for text, message_id in (
            ("Anyone knows a good <at>dbt</at> data viz library?", "1709545000001"),
            ("I adore data viz", "1709545000002"),
        ):
            found = activity("message_channel_question", bot.connector)
            status, _ = await bot.post(found | {"id": message_id, "text": text})
            assert status in (200, 201)
        matched = await wait_for(lambda: _matches(bot.bot.store))
        assert matched == [("1709545000001", "29:1grace", "data viz")]
        assert await _texts_anywhere(bot.bot.store, "anyone", "library", "adore") == []


async def test_a_persons_topics_matches_and_asks_are_exported_and_erased(harness: Harness) -> None:
    for user in ("U-alice", "U-bob", "U-chloe"):
        await harness.dispatcher.handle(joined(user))
    await say(harness, "U-bob", "expert add data viz")
    await say(harness, "U-chloe", "expert add data viz")
    await _ask(harness, "U-alice", "q1")
    async with harness.store.transaction() as tx:
        await tx.experts.match_question(1, 1, "q1", {"data", "viz"})
    assert await _pick_and_ask(harness, "q1") == ["U-bob", "U-chloe"]
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None
        exported = await tx.privacy.export(workspace, "U-bob")
        assert [t["topic"] for t in exported["expert_topics"]] == ["data viz"]
        assert [m["message_id"] for m in exported["questions_matching_them"]] == ["q1"]
        assert [a["message_id"] for a in exported["asked_as_expert"]] == ["q1"]
        await tx.privacy.erase(workspace, "U-bob", T0)
        assert await tx.experts.topics(1, "U-bob") == []
        assert await tx.experts.matches(1, 1, "q1") == {"U-chloe": ["data viz"]}
        assert await tx.experts.asked_about(1, "q1") == {"U-chloe"}
        # the asker erased: her question goes, and the experts it matched with it
        await tx.privacy.erase(workspace, "U-alice", T0)
        assert await tx.experts.question(1, "q1") is None
        assert await tx.experts.matches(1, 1, "q1") == {}
        assert await tx.experts.topics(1, "U-chloe") == ["data viz"], "Chloé's own stay"


def test_a_questions_words_are_folded_without_mentions_links_or_code() -> None:
    text = (
        "<@U042|zoé> Quelqu'un connaît des Modèles <https://x.y/dataviz|DataViz> "
        "`pandas` :thinking_face: https://example.org/secret?x=1 pour les données ?"
    )
    assert question_words(text) == {
        "quelqu", "un", "connait", "des", "modele", "pour", "les", "donnee"
    }  # fmt: skip
    assert len(question_words(" ".join(f"w{n}" for n in range(1000)))) == 200
    assert topic_words("Modèles  de LANGAGE") == ("modele", "de", "langage")
    event = ev.MessagePosted(
        workspace=WORKSPACE,
        key="k",
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile("U-alice"),
        is_question=True,
        words=question_words("secret budget?"),
    )
    assert "budget" not in repr(event), "never shown in a log or a traceback"
