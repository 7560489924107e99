"""Small builders shared by tests: events and contexts with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from bot.vocabulary import events as ev
from playbooks.engine import CommunityContext, MemberContext, RunContext

WORKSPACE = ev.WorkspaceRef("local", "demo")
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
_keys = count(1)


def key() -> str:
    return f"k{next(_keys)}"


def context(locale: str = "en", run_id: str = "r1", member: str = "U1") -> RunContext:
    return RunContext(
        run_id=run_id,
        community=CommunityContext(
            channel="C1",
            name="Data",
            objective="share what works",
            charter="be kind",
            facilitators=("U-fac",),
        ),
        member=MemberContext(member, "Ada"),
        locale=locale,
    )


def click(callback: str, value: str, user: str = "U1", message_id: str = "m1") -> ev.ButtonClicked:
    return ev.ButtonClicked(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        member=ev.MemberProfile(user),
        callback=callback,
        value=value,
        message=ev.MessageRef(user, message_id),
    )


def answer(callback: str, text: str, user: str = "U1") -> ev.FormSubmitted:
    return ev.FormSubmitted(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        member=ev.MemberProfile(user),
        callback=callback,
        values={"answer": text},
        message=ev.MessageRef(user, "m2"),
    )


def tick(run_id: str = "r1", at: datetime = T0) -> ev.Tick:
    return ev.Tick(workspace=WORKSPACE, key=key(), occurred_at=at, run_id=run_id)


def joined(user: str, channel: str = "C-data", locale: str | None = None) -> ev.MemberJoined:
    return ev.MemberJoined(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        channel=channel,
        member=ev.MemberProfile(user, user.removeprefix("U-").title(), locale),
    )
