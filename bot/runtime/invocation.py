"""What every ``/animateur`` command works with: the invocation, and how it fails."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from bot.runtime.context import resolve_locale
from bot.runtime.dashboard.links import DashboardLinks
from bot.runtime.governance import Checks, Governance, OutsideWork, read_outside
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from bot.vocabulary.events import CommandInvoked
from playbooks.schema import Playbook
from storage.store import Transaction
from storage.tables import Community, Member, Workspace

#: ``<@U123>`` / ``<@U123|name>`` (Slack mentions), or a bare platform user id.
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$|^@?((?:U|W)[A-Z0-9]{2,}|29:[\w-]+|U-[\w.-]+)$")


T = TypeVar("T")


class Usage(Exception):
    """The command was used wrongly: answer with its usage line (and why, if known)."""

    def __init__(self, problem: str = "") -> None:
        super().__init__(problem)
        self.problem = problem


class Refused(Exception):
    """The member may not do this here; the message says why."""


@dataclass(frozen=True, slots=True)
class OpenedFor:
    """What a submitted form was opened for: the community (0: a channel that was none yet)
    and the community's version then."""

    community_id: int
    version: int


@dataclass
class Invocation:
    tx: Transaction
    workspace: Workspace
    member: Member
    community: Community | None
    event: CommandInvoked
    now: datetime
    playbooks: Mapping[str, Playbook]
    #: the values of a submitted form, when the command came as one (``community setup``)
    submitted: Mapping[str, str] | None = None
    replies: list[str] = field(default_factory=list)
    #: a form to offer instead of a text reply
    form: act.OpenForm | None = None
    #: a scheduled ritual to run at once for the community's members, once the command is done
    run_now: str | None = None
    #: who may run a community (with what the platform answered for this event)
    governance: Checks = field(default_factory=lambda: Governance({}).checks())
    #: what a submitted form was opened for (None: no form, or one that says nothing of it)
    opened_for: OpenedFor | None = None
    #: signs the dashboard's links (None: no dashboard on this bot)
    dashboard: DashboardLinks | None = None
    #: opens a read-only transaction outside the event's (None: read within it)
    reader: Callable[[], AbstractAsyncContextManager[Transaction]] | None = None
    #: each platform's links to its messages (facilitators' replies only)
    message_links: MessageLinkBook = field(default_factory=MessageLinkBook)

    @property
    def locale(self) -> str:
        return resolve_locale(self.member, self.community, self.workspace)

    def outside(self, key: str, work: Callable[[], object]) -> object:
        """What ``work`` returns, done outside the event's transaction and off the event loop:
        the first time, OutsideWork sends it to the dispatcher, which runs the event again
        with the result. ``key`` must name the work's inputs (the same key, the same result).
        In the event's last round it is done here instead."""
        done = self.governance.answers.worked_out
        if key not in done:
            if not self.governance.answers.final:
                raise OutsideWork(key, work)
            done[key] = work()
        return done[key]

    async def read_outside(self, key: str, read: Callable[[Transaction], Awaitable[T]]) -> T:
        """What ``read`` returns, read in its own read transaction outside the event's write
        transaction (``governance.read_outside``). ``key`` names the read's inputs."""
        return await read_outside(self.governance.answers, self.reader, self.tx, key, read)

    def say(self, key: str, **values: object) -> None:
        self.replies.append(text(key, self.locale, **values))

    def named(self) -> set[str]:
        """The people the command's messages may name: the member and whoever the command
        mentions (recorded with its deliveries: a person's export and erasure find them)."""
        words = [*self.event.args, *(self.submitted or {}).values()]
        return {self.member.user_id} | {p for w in words for p in [person(w)] if p}

    async def send(self, action: act.Action, playbook: str | None = None) -> None:
        """Send ``action`` besides the command's private answer (a post in the channel, a DM
        to someone else): queued in the outbox with the command, so it goes out exactly if the
        command is done. ``playbook`` labels it as that ritual's (opt-outs, snoozes, reports)."""
        assert self.workspace.id is not None
        await self.tx.outbox.enqueue(
            workspace_id=self.workspace.id,
            action=act.action_to_dict(action),
            recipient=act.recipient_of(action),
            now=self.now,
            playbook=playbook,
            names=self.named(),
        )

    @property
    def facilitates(self) -> bool:
        """A facilitator of the community, or an administrator of the whole workspace."""
        if self.community is None:
            return False
        return self.member.user_id in self.community.facilitators or bool(
            self.event.member.is_admin
        )

    def require_community(self) -> Community:
        if self.community is None:
            raise Refused(
                text("needs_community", self.locale, hint=text("line_setup", self.locale))
            )
        return self.community

    def require_facilitator(self) -> Community:
        community = self.require_community()
        if not self.facilitates:
            people = ", ".join(community.facilitators) or text("none", self.locale)
            raise Refused(
                text("not_facilitator", self.locale, name=community.name, facilitators=people)
            )
        return community


Handler = Callable[[Invocation, list[str]], Awaitable[None]]


def person(value: str) -> str | None:
    found = _MENTION.match(value.strip())
    return (found.group(1) or found.group(2)) if found else None


def ritual(inv: Invocation, name: str) -> str:
    if name not in inv.playbooks:
        known = ", ".join(sorted(inv.playbooks))
        raise Usage(text("bad_ritual", inv.locale, name=name, known=known))
    return name


def title(inv: Invocation, name: str) -> str:
    return inv.playbooks[name].title.get(inv.locale)
