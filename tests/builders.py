"""Small builders shared by tests: events and contexts with sensible defaults."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from itertools import count
from typing import Any

from bot.app import Animateur
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from playbooks.engine import CommunityContext, MemberContext, RunContext
from storage.tables import Community

WORKSPACE = ev.WorkspaceRef("local", "demo")
#: Days of raw activity kept by the bots the platform tests run on the real clock: the recorded
#: payloads carry their 2024 times, which the default retention (400 days) would purge mid-test.
KEEP_RECORDED_ACTIVITY = 36_500

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


def click(
    callback: str, value: str, user: str = "U1", message_id: str | None = "m1"
) -> ev.ButtonClicked:
    """A click on a button of message ``message_id`` (None: a button of the member's home)."""
    return ev.ButtonClicked(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        member=ev.MemberProfile(user),
        callback=callback,
        value=value,
        message=ev.MessageRef(user, message_id) if message_id else None,
    )


def answer(callback: str, text: str, user: str = "U1") -> ev.FormSubmitted:
    return submitted(callback, {"answer": text}, user, message_id="m2")


def submitted(
    callback: str, values: dict[str, str], user: str = "U1", message_id: str | None = None
) -> ev.FormSubmitted:
    """A form sent back with ``values`` (by default from a modal: no message to answer in)."""
    return ev.FormSubmitted(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        member=ev.MemberProfile(user),
        callback=callback,
        values=values,
        message=ev.MessageRef(user, message_id) if message_id else None,
    )


def setup_form(callback: str, **extra: Any) -> act.OpenForm:
    """A small setup form as the runtime offers it (name, charter, target)."""
    return act.OpenForm(
        user_id="U1",
        channel="C1",
        title="Community setup",
        text="Change Data: edit the fields and save.",
        callback=callback,
        fields=(
            act.FormField("name", "Name", "Data"),
            act.FormField("charter", "Charter", "Be kind", multiline=True),
            act.FormField("target", "Target engagement (%)", "60", hint="0 to 100"),
        ),
        submit_label="Save",
        open_label="Open the form",
        **extra,
    )


def tick(run_id: str = "r1", at: datetime = T0) -> ev.Tick:
    return ev.Tick(workspace=WORKSPACE, key=key(), occurred_at=at, run_id=run_id)


def command(
    user: str, line: str, channel: str = "C-data", locale: str | None = None
) -> ev.CommandInvoked:
    """``/animateur <line>`` typed by ``user`` in ``channel``."""
    name, *args = line.split()
    return ev.CommandInvoked(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        channel=channel,
        member=ev.MemberProfile(user, locale=locale),
        name=name,
        args=tuple(args),
    )


def joined(user: str, channel: str = "C-data", locale: str | None = None) -> ev.MemberJoined:
    return ev.MemberJoined(
        workspace=WORKSPACE,
        key=key(),
        occurred_at=T0,
        channel=channel,
        member=ev.MemberProfile(user, user.removeprefix("U-").title(), locale),
    )


async def seed_community(
    bot: Animateur, workspace: ev.WorkspaceRef, channel: str, playbooks: tuple[str, ...]
) -> None:
    """A community "Data" on ``channel`` with ``playbooks`` on, facilitated by U0009/29:1fac."""
    now = bot.clock()
    async with bot.store.transaction() as tx:
        found = await tx.directory.ensure_workspace(workspace, now, "Acme")
        assert found.id is not None
        community = await tx.directory.add_community(
            Community(
                workspace_id=found.id,
                channel_id=channel,
                name="Data",
                objective="share what works",
                charter="be kind",
                facilitators=["U0009"],
                created_at=now,
            )
        )
        assert community.id is not None
        for name in playbooks:
            await tx.directory.set_playbook(community.id, name, True, now)


def event_as_data(event: Any, *, with_time: bool = True) -> dict[str, Any]:
    """An event as JSON-able data, for golden files."""
    data = {"type": type(event).__name__, **dataclasses.asdict(event)}
    occurred = data.pop("occurred_at")
    if with_time:
        data["occurred_at"] = occurred.isoformat()
    data["workspace"] = f"{event.workspace.platform}:{event.workspace.external_id}"
    if "values" in data:
        data["values"] = dict(data["values"])
    if "args" in data:
        data["args"] = list(data["args"])
    if "words" in data:  # a question's words, shown in order; none for other messages
        words = data.pop("words")
        if words:
            data["words"] = sorted(words)
    return data


#: A ritual asking each member of the community, every Monday at 09:30 community time.
EACH_MEMBER_MONDAY = """
name: monday
title: {en: Monday, fr: Lundi}
description: {en: test, fr: test}
trigger: {on: schedule, cron: "30 9 * * mon", audience: each_member}
steps:
  - id: ask
    kind: send_dm
    text: {en: "Your goal this week?", fr: "Votre objectif cette semaine ?"}
"""


#: a ritual that waits 2 h after a join, then says hello by DM
NUDGE = """
name: nudge
title: {en: Nudge, fr: Relance}
description: {en: test, fr: test}
trigger: {on: member_joined}
steps:
  - id: pause
    kind: wait
    duration: 2h
  - id: hello
    kind: send_dm
    text: {en: "Still with us, {{ member.name }}?", fr: "Toujours là, {{ member.name }} ?"}
"""
