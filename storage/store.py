"""The storage facade: one transaction, with a repository per aggregate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.activity import Activity
from storage.champions import Champions
from storage.database import READ_ONLY
from storage.directory import Directory
from storage.experts import Experts
from storage.groupings import Groupings
from storage.highlights import Highlights
from storage.kudos import KudosLedger
from storage.membership import Membership
from storage.outbox import Outbox
from storage.privacy import Privacy
from storage.pulse import Pulse
from storage.pulse_notices import PulseNotices
from storage.pulse_queries import PulseQueries
from storage.runs import Runs
from storage.seasons import Seasons
from storage.threads import Threads
from storage.versioning import VersionedSession


@dataclass(frozen=True, slots=True)
class Transaction:
    session: AsyncSession
    directory: Directory
    runs: Runs
    outbox: Outbox
    activity: Activity
    pulse: Pulse
    pulse_queries: PulseQueries
    pulse_notices: PulseNotices
    membership: Membership
    kudos: KudosLedger
    experts: Experts
    privacy: Privacy
    seasons: Seasons
    threads: Threads
    champions: Champions
    groupings: Groupings
    highlights: Highlights


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=VersionedSession
        )
        self._readers = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            sync_session_class=VersionedSession,
        )
        # SQLite has one writer at a time, and every transaction here is one (BEGIN IMMEDIATE):
        # this process's transactions take turns in order on a lock instead of polling
        # SQLite's busy handler, which sleeps between tries (up to 100 ms each) and made a busy
        # process wait seconds for a lock free most of that time. Other processes on the same
        # file still meet SQLite's own lock (busy_timeout).
        self._turns = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._holder: asyncio.Task[object] | None = None

    @property
    def one_writer(self) -> bool:
        """True where the database lets one transaction write at a time (SQLite): a long
        transaction there holds back every other, inbound events included."""
        return self._turns is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Everything inside commits together, or not at all."""
        async with AsyncExitStack() as stack:
            await self._take_turn(stack)
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            yield _repositories(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Transaction]:
        """A transaction that only reads, from one snapshot of the database: on SQLite it
        never takes the write lock (a deferred transaction: a long report does not hold back
        an inbound event), on PostgreSQL it is read-only and repeatable-read. Writing in it
        fails."""
        async with self._readers() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                await session.execute(
                    text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                )
            yield _repositories(session)

    async def _take_turn(self, stack: AsyncExitStack) -> None:
        """SQLite: wait for this process's other transactions (not for one this task holds
        already: a transaction opened inside another goes on as SQLite lets it)."""
        task = asyncio.current_task()
        if self._turns is None or (task is not None and self._holder is task):
            return
        await self._turns.acquire()
        self._holder = task

        def release() -> None:
            self._holder = None
            self._turns.release()  # type: ignore[union-attr]

        stack.callback(release)

    async def close(self) -> None:
        await self.engine.dispose()


def _repositories(session: AsyncSession) -> Transaction:
    return Transaction(
        session=session,
        directory=Directory(session),
        runs=Runs(session),
        outbox=Outbox(session),
        activity=Activity(session),
        pulse=Pulse(session),
        pulse_queries=PulseQueries(session),
        pulse_notices=PulseNotices(session),
        membership=Membership(session),
        kudos=KudosLedger(session),
        experts=Experts(session),
        privacy=Privacy(session),
        seasons=Seasons(session),
        threads=Threads(session),
        champions=Champions(session),
        groupings=Groupings(session),
        highlights=Highlights(session),
    )
