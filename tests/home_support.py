"""A community's four weeks for the home's golden tests, on any platform: seven members, the
active share rising from 2 of 7 (W47) to 4 of 7 (W48), a question left unanswered, one kudos.

Read at NOW, Monday 2026-11-30 12:00 UTC: the 28 days are [11-02 12:00, 11-30 12:00)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import count
from typing import Any

from bot.app import Animateur
from bot.runtime.clock import ManualClock
from bot.vocabulary import events as ev
from storage.tables import Kudos

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_keys = count(1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


class History:
    def __init__(
        self, bot: Animateur, clock: ManualClock, workspace: ev.WorkspaceRef, channel: str
    ) -> None:
        self.bot, self.clock, self.workspace, self.channel = bot, clock, workspace, channel

    def _base(self, when: datetime) -> ev.EventFields:
        return ev.EventFields(workspace=self.workspace, key=f"home-{next(_keys)}", occurred_at=when)

    async def happen(self, event: ev.Event) -> None:
        self.clock.now = event.occurred_at
        assert await self.bot.dispatcher.handle(event) == "processed"

    async def joined(self, user: str, when: datetime) -> None:
        await self.happen(
            ev.MemberJoined(**self._base(when), channel=self.channel, member=ev.MemberProfile(user))
        )

    async def posted(
        self,
        user: str,
        message_id: str,
        when: datetime,
        thread: str | None = None,
        question: bool = False,
    ) -> None:
        await self.happen(
            ev.MessagePosted(
                **self._base(when),
                channel=self.channel,
                member=ev.MemberProfile(user),
                message_id=message_id,
                thread=thread,
                is_question=question,
            )
        )

    async def reacted(self, user: str, message_id: str, when: datetime) -> None:
        await self.happen(
            ev.ReactionAdded(
                **self._base(when),
                channel=self.channel,
                member=ev.MemberProfile(user),
                reaction="thumbsup",
                message_id=message_id,
            )
        )


async def four_weeks(history: History, members: list[str], facilitator: str) -> None:
    """``members`` (six) and the facilitator join on 10-01; then two of the seven are active
    in W47 (28.6 %), four in W48 and in the 28 days (57.1 %, under the 60 % target); the first
    member's question of 11-24 is still unanswered; the second thanks the first with a kudos.
    The first member: 2 posts, 1 reaction, 1 kudos received in the 28 days."""
    a, b, c, d, *_ = members
    for user in [*members, facilitator]:
        await history.joined(user, at(10, 1))
    await history.posted(a, "m1", at(11, 17))
    await history.reacted(b, "m1", at(11, 18))
    await history.posted(c, "m3", at(11, 23))
    await history.posted(a, "q1", at(11, 24), question=True)
    await history.posted(b, "r1", at(11, 25), thread="m3")
    await history.reacted(d, "m3", at(11, 27))
    await history.reacted(a, "m3", at(11, 27, 11))
    history.clock.now = NOW
    async with history.bot.store.transaction() as tx:
        workspace = await tx.directory.workspace(history.workspace)
        assert workspace is not None and workspace.id is not None
        community = await tx.directory.community_by_channel(workspace.id, history.channel)
        assert community is not None and community.id is not None
        await tx.kudos.add(
            Kudos(
                workspace_id=workspace.id,
                community_id=community.id,
                giver=b,
                receiver=a,
                reason="the dashboard demo",
                created_at=at(11, 26),
            )
        )


TOKEN = re.compile(r"token=[^\"&\s]+")


def unsigned(data: Any) -> Any:
    """``data`` with the dashboard link's signature (it holds a timestamp) masked."""
    if isinstance(data, dict):
        return {k: unsigned(v) for k, v in data.items()}
    if isinstance(data, list):
        return [unsigned(v) for v in data]
    if isinstance(data, str):
        return TOKEN.sub("token=<signed>", data)
    return data
