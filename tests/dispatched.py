"""What reaches the dispatcher: every event a platform hands the runtime, recorded in order.

Patched on the class before the bot is built, so the sink each platform was given (the
dispatcher's ``handle``, counted by the metrics) records too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from bot.runtime.dispatcher import Dispatcher
from bot.vocabulary import events as ev
from bot.vocabulary.ports import DispatchResult

E = TypeVar("E", bound=ev.EventBase)


def record_dispatched(monkeypatch: pytest.MonkeyPatch) -> list[ev.Event]:
    """The events handed to any dispatcher from now on (processed or duplicate)."""
    seen: list[ev.Event] = []
    original: Callable[[Dispatcher, ev.Event], Awaitable[DispatchResult]] = Dispatcher.handle

    async def handle(self: Dispatcher, event: ev.Event) -> DispatchResult:
        seen.append(event)
        return await original(self, event)

    monkeypatch.setattr(Dispatcher, "handle", handle)
    return seen


def of_type(events: list[ev.Event], cls: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, cls)]
