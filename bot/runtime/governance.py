"""Who may run a community: who may declare a channel one, and who may be named its
facilitators and sponsors. The platform is asked through its Channels port, never directly —
and never inside a transaction: a command that needs an answer it does not have yet raises
PlatformQuestions; the dispatcher rolls the event back, asks (Governance.ask) and runs the
event again with the answers (at most a few rounds)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import ChannelFacts, Channels, PlatformUnavailable
from storage.store import Transaction

log = logging.getLogger(__name__)

EVERYONE = "everyone"
#: Rounds of questions one event may need (declaring: its people, then the channel).
ROUNDS = 3

#: ``ok``; ``invite_first``: the bot is not in the channel; ``refused``: not the channel's
#: creator, an admin or allowed by the setting.
Verdict = Literal["ok", "refused", "invite_first"]


@dataclass(frozen=True, slots=True)
class Creators:
    """The allow-list ``ANIMATEUR_COMMUNITY_CREATORS``: user ids, or everyone."""

    users: frozenset[str] = frozenset()
    everyone: bool = False

    @classmethod
    def parse(cls, setting: str) -> Creators:
        words = {w.strip() for w in setting.split(",") if w.strip()}
        if EVERYONE in {w.lower() for w in words}:
            return cls(everyone=True)
        return cls(frozenset(words))

    def allows(self, user_id: str) -> bool:
        return self.everyone or user_id in self.users


@dataclass(frozen=True, slots=True)
class Question:
    """``facts`` of a channel, or whether ``user`` is a ``member`` (of the team ``channel``)."""

    kind: Literal["facts", "member"]
    channel: str
    user: str = ""


class OutsideWork(Exception):
    """The command needs ``work`` done outside the transaction and off the event loop (a slow,
    CPU-bound check such as rendering a facilitator's texts with hostile answers): the
    dispatcher rolls the event back, runs it in a thread, and runs the event again with its
    result under ``key`` — so no database lock is held meanwhile."""

    def __init__(self, key: str, work: Callable[[], object]) -> None:
        self.key = key
        self.work = work
        super().__init__(f"work outside the transaction: {key[:80]}")


class PlatformQuestions(Exception):
    """The command needs these answers from the platform: ask them outside the transaction,
    then run the event again."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self.questions = tuple(dict.fromkeys(questions))
        super().__init__(f"{len(self.questions)} question(s) for the platform")


@dataclass
class Answers:
    """What the platform answered for one event (None: it could not tell)."""

    facts: dict[str, ChannelFacts | None] = field(default_factory=dict)
    members: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    #: results of OutsideWork, by key
    worked_out: dict[str, object] = field(default_factory=dict)
    #: the last round: a question still unanswered means the platform could not tell
    final: bool = False


class Governance:
    def __init__(self, platforms: Mapping[str, Channels], creators: Creators = Creators()) -> None:
        self._platforms = platforms  # not copied: platforms register after this exists
        self.creators = creators

    def checks(self, answers: Answers | None = None) -> Checks:
        """The checks of one event, with what the platform answered so far."""
        return Checks(self.creators, answers if answers is not None else Answers())

    async def ask(
        self, workspace: WorkspaceRef, questions: Iterable[Question], into: Answers
    ) -> None:
        """Ask the platform (outside any transaction); what it cannot tell is recorded as None."""
        channels = self._platforms.get(workspace.platform)

        async def one(question: Question) -> None:
            try:
                if channels is None:
                    raise PlatformUnavailable(f"no channels port for {workspace.platform}")
                if question.kind == "facts":
                    into.facts[question.channel] = await channels.facts(workspace, question.channel)
                else:
                    key = (question.channel, question.user)
                    into.members[key] = await channels.is_member(
                        workspace, question.channel, question.user
                    )
            except PlatformUnavailable as problem:
                log.warning("the platform could not tell", extra={"reason": str(problem)})
                if question.kind == "facts":
                    into.facts[question.channel] = None
                else:
                    into.members[(question.channel, question.user)] = None

        await asyncio.gather(*(one(q) for q in questions))


@dataclass(frozen=True, slots=True)
class Checks:
    creators: Creators
    answers: Answers

    def may_declare(self, channel: str, user_id: str, is_admin: bool) -> Verdict:
        """Whether ``user_id`` may declare ``channel`` a community. Raises PlatformQuestions
        until the platform was asked, PlatformUnavailable when it could not tell."""
        if channel not in self.answers.facts and not self.answers.final:
            raise PlatformQuestions([Question("facts", channel)])
        facts = self.answers.facts.get(channel)
        if facts is None:
            raise PlatformUnavailable("channel facts unknown")
        if not facts.bot_is_member:  # first: until then, Slack hides who made a private one
            return "invite_first"
        allowed = (
            facts.open_to_all
            or is_admin
            or user_id in facts.owners
            or self.creators.allows(user_id)
        )
        return "ok" if allowed else "refused"

    async def strangers(
        self, tx: Transaction, workspace: WorkspaceRef, channel: str, people: Iterable[str]
    ) -> list[str]:
        """Those of ``people`` who are no members of the workspace: neither known to the bot
        (stored) nor confirmed by the platform. Raises PlatformQuestions for those the platform
        was not asked about yet, PlatformUnavailable when it could not tell."""
        found = await tx.directory.workspace(workspace)
        unknown = []
        for person in dict.fromkeys(people):
            if found is None or found.id is None or not await tx.directory.member(found.id, person):
                unknown.append(person)
        missing = [p for p in unknown if (channel, p) not in self.answers.members]
        if missing and not self.answers.final:
            raise PlatformQuestions(Question("member", channel, p) for p in missing)
        confirmed = [self.answers.members.get((channel, p)) for p in unknown]
        if None in confirmed:
            raise PlatformUnavailable("membership unknown")
        return [p for p, member in zip(unknown, confirmed, strict=True) if not member]
