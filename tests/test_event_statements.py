"""The inbound path stays lean: the SQL statements one event costs are counted, not timed.

A member joining a community (the welcome starts: its run and two messages queued) and a message
posted in a community channel are each handled in a handful of statements — one lookup for the
workspace and the channel's community together, upserts instead of a read then a write, the
deliveries queued in one statement. The bounds are the counts reached; a change that adds a
statement to every event fails here (SQLite's ``BEGIN IMMEDIATE`` is not counted: PostgreSQL has
no such statement).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from bot.runtime.clock import ManualClock
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.tables import ActivityRecord, CommunityMember, Delivery, PulseMemberDay
from tests.builders import T0, WORKSPACE
from tests.conftest import Harness

#: Statements a join costs: claim its key, workspace + community, member upsert, activity,
#: membership, the rituals on, the running run check, the run, its deliveries.
JOIN_STATEMENTS = 9
#: A message in a community channel: claim, lookup, member, activity, when the member was last
#: seen there, and the pulse's count of the member's day.
MESSAGE_STATEMENTS = 6
#: A launch of a ritual for LAUNCHED members, one chunk: its claim, where its members are and
#: who they are, the chunk's reads (the launch, the community, its rituals on, the members, the
#: settings, the runs going), the runs, their deliveries, the launch's progress, and the notice
#: to who asked for it (19; on PostgreSQL the roster is read in a read-only transaction, one
#: SET more).
LAUNCHED, LAUNCH_STATEMENTS = 30, 20


@contextmanager
def counted(harness: Harness) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    engine = harness.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def joined(user: str, key: str) -> ev.MemberJoined:
    return ev.MemberJoined(
        workspace=WORKSPACE,
        key=key,
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile(user, "Zoé", "fr"),
    )


def posted(user: str, key: str) -> ev.MessagePosted:
    return ev.MessagePosted(
        workspace=WORKSPACE,
        key=key,
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile(user),
    )


async def test_a_join_starts_the_welcome_in_a_bounded_number_of_statements(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(joined("U-first", "warm"))  # connections, caches
    with counted(harness) as statements:
        assert await harness.dispatcher.handle(joined("U-zoe", "join-zoe")) == "processed"
    queued = [d for d in await harness.deliveries() if d.recipient == "U-zoe"]
    assert len(queued) == 2, "the welcome's two messages are queued"
    assert [r.subject for r in await harness.runs()].count("U-zoe") == 1
    assert len(statements) <= JOIN_STATEMENTS, "\n".join(statements)


async def test_a_message_in_a_community_is_recorded_in_a_bounded_number_of_statements(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(posted("U-bob", "warm"))
    for key in ("first", "second"):  # a member seen before, and one seen for the first time
        user = "U-bob" if key == "first" else "U-new"
        with counted(harness) as statements:
            assert await harness.dispatcher.handle(posted(user, key)) == "processed"
        assert len(statements) <= MESSAGE_STATEMENTS, "\n".join(statements)
    async with harness.store.transaction() as tx:
        records = await tx.session.scalar(select(func.count()).select_from(ActivityRecord))
        present = await tx.activity.member_ids_in(1)
        seen = await tx.activity.community_ids_for(1, "U-new")
        queued = await tx.session.scalar(select(func.count()).select_from(Delivery))
        rows = await tx.session.scalar(select(func.count()).select_from(CommunityMember))
    assert records == 3, "every message is recorded"
    assert seen == [1], "who posted is seen in the community"
    assert present == [], "but only joining (or the roster) makes a member"
    assert rows == 2
    assert queued == 0, "a message starts nothing"


async def test_a_message_sent_again_under_another_event_id_counts_once(
    harness: Harness,
) -> None:
    """A platform's message carries its own id: checking it was not recorded already costs no
    statement of its own, and the same message sent again under another event id (same
    author, same time) is not counted twice — another author's message with that id is."""

    def message(key: str, user: str = "U-bob") -> ev.MessagePosted:
        return ev.MessagePosted(
            workspace=WORKSPACE,
            key=key,
            occurred_at=T0,
            channel="C-data",
            member=ev.MemberProfile(user),
            message_id="1700000000.000100",
        )

    await harness.dispatcher.handle(posted("U-bob", "warm"))
    with counted(harness) as statements:
        assert await harness.dispatcher.handle(message("ev-1")) == "processed"
    assert len(statements) <= MESSAGE_STATEMENTS, "\n".join(statements)
    assert await harness.dispatcher.handle(message("ev-2")) == "processed"
    assert await harness.dispatcher.handle(message("ev-3", "U-new")) == "processed"
    async with harness.store.transaction() as tx:
        kept = await tx.session.scalars(
            select(ActivityRecord.user_id).where(ActivityRecord.message_id == "1700000000.000100")
        )
        days = await tx.session.execute(select(PulseMemberDay.user_id, PulseMemberDay.posts))
        users, posts = sorted(kept.all()), dict(days.all())
    assert users == ["U-bob", "U-new"], "the message sent again is recorded once"
    assert posts == {"U-bob": 2, "U-new": 1}, "and counted once in the pulse"


async def test_a_retried_event_is_one_statement(harness: Harness) -> None:
    assert await harness.dispatcher.handle(posted("U-bob", "once")) == "processed"
    with counted(harness) as statements:
        assert await harness.dispatcher.handle(posted("U-bob", "once")) == "duplicate"
    assert len(statements) == 1, "\n".join(statements)


async def test_a_plain_message_costs_no_more_when_a_ritual_starts_on_questions(
    database_url: str,
) -> None:
    """With a ritual triggered by questions switched on, a message that asks nothing costs what
    it did; a question starts the ritual for its asker."""
    rituals = load_library(Path(__file__).parent / "fixtures" / "rituals")
    harness = Harness.create(database_url, ManualClock(T0), {**load_library(), **rituals})
    await harness.seed(["welcome", "asked"])
    try:
        await harness.dispatcher.handle(posted("U-bob", "warm"))
        with counted(harness) as statements:
            assert await harness.dispatcher.handle(posted("U-bob", "plain")) == "processed"
        assert len(statements) <= MESSAGE_STATEMENTS, "\n".join(statements)
        asked = ev.MessagePosted(
            workspace=WORKSPACE,
            key="asked",
            occurred_at=T0,
            channel="C-data",
            member=ev.MemberProfile("U-bob"),
            message_id="q1",
            is_question=True,
        )
        assert await harness.dispatcher.handle(asked) == "processed"
        [run] = [r for r in await harness.runs() if r.playbook == "asked"]
        assert (run.subject, run.variables, run.waiting_thread) == (
            "U-bob",
            {"question": "q1"},
            "q1",
        )
    finally:
        await harness.store.close()


#: A question costs the message's statements (its record checks it is not one already), the
#: pulse's (the question inserted, read, its answers looked for), at most two for its experts
#: (the topics its words may match, the matches) and, as a bundled ritual starts on questions
#: (experts), one read of which rituals do in this community — a savepoint only when one does.
QUESTION_STATEMENTS = MESSAGE_STATEMENTS + 3 + 2 + 1


async def test_a_question_matches_its_experts_in_a_bounded_number_of_statements(
    harness: Harness,
) -> None:
    await harness.dispatcher.handle(joined("U-bob", "join-bob"))
    async with harness.store.transaction() as tx:
        await tx.experts.add_topic(1, "U-bob", "data viz", T0)
    await harness.dispatcher.handle(posted("U-alice", "warm"))
    question = ev.MessagePosted(
        workspace=WORKSPACE,
        key="question",
        occurred_at=T0,
        channel="C-data",
        member=ev.MemberProfile("U-alice"),
        message_id="m-question",
        is_question=True,
        words=frozenset({"any", "data", "viz", "library"}),
    )
    with counted(harness) as statements:
        assert await harness.dispatcher.handle(question) == "processed"
    async with harness.store.transaction() as tx:
        matched = await tx.experts.matches(1, 1, "m-question")
    assert matched == {"U-bob": ["data viz"]}
    assert len(statements) <= QUESTION_STATEMENTS, "\n".join(statements)


async def test_a_launch_for_many_members_costs_statements_per_chunk_not_per_member(
    database_url: str,
) -> None:
    """A check-in launched for LAUNCHED members (one chunk): its runs inserted in one
    statement, its deliveries queued in one, the launch's progress written once — not a
    statement or three a member."""
    harness = Harness.create(database_url, ManualClock(T0))
    harness.scheduler.chunk_size = LAUNCHED  # one chunk, on SQLite too (smaller chunks there)
    await harness.seed(["checkin"])
    try:
        users = [f"U-m{i:02d}" for i in range(LAUNCHED)]
        for user in users:
            member = ev.MemberProfile(user, "Zoé", "fr", "Europe/Paris")
            joining = ev.MemberJoined(
                workspace=WORKSPACE, key=user, occurred_at=T0, channel="C-data", member=member
            )
            assert await harness.dispatcher.handle(joining) == "processed"
        async with harness.store.transaction() as tx:
            await tx.runs.request_launch(1, "checkin", T0, requested_by="U-dan")
        with counted(harness) as statements:
            assert await harness.scheduler.run_launches() == 1
        runs = [r.subject for r in await harness.runs() if r.playbook == "checkin"]
        asked = {d.recipient for d in await harness.deliveries() if d.playbook == "checkin"}
        assert sorted(runs) == sorted(asked) == users, "every member's run started, and asked"
        assert len(statements) <= LAUNCH_STATEMENTS, "\n".join(statements)
    finally:
        await harness.store.close()
