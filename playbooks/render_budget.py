"""What one render of a ritual's text may spend (:class:`Limits`), what it has spent so far
(:class:`Budget`, the current one kept in a context variable), and how the size of a value is
measured against them. Over budget, :class:`BudgetExceeded` says which limit was met.

The Jinja environment that spends it is playbooks.sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.utils import Namespace


@dataclass(frozen=True, slots=True)
class Limits:
    """What one render may spend."""

    #: ``{% for %}`` iterations, all loops together (and the longest ``range()``)
    iterations: int = 5_000
    #: calls of macros, methods and filters
    calls: int = 10_000
    #: calls inside calls (a macro calling itself)
    depth: int = 30
    #: characters of text the render outputs
    output: int = 20_000
    #: characters (or items) of any one value the text builds
    value: int = 20_000
    #: characters (or items) of all the values it builds, together
    produced: int = 1_000_000
    #: wall-clock seconds (a backstop: the counts above bound a render long before, even on a
    #: loaded machine)
    seconds: float = 1.0


LIMITS = Limits()


class BudgetExceeded(Exception):
    """A render went over one of its limits; the message says which."""


class Budget:
    """What one render has spent so far."""

    __slots__ = ("_clock", "_deadline", "calls", "depth", "iterations", "limits", "produced")

    def __init__(self, limits: Limits = LIMITS, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._clock = clock
        self._deadline = clock() + limits.seconds
        self.iterations = self.calls = self.depth = self.produced = 0

    def tick(self) -> None:
        if self._clock() > self._deadline:
            raise BudgetExceeded(f"it takes more than {self.limits.seconds:g} s to render")

    def iterate(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.iterations:
            raise BudgetExceeded(f"more than {self.limits.iterations} loop iterations")
        self.tick()

    def enter(self) -> None:
        self.calls += 1
        if self.calls > self.limits.calls:
            raise BudgetExceeded(f"more than {self.limits.calls} calls and filters")
        self.depth += 1
        if self.depth > self.limits.depth:
            raise BudgetExceeded(f"calls nested more than {self.limits.depth} deep")
        self.tick()

    def leave(self) -> None:
        self.depth -= 1

    def produce(self, value: Any) -> None:
        """Account for a value built: too large alone, or too much together, is refused."""
        self.add(measure(value, self.limits.value))

    def add(self, size: int) -> None:
        check_size(size, self.limits)
        self.produced += size
        if self.produced > self.limits.produced:
            raise BudgetExceeded(f"it builds more than {self.limits.produced} characters")


_CURRENT: ContextVar[Budget | None] = ContextVar("render_budget", default=None)


def current() -> Budget | None:
    return _CURRENT.get()


def spending(budget: Budget) -> Callable[[], None]:
    """Make ``budget`` the one renders in this context spend; returns how to stop."""
    token = _CURRENT.set(budget)
    return lambda: _CURRENT.reset(token)


def current_limits() -> Limits:
    budget = _CURRENT.get()
    return budget.limits if budget is not None else LIMITS


def measure(value: Any, cap: int | None = None) -> int:
    """The NESTED size of a value: characters of its texts, items of its collections and of
    every collection inside, digits of its whole numbers; 0 for anything else. Counting stops
    once over ``cap`` (the value limit by default), so measuring costs O(cap) even for a list
    that holds the same huge list 20000 times (or itself)."""
    most = current_limits().value if cap is None else cap
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() * 3 // 10 + 1
        elif isinstance(item, list | tuple | set | frozenset | dict | Namespace):
            if isinstance(item, Namespace):
                item = getattr(item, "_Namespace__attrs", {})
            total += len(item)
            if total > most:
                return total
            pending.extend(item.items() if isinstance(item, dict) else item)
        if total > most:
            return total
    return total


def check_size(size: int, limits: Limits) -> None:
    if size > limits.value:
        raise BudgetExceeded(f"a value of more than {limits.value} characters")


def _length(value: Any) -> int:
    """Characters of a text, items of a collection (not nested), digits of a whole number."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return measure(value) if isinstance(value, int) else 0


def check_values(values: Iterable[Any]) -> None:
    """Inputs (values already built, or given to the render) are not too large at their top."""
    limits = current_limits()
    for value in values:
        check_size(_length(value), limits)


def check_built(value: Any) -> Any:
    """``value`` if, nested, it is not larger than one value may be."""
    limits = current_limits()
    check_size(measure(value, limits.value), limits)
    return value
