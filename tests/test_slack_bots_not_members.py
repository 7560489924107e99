"""On Slack, a join or a reaction carries only a user id: a bot's (users.info says is_bot) is
neither a member nor activity — a person's is, through the real Bolt stack."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from storage.tables import ActivityRecord, CommunityMember
from tests.slack_support import TEAM, fixture, joined_envelope, seeded_slack_bot


def reacted(user: str, event_id: str) -> dict[str, Any]:
    envelope = fixture("event_reaction_added")
    envelope["event"]["user"] = user
    envelope["event_id"] = event_id
    return envelope


async def _seen(bot: Any) -> tuple[set[str], set[tuple[str, str]]]:
    async with bot.store.read() as tx:
        members = (await tx.session.execute(select(CommunityMember))).scalars().all()
        records = (await tx.session.execute(select(ActivityRecord))).scalars().all()
    return {m.user_id for m in members}, {(r.user_id, r.kind) for r in records}


async def test_a_bots_join_and_reaction_are_dropped_a_persons_are_kept(database_url: str) -> None:
    async with seeded_slack_bot(database_url) as running:
        running.slack.add_user(TEAM, "U0WORKFLOW", "workflow", is_bot=True, bot_id="B0WF")
        for envelope in (
            joined_envelope("U0WORKFLOW", "Ev-bot-join"),
            reacted("U0WORKFLOW", "Ev-bot-react"),
            joined_envelope("U0002", "Ev-grace-join"),
            reacted("U0002", "Ev-grace-react"),
        ):
            assert (await running.event(envelope)).status == 200
        for _ in range(100):
            members, records = await _seen(running.bot)
            if ("U0002", "reaction_added") in records:
                break
            await asyncio.sleep(0.05)
    assert members == {"U0002"}
    assert {u for u, _ in records} == {"U0002"}
    assert records >= {("U0002", "member_joined"), ("U0002", "reaction_added")}
