"""The storage facade: one transaction, with a repository per aggregate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.activity import Activity
from storage.directory import Directory
from storage.kudos import KudosLedger
from storage.outbox import Outbox
from storage.runs import Runs
from storage.versioning import VersionedSession


@dataclass(frozen=True, slots=True)
class Transaction:
    session: AsyncSession
    directory: Directory
    runs: Runs
    outbox: Outbox
    activity: Activity
    kudos: KudosLedger


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=VersionedSession
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Everything inside commits together, or not at all."""
        async with self._sessions() as session, session.begin():
            yield Transaction(
                session=session,
                directory=Directory(session),
                runs=Runs(session),
                outbox=Outbox(session),
                activity=Activity(session),
                kudos=KudosLedger(session),
            )

    async def close(self) -> None:
        await self.engine.dispose()
