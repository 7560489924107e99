"""Who may run a community: who may declare a channel one, and who may be named its
facilitators and sponsors. The platform is asked through its Channels port, never directly —
and never inside a transaction: a command that needs an answer it does not have yet raises
PlatformQuestions; the dispatcher rolls the event back, asks (Governance.ask) and runs the
event again with the answers (Governance.settle) — while new questions come, up to a limit."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import ChannelFacts, Channels, PlatformUnavailable
from storage.store import Transaction

log = logging.getLogger(__name__)

EVERYONE = "everyone"
#: Questions one event may ask the platform in all (a command names at most a few dozen
#: people): an event asks again while its rounds bring new questions, up to this many.
QUESTION_LIMIT = 64
#: Pieces of outside work (OutsideWork) one event may need.
WORK_LIMIT = 16
#: Seconds all of one event's questions may take together, whatever the rounds (platforms bound
#: their calls further, e.g. Slack by what is left of its 3-second window).
ANSWER_BUDGET = 2.0

T = TypeVar("T")

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
    result under ``key`` — so no database lock is held meanwhile. An ``async`` work (a long
    read in its own read transaction, e.g. the pulse for ``health``) is awaited instead."""

    def __init__(self, key: str, work: Callable[[], object]) -> None:
        self.key = key
        self.work = work
        super().__init__(f"work outside the transaction: {key[:80]}")


#: Opens a read transaction of its own (``Store.read``).
Reader = Callable[[], AbstractAsyncContextManager[Transaction]]


async def read_outside(
    answers: Answers | None,
    reader: Reader | None,
    tx: Transaction,
    key: str,
    read: Callable[[Transaction], Awaitable[T]],
) -> T:
    """What ``read`` returns, read in its own read transaction outside the event's write
    transaction ``tx`` (a long read must not hold the write lock): the first time, OutsideWork
    sends it to the dispatcher, which runs the event again with the result. ``key`` names the
    read's inputs. Without answers or a reader, or in the event's last round, read in ``tx``."""
    if answers is None:
        return await read(tx)
    done = answers.worked_out
    if key not in done:
        if reader is None or answers.final:
            done[key] = await read(tx)
        else:

            async def work() -> object:
                assert reader is not None
                async with reader() as outside:
                    return await read(outside)

            raise OutsideWork(key, work)
    return done[key]  # type: ignore[return-value]


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
    #: the platform tells of anyone (Channels.knows_everyone): stored people are asked too
    knows_everyone: bool = True

    def knows(self, question: Question) -> bool:
        if question.kind == "facts":
            return question.channel in self.facts
        return (question.channel, question.user) in self.members

    def unknown(self, question: Question) -> None:
        """The platform could not tell."""
        if question.kind == "facts":
            self.facts[question.channel] = None
        else:
            self.members[(question.channel, question.user)] = None


class Governance:
    def __init__(self, platforms: Mapping[str, Channels], creators: Creators = Creators()) -> None:
        self._platforms = platforms  # not copied: platforms register after this exists
        self.creators = creators

    def checks(self, answers: Answers | None = None) -> Checks:
        """The checks of one event, with what the platform answered so far."""
        return Checks(self.creators, answers if answers is not None else Answers())

    async def settle(
        self, workspace: WorkspaceRef, attempt: Callable[[Answers], Awaitable[T]]
    ) -> T:
        """``attempt`` run with what the platform answered: each time it raises
        PlatformQuestions (or OutsideWork) with something new, that is asked (done) outside any
        transaction and it runs again — within QUESTION_LIMIT questions, WORK_LIMIT pieces of
        work and ANSWER_BUDGET seconds of asking. Then it runs a last time, ``final``: what is
        still unknown, the platform could not tell."""
        channels = self._platforms.get(workspace.platform)
        answers = Answers(knows_everyone=channels is None or channels.knows_everyone)
        due = asyncio.get_running_loop().time() + ANSWER_BUDGET
        asked = 0
        while not answers.final:
            try:
                return await attempt(answers)
            except PlatformQuestions as raised:
                new = [q for q in raised.questions if not answers.knows(q)]
                asked += len(new)
                if not new or asked > QUESTION_LIMIT:
                    answers.final = True
                else:
                    await self.ask(workspace, new, answers, due)
            except OutsideWork as work:
                if work.key in answers.worked_out or len(answers.worked_out) >= WORK_LIMIT:
                    answers.final = True
                else:
                    answers.worked_out[work.key] = (
                        await work.work()  # a read: on the event loop
                        if inspect.iscoroutinefunction(work.work)
                        else await asyncio.to_thread(work.work)
                    )
        return await attempt(answers)

    async def ask(
        self,
        workspace: WorkspaceRef,
        questions: Iterable[Question],
        into: Answers,
        due: float | None = None,
    ) -> None:
        """Ask the platform (outside any transaction), all questions at once and by ``due``
        (event loop time); what it cannot tell by then is recorded as None."""
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
                into.unknown(question)

        tasks = [asyncio.ensure_future(one(q)) for q in questions]
        if not tasks:
            return
        left = None if due is None else max(0.0, due - asyncio.get_running_loop().time())
        _done, late = await asyncio.wait(tasks, timeout=left)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("the platform could not tell in time", extra={"questions": len(late)})
        for question in questions:
            if not into.knows(question):
                into.unknown(question)


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
        """Those of ``people`` who are no members of the workspace. A platform that tells of
        anyone is asked about each of them, even those the bot stored (a deactivated account,
        someone who left the team); what it cannot tell now, the stored people answer: stored,
        a member. A platform that knows no one beyond the stored people (local) is asked only
        about the others. Raises PlatformQuestions for those the platform was not asked about
        yet, PlatformUnavailable when neither it nor the store can tell."""
        found = await tx.directory.workspace(workspace)
        stored = set()
        for person in dict.fromkeys(people):
            if found and found.id is not None and await tx.directory.member(found.id, person):
                stored.add(person)
        asked = [p for p in dict.fromkeys(people) if self.answers.knows_everyone or p not in stored]
        missing = [p for p in asked if (channel, p) not in self.answers.members]
        if missing and not self.answers.final:
            raise PlatformQuestions(Question("member", channel, p) for p in missing)
        strangers = []
        for person in asked:
            member = self.answers.members.get((channel, person))
            if member is None and person not in stored:
                raise PlatformUnavailable("membership unknown")
            if member is False:
                strangers.append(person)
        return strangers
