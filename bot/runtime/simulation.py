"""Run rituals against a synthetic community on a virtual clock: what would be sent, to whom,
when — before a facilitator launches them. Tests drive the same machinery.

Everything real runs (database, dispatcher, engine, scheduler, outbox and worker, opt-outs,
working hours); only time is virtual and the platform is a recorder. Members answer each
question with their own probability after a short delay, deterministically for a given seed.
"""

from __future__ import annotations

import itertools
import random
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func
from sqlmodel import col, select

from bot.runtime.clock import ManualClock
from bot.runtime.delivery import DeliveryWorker, RetryPolicy
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.roster import Rosters
from bot.runtime.scheduler import Scheduler
from bot.runtime.schedules import schedules_of
from bot.vocabulary import actions as act
from bot.vocabulary import events as ev
from bot.vocabulary.ports import SendOutcome
from playbooks.calendar import zone
from playbooks.engine import Engine
from playbooks.schema import Playbook
from storage.database import make_engine, upgrade
from storage.store import Store
from storage.tables import Answer, Community, Run

WORKSPACE = ev.WorkspaceRef("local", "simulation")
CHANNEL = "C-community"
FACILITATOR = "U-facilitator"
#: How long a member who answers takes to do it, drawn per question.
ANSWER_DELAYS = (timedelta(minutes=5), timedelta(minutes=40), timedelta(hours=2))
#: With ``converse``: how many others may react to each reply (each with their answer rate),
#: and how long after the reply they do.
REACTORS = 2
REACTION_DELAY = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Said:
    """A member's own message or reaction in the community's channel (``converse``)."""

    at: datetime
    user_id: str
    kind: str  # "reply" | "reaction"


@dataclass(frozen=True, slots=True)
class SimMember:
    user_id: str
    name: str
    timezone: str
    locale: str = "en"
    #: chance of answering each question (0: never, 1: always)
    answer_rate: float = 0.7
    #: how long they take to answer (None: one of ANSWER_DELAYS, drawn per question)
    delay: timedelta | None = None

    @property
    def profile(self) -> ev.MemberProfile:
        return ev.MemberProfile(self.user_id, self.name, self.locale, self.timezone)


@dataclass(frozen=True, slots=True)
class Sent:
    """One message that reached the (recorded) platform."""

    at: datetime
    recipient: str
    action: act.Action
    #: the id the platform gave it
    ref: str = ""

    @property
    def text(self) -> str:
        return getattr(self.action, "text", "")

    @property
    def callback(self) -> str | None:
        return getattr(self.action, "callback", None)


@dataclass
class Recorder:
    """The simulated platform: every send succeeds and is kept, with the virtual time."""

    clock: ManualClock
    sent: list[Sent] = field(default_factory=list)
    platform: str = "local"
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def send(self, workspace: ev.WorkspaceRef, action: act.Action) -> SendOutcome:
        ref = f"m{next(self._ids)}"
        self.sent.append(Sent(self.clock(), act.recipient_of(action), action, ref))
        return SendOutcome("sent", platform_ref=ref)


def synthetic_members(
    count: int, timezones: Sequence[str], locale: str, answer_rate: float
) -> list[SimMember]:
    """``count`` members spread over ``timezones`` in turn."""
    width = len(str(count))
    return [
        SimMember(
            f"U-{i:0{width}d}",
            f"Member {i:0{width}d}",
            timezones[(i - 1) % len(timezones)],
            locale,
            answer_rate,
        )
        for i in range(1, count + 1)
    ]


class Simulation:
    """A community with ``playbooks`` enabled, driven on a virtual clock from ``start``."""

    def __init__(
        self,
        playbooks: Mapping[str, Playbook],
        start: datetime,
        *,
        timezone: str = "Europe/Paris",
        locale: str = "en",
        holidays: Iterable[str] = (),
        seed: int = 1,
        database_url: str | None = None,
        converse: bool = False,
    ) -> None:
        """``converse``: members also reply in the threads of the posts rituals remember
        (each with their answer rate) and react to one another's replies."""
        self.clock = ManualClock(start)
        self.converse = converse
        self.said: list[Said] = []
        self.playbooks = dict(playbooks)
        self.timezone = timezone
        self.locale = locale
        self.holidays = list(holidays)
        self.members: dict[str, SimMember] = {}
        self.recorder = Recorder(self.clock)
        self._rng = random.Random(seed)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="animateur-sim-")
            database_url = f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'sim.db'}"
        self.store = Store(make_engine(database_url))
        self.engine = Engine(self.playbooks)
        self.worker = DeliveryWorker(
            self.store,
            {"local": self.recorder},
            self.clock,
            RetryPolicy(max_attempts=3),
            concurrency=1,  # one send at a time: the same timeline on every run
        )
        self.dispatcher = Dispatcher(self.store, self.engine, self.clock)
        self.worker.foreground = self.dispatcher.foreground  # as `animateur serve` wires it
        self.scheduler = Scheduler(
            self.store,
            self.dispatcher.handle,
            self.dispatcher.fire_schedule,
            self.playbooks,
            self.clock,
            roster=Rosters(self.store, {}),
            launcher=self.dispatcher.launches,
        )
        self.dispatcher.run_now = self.scheduler.run_now
        self._pending: list[tuple[datetime, ev.Event]] = []
        self._decided: set[str] = set()
        self._keys = itertools.count()
        self._seen = 0
        self.community_id = 0

    async def __aenter__(self) -> Simulation:
        await upgrade(self.store.engine)
        now = self.clock()
        async with self.store.transaction() as tx:
            workspace = await tx.directory.ensure_workspace(WORKSPACE, now, "Simulation")
            assert workspace.id is not None
            community = await tx.directory.add_community(
                Community(
                    workspace_id=workspace.id,
                    channel_id=CHANNEL,
                    name="Community" if self.locale == "en" else "Communauté",
                    objective="share what works",
                    charter="be kind",
                    facilitators=[FACILITATOR],
                    timezone=self.timezone,
                    locale=self.locale,
                    holidays=self.holidays,
                    created_at=now,
                )
            )
            assert community.id is not None
            self.community_id = community.id
            for name in self.playbooks:
                await tx.directory.set_playbook(community.id, name, True, now)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- what happens -------------------------------------------------------------------

    async def join(self, member: SimMember) -> None:
        """``member`` joins the community now."""
        self.members[member.user_id] = member
        await self.dispatcher.handle(
            ev.MemberJoined(
                workspace=WORKSPACE,
                key=self._key(),
                occurred_at=self.clock(),
                channel=CHANNEL,
                member=member.profile,
            )
        )
        await self._settle()

    async def dispatch(self, event: ev.Event) -> None:
        await self.dispatcher.handle(event)
        await self.dispatcher.idle()
        await self._settle()

    async def run_until(self, end: datetime) -> None:
        """Move the virtual clock to ``end``, stopping at every moment something is due."""
        while True:
            due = await self._next_moment()
            if due is None or due > end:
                break
            self.clock.now = max(self.clock.now, due)
            await self._settle()
        self.clock.now = max(self.clock.now, end)
        await self._settle()

    async def _settle(self) -> None:
        """Deliver answers that are due, wake runs and fire schedules, send what is queued."""
        now = self.clock()
        ready = [e for at, e in self._pending if at <= now]
        self._pending = [(at, e) for at, e in self._pending if at > now]
        for event in ready:
            await self.dispatcher.handle(event)
        await self.dispatcher.idle()
        for _ in range(100):  # a send may wake a run at once (its post remembered): again
            for _ in range(1000):  # a pass wakes at most 500 runs: repeat while there is more
                if not await self.scheduler.tick():
                    break
            delivered = False
            while await self.worker.drain():
                delivered = True
            if not delivered:
                break
        for sent in self.recorder.sent[self._seen :]:
            self._script_answer(sent)
        self._seen = len(self.recorder.sent)

    def _script_conversation(self, sent: Sent) -> None:
        """A remembered post (a ritual's prompt): members reply in its thread and react to
        others' replies, each with their own answer rate."""
        people = sorted(self.members.values(), key=lambda m: m.user_id)
        for number, member in enumerate(people):
            if self._rng.random() >= member.answer_rate:
                continue
            at = sent.at + (member.delay or self._rng.choice(ANSWER_DELAYS))
            reply = f"{sent.ref}-r{number}"
            self._pending.append(
                (
                    at,
                    ev.MessagePosted(
                        workspace=WORKSPACE,
                        key=self._key(),
                        occurred_at=at,
                        channel=CHANNEL,
                        member=member.profile,
                        thread=sent.ref,
                        message_id=reply,
                    ),
                )
            )
            self.said.append(Said(at, member.user_id, "reply"))
            others = [m for m in people if m is not member]
            for other in self._rng.sample(others, min(REACTORS, len(others))):
                if self._rng.random() >= other.answer_rate:
                    continue
                when = at + REACTION_DELAY
                self._pending.append(
                    (
                        when,
                        ev.ReactionAdded(
                            workspace=WORKSPACE,
                            key=self._key(),
                            occurred_at=when,
                            channel=CHANNEL,
                            member=other.profile,
                            reaction="clap",
                            message_id=reply,
                            target_author=member.user_id,
                        ),
                    )
                )
                self.said.append(Said(when, other.user_id, "reaction"))

    def _script_answer(self, sent: Sent) -> None:
        if self.converse and isinstance(sent.action, act.PostToCommunity) and sent.action.remember:
            self._script_conversation(sent)
            return
        action, member = sent.action, self.members.get(sent.recipient)
        if not isinstance(action, act.AskQuestion) or member is None:
            return
        if action.callback in self._decided:
            return  # a reminder: the member already decided whether to answer
        self._decided.add(action.callback)
        if self._rng.random() >= member.answer_rate:
            return
        at = sent.at + (member.delay or self._rng.choice(ANSWER_DELAYS))
        event: ev.Event
        if action.choices:
            event = ev.ButtonClicked(
                workspace=WORKSPACE,
                key=self._key(),
                occurred_at=at,
                member=member.profile,
                callback=action.callback,
                value=self._rng.choice(action.choices).value,
            )
        else:
            words = "ma réponse" if member.locale == "fr" else "my answer"
            event = ev.FormSubmitted(
                workspace=WORKSPACE,
                key=self._key(),
                occurred_at=at,
                member=member.profile,
                callback=action.callback,
                values={"answer": f"{member.name}: {words}"},
            )
        self._pending.append((at, event))

    async def _next_moment(self) -> datetime | None:
        """The next instant anything may happen: a run's wake-up, a cron fire, an answer."""
        now = self.clock()
        moments = [at for at, _ in self._pending]
        async with self.store.transaction() as tx:
            query = select(func.min(Run.wake_at)).where(
                col(Run.status) != "done", col(Run.wake_at) > now
            )
            wake: datetime | None = (await tx.session.execute(query)).scalar_one_or_none()
        if wake is not None:
            moments.append(wake)
        zones = {self.timezone} | {m.timezone for m in self.members.values()}
        for playbook in self.playbooks.values():
            for schedule in schedules_of(playbook, {}):
                for name in zones:
                    trigger = CronTrigger.from_crontab(schedule.cron, timezone=zone(name))
                    fire = trigger.get_next_fire_time(None, now + timedelta(seconds=1))
                    if fire is not None:
                        moments.append(fire)
        return min(moments) if moments else None

    async def answers_per_step(self) -> dict[str, int]:
        """How many runs answered each step (recorded facts included)."""
        async with self.store.transaction() as tx:
            query = (
                select(Answer.step, func.count(func.distinct(Answer.run_id)))
                .where(Answer.community_id == self.community_id)
                .group_by(col(Answer.step))
            )
            return {step: int(n) for step, n in (await tx.session.execute(query)).all()}

    def _key(self) -> str:
        return f"sim-{next(self._keys)}"
