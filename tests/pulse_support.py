"""A hand-built community history for the pulse's tests, every fact at its own platform time.

The community is the demo's "Data & IA" (C-data; sponsor Emma, facilitator Dan, target 60 %).
The report is read at REPORT_AT, Monday 2026-11-30 12:00 UTC: the 28 days are
[11-02 12:00, 11-30 12:00), the 7 days [11-23 12:00, 11-30 12:00), the weeks W45..W48.
The figures each fact leads to are worked out by hand in tests/test_pulse_indicators.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count

from bot.runtime.membership import RosterSync
from bot.runtime.roster import Rosters
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from storage.tables import Delivery
from tests.builders import WORKSPACE
from tests.conftest import Harness

REPORT_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHANNEL = "C-data"
_keys = count(1)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _base(when: datetime) -> ev.EventFields:
    return ev.EventFields(workspace=WORKSPACE, key=f"pulse-{next(_keys)}", occurred_at=when)


def person(user: str) -> ev.MemberProfile:
    return ev.MemberProfile(f"U-{user}", user.title())


def joined(user: str, when: datetime, channel: str = CHANNEL) -> ev.MemberJoined:
    return ev.MemberJoined(**_base(when), channel=channel, member=person(user))


def left(user: str, when: datetime, channel: str = CHANNEL) -> ev.MemberLeft:
    return ev.MemberLeft(**_base(when), channel=channel, member=person(user))


def posted(
    user: str,
    message_id: str,
    when: datetime,
    *,
    thread: str | None = None,
    question: bool = False,
    channel: str = CHANNEL,
    direct: bool = False,
    parent_author: str | None = None,
) -> ev.MessagePosted:
    return ev.MessagePosted(
        **_base(when),
        channel=channel,
        member=person(user),
        message_id=message_id,
        thread=thread,
        is_question=question,
        is_direct=direct,
        parent_author=parent_author,
    )


def edited(user: str, message_id: str, when: datetime, question: bool) -> ev.MessageEdited:
    return ev.MessageEdited(
        **_base(when), channel=CHANNEL, member=person(user), message_id=message_id,
        is_question=question,
    )  # fmt: skip


def deleted(message_id: str, when: datetime, by: str | None = None) -> ev.MessageDeleted:
    return ev.MessageDeleted(
        **_base(when),
        channel=CHANNEL,
        message_id=message_id,
        member=person(by) if by else None,
    )


def reacted(
    user: str, message_id: str, when: datetime, reaction: str = "thumbsup"
) -> ev.ReactionAdded:
    return ev.ReactionAdded(
        **_base(when), channel=CHANNEL, member=person(user), reaction=reaction,
        message_id=message_id,
    )  # fmt: skip


def unreacted(
    user: str, message_id: str, when: datetime, reaction: str = "thumbsup"
) -> ev.ReactionRemoved:
    return ev.ReactionRemoved(
        **_base(when), channel=CHANNEL, member=person(user), reaction=reaction,
        message_id=message_id,
    )  # fmt: skip


@dataclass
class FakeRoster:
    """A platform roster that says who is in each channel (bots already left out)."""

    channels: dict[str, list[str]] = field(default_factory=dict)
    calls: int = 0

    async def members(self, workspace: ev.WorkspaceRef, channel: str) -> list[ev.MemberProfile]:
        self.calls += 1
        return [person(u) for u in self.channels.get(channel, [])]


async def happen(harness: Harness, event: ev.Event) -> None:
    """The event reaches the bot at the moment it happened."""
    harness.clock.now = event.occurred_at
    assert await harness.dispatcher.handle(event) == "processed"


async def click_charter(harness: Harness, user: str, when: datetime) -> None:
    """``user`` accepts the welcome's charter (an answer to the ritual)."""
    run = next(
        r for r in await harness.runs() if r.subject == f"U-{user}" and r.playbook == "welcome"
    )
    harness.clock.now = when
    click = ev.ButtonClicked(
        **_base(when), member=person(user), callback=f"run:{run.id}:charter", value="accept"
    )
    assert await harness.dispatcher.handle(click) == "processed"


async def bot_posts(harness: Harness, when: datetime) -> str:
    """The bot posts in the channel (through the outbox and the local platform): its id."""
    harness.clock.now = when
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        post = act.PostToCommunity(channel=CHANNEL, text="This week's challenge")
        delivery = await tx.outbox.enqueue(
            workspace_id=workspace.id,
            action=act.action_to_dict(post),
            recipient=CHANNEL,
            now=when,
        )
    await harness.worker.drain()
    async with harness.store.transaction() as tx:
        sent = await tx.session.get(Delivery, delivery.id)
        assert sent is not None and sent.status == "sent" and sent.platform_ref
        return sent.platform_ref


async def build_history(harness: Harness) -> None:
    """The history every figure of tests/test_pulse_indicators.py is worked out from."""
    for user in ("alice", "bob", "chloe", "dan", "emma", "hana"):
        await happen(harness, joined(user, at(10, 1)))
    # the platform's roster, read on 11-01, also has Ivy, who never joined through an event
    roster = FakeRoster({CHANNEL: ["alice", "bob", "chloe", "dan", "emma", "hana", "ivy"]})
    harness.clock.now = at(11, 1)
    assert await RosterSync(harness.store, Rosters(harness.store, {"local": roster}),
                            harness.clock).run_due() == 1  # fmt: skip
    await happen(harness, posted("bob", "p0", at(10, 20, 10)))  # before the 28 days
    await happen(harness, reacted("ivy", "p0", at(11, 2, 11)))  # an hour before them
    await happen(harness, posted("alice", "p1", at(11, 3, 9), question=True))
    await happen(harness, posted("alice", "r2", at(11, 3, 9, 10), thread="p1"))  # her own
    await happen(harness, posted("chloe", "r1", at(11, 3, 9, 30), thread="p1"))  # 30 min
    await happen(harness, reacted("emma", "p1", at(11, 4)))
    await happen(harness, joined("leo", at(11, 5)))
    await happen(harness, joined("gus", at(11, 10)))
    await happen(harness, posted("bob", "p2", at(11, 10, 14), question=True))
    await happen(harness, posted("dan", "r3", at(11, 10, 16), thread="p2"))  # 120 min
    await happen(harness, posted("dan", "p6", at(11, 12, 10), question=True))
    await happen(harness, edited("dan", "p6", at(11, 12, 10, 5), question=False))
    await happen(harness, left("leo", at(11, 12)))
    await happen(harness, posted("chloe", "p7", at(11, 13, 10)))
    await happen(harness, edited("chloe", "p7", at(11, 13, 10, 2), question=True))
    await happen(harness, posted("alice", "r7", at(11, 13, 10, 45), thread="p7"))  # 45 min
    await happen(harness, posted("bob", "p8", at(11, 14, 10), question=True))
    await happen(harness, deleted("p8", at(11, 14, 10, 30), by="bob"))
    await happen(harness, joined("jay", at(11, 15)))
    await happen(harness, posted("chloe", "p3", at(11, 20, 8), question=True))
    await happen(harness, posted("chloe", "r4", at(11, 20, 9), thread="p3"))  # her own
    await happen(harness, joined("finn", at(11, 20, 10)))
    await happen(harness, reacted("chloe", "p0", at(11, 23, 11)))  # before the 7 days
    await happen(harness, reacted("bob", "p3", at(11, 23, 13)))
    await happen(harness, posted("hana", "p10", at(11, 24, 10)))
    await happen(harness, joined("kim", at(11, 25)))
    await happen(harness, posted("alice", "p5", at(11, 25, 10), question=True))
    await happen(harness, posted("bob", "r5", at(11, 25, 10, 10), thread="p5"))  # deleted:
    await happen(harness, posted("emma", "r6", at(11, 25, 11), thread="p5"))  # 60 min, first
    await happen(harness, deleted("r5", at(11, 25, 12), by="bob"))
    await happen(harness, posted("finn", "p12", at(11, 25, 14)))
    await happen(harness, left("hana", at(11, 26)))
    await happen(harness, posted("kim", "r8", at(11, 26, 8), thread="p10"))
    await happen(harness, reacted("ivy", "p2", at(11, 27)))
    await happen(harness, unreacted("ivy", "p2", at(11, 27, 9, 5)))
    bot_post = await bot_posts(harness, at(11, 27, 9, 30))
    await happen(harness, posted("dan", "r9", at(11, 27, 10), thread=bot_post))
    await happen(harness, joined("max", at(11, 28)))
    await happen(harness, posted("ivy", "d1", at(11, 28, 15), channel="D-ivy", direct=True))
    await happen(harness, posted("ivy", "x1", at(11, 28, 16), channel="C-random"))
    await happen(harness, posted("jay", "p9", at(11, 29, 10)))  # 14 days and an hour in
    await happen(harness, reacted("jay", "p9", at(11, 29, 10, 5)))  # his own
    await happen(harness, posted("finn", "p4", at(11, 29, 20), question=True))
    await happen(harness, reacted("max", "p4", at(11, 29, 21)))
    await happen(harness, reacted("gus", "p12", at(11, 30, 11)))
    await happen(harness, reacted("gus", "p12", at(11, 30, 13), reaction="tada"))  # after t
    await happen(harness, posted("jay", "p11", at(11, 30, 12, 30)))  # after t
    for user, when in (
        ("gus", at(11, 10, 9, 5)),
        ("finn", at(11, 20, 10, 5)),
        ("kim", at(11, 25, 9, 5)),
    ):
        await click_charter(harness, user, when)


async def declared(harness: Harness, when: datetime) -> None:
    """The community was declared then."""
    async with harness.store.transaction() as tx:
        workspace = await tx.directory.workspace(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, CHANNEL)
        assert community is not None
        community.created_at = when


async def answered_week(harness: Harness) -> None:
    """Five more questions in W47, each answered, so that week's rate and answer time show
    (a week of fewer than 5 questions withholds them). Alice and Chloé were regulars
    already: the participation split is the same."""
    for i, (asker, answerer) in enumerate([("alice", "chloe")] * 3 + [("chloe", "alice")] * 2):
        await happen(harness, posted(asker, f"w{i}", at(11, 17, 9 + i), question=True))
        reply = posted(answerer, f"wr{i}", at(11, 17, 9 + i, 10 * (i + 1)), thread=f"w{i}")
        await happen(harness, reply)
