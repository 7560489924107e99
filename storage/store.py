"""The storage facade: one transaction, with a repository per aggregate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.activity import Activity
from storage.database import READ_ONLY
from storage.directory import Directory
from storage.kudos import KudosLedger
from storage.membership import Membership
from storage.outbox import Outbox
from storage.privacy import Privacy
from storage.pulse import Pulse
from storage.pulse_notices import PulseNotices
from storage.pulse_queries import PulseQueries
from storage.runs import Runs
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
    privacy: Privacy


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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Everything inside commits together, or not at all."""
        async with self._sessions() as session, session.begin():
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
        privacy=Privacy(session),
    )
