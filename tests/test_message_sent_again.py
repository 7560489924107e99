"""A message the platform sends again under another event id counts once — and only that: a
message without its own id, the same id later (a platform giving an id again) and a message
deleted before it came again are told apart from it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.vocabulary import events as ev
from storage.tables import ActivityRecord, PulseMemberDay
from tests.builders import T0, WORKSPACE
from tests.conftest import Harness


def message(key: str, message_id: str, at: datetime = T0, user: str = "U-bob") -> ev.MessagePosted:
    return ev.MessagePosted(
        workspace=WORKSPACE,
        key=key,
        occurred_at=at,
        channel="C-data",
        member=ev.MemberProfile(user),
        message_id=message_id,
    )


async def posts(harness: Harness) -> dict[str, int]:
    async with harness.store.transaction() as tx:
        days = await tx.session.execute(select(PulseMemberDay.user_id, PulseMemberDay.posts))
        return dict(days.all())


async def recorded(harness: Harness, message_id: str) -> list[tuple[str, datetime | None]]:
    async with harness.store.transaction() as tx:
        rows = await tx.session.execute(
            select(ActivityRecord.user_id, ActivityRecord.deleted_at)
            .where(ActivityRecord.message_id == message_id)
            .order_by(ActivityRecord.id)
        )
        return [(user, deleted) for user, deleted in rows.all()]


async def test_messages_without_an_id_of_their_own_all_count(harness: Harness) -> None:
    """An empty platform id names no message: two such posts by one member at one time are two
    posts, not one sent again."""
    for key in ("ev-1", "ev-2"):
        assert await harness.dispatcher.handle(message(key, "")) == "processed"
    assert await posts(harness) == {"U-bob": 2}


async def test_the_same_id_at_another_time_counts_again(harness: Harness) -> None:
    assert await harness.dispatcher.handle(message("ev-1", "m1")) == "processed"
    later = T0 + timedelta(minutes=5)
    assert await harness.dispatcher.handle(message("ev-2", "m1", later)) == "processed"
    assert await harness.dispatcher.handle(message("ev-3", "m1", later)) == "processed"
    assert await posts(harness) == {"U-bob": 2}, "the second one sent again counts once"
    assert len(await recorded(harness, "m1")) == 2


async def test_a_deleted_message_sent_again_stays_deleted_and_uncounted(harness: Harness) -> None:
    assert await harness.dispatcher.handle(message("ev-1", "m1")) == "processed"
    gone = ev.MessageDeleted(
        workspace=WORKSPACE,
        key="ev-del",
        occurred_at=T0 + timedelta(minutes=1),
        channel="C-data",
        message_id="m1",
    )
    assert await harness.dispatcher.handle(gone) == "processed"
    assert await harness.dispatcher.handle(message("ev-2", "m1")) == "processed"
    assert await posts(harness) == {"U-bob": 0}
    [(user, deleted)] = await recorded(harness, "m1")
    assert (user, deleted) == ("U-bob", T0 + timedelta(minutes=1))
