"""Inbound events go first. One event loop serves the platforms' events and the background work
(a launch's chunks of members, the delivery worker's sends); every time an event awaits the
database, whatever background work is ready runs meanwhile, and the event waits for it.
Background work asks for its :meth:`Foreground.turn` before each step instead: it goes on at
once when no event is being handled, else when the last one is done — or after ``patience`` at
the most, so that a steady flow of events slows the background down but never stops it.

An event counts from when the dispatcher takes it, waiting for its transaction included. So
background work asks for its turn only where it holds no transaction: an event waiting for a row
that work has written (or for SQLite's write lock) would hold it back for a whole patience at
every step, and the event with it. On SQLite a launch's chunks do not ask at all: events already
wait in line for the one write lock, and go before the next chunk."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

#: The longest a background step waits for the events being handled (seconds).
PATIENCE = 0.1


class Foreground:
    def __init__(self, patience: float = PATIENCE) -> None:
        self.patience = patience
        self._handling = 0
        self._idle = asyncio.Event()
        self._idle.set()
        #: background steps that waited for events, and how long in all (seconds)
        self.waits, self.waited = 0, 0.0

    @property
    def handling(self) -> int:
        """Events being handled now."""
        return self._handling

    @contextmanager
    def event(self) -> Iterator[None]:
        """Around the handling of one inbound event."""
        self._handling += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._handling -= 1
            if not self._handling:
                self._idle.set()

    async def turn(self) -> None:
        """A background step's turn: now if no event is being handled (after letting what is
        ready run), else when none is — ``patience`` at the most."""
        if not self._handling:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        began = loop.time()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # meets the event's end in the same loop iteration (the step then goes on regardless)
        with suppress(TimeoutError):
            async with asyncio.timeout(self.patience):
                await self._idle.wait()
        self.waits += 1
        self.waited += loop.time() - began
