"""The Jinja environment ritual texts run in: sandboxed, and bounded in work.

Anyone who declares a community may write a ritual's texts, so a text must not be able to stall
the bot. Jinja's sandbox already keeps texts away from Python internals; here every render also
gets a :class:`Budget` (see :class:`Limits`) that its loops, calls, filters and operators spend:

- every ``{% for %}`` iteration is counted (the loop's iterable is wrapped when the text is
  compiled; recursive loops are refused), and ``range()`` is at most as long as the budget;
- every call (macros, methods) and filter is counted, and calls nest only so deep;
- values a text builds (``*``, ``**``, ``+``, ``%``, ``~``, filters, calls, namespaces) are
  measured *before* they are built when their size is known, and after otherwise;
- the whole render has a wall-clock deadline, checked at each of those steps;
- methods of built-in values are limited to those whose result is no larger than their input
  (no ``center``, ``ljust``, ``format``…), filters to those useful in a message.

Over budget, :class:`BudgetExceeded` says which limit was met.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from itertools import chain
from typing import Any

from jinja2 import Environment, nodes, pass_context, pass_environment, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import TemplateAssertionError
from jinja2.filters import do_join, do_replace, sync_do_sum
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from jinja2.visitor import NodeTransformer


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


def _limits() -> Limits:
    budget = _CURRENT.get()
    return budget.limits if budget is not None else LIMITS


def measure(value: Any, cap: int | None = None) -> int:
    """The NESTED size of a value: characters of its texts, items of its collections and of
    every collection inside, digits of its whole numbers; 0 for anything else. Counting stops
    once over ``cap`` (the value limit by default), so measuring costs O(cap) even for a list
    that holds the same huge list 20000 times (or itself)."""
    most = _limits().value if cap is None else cap
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


def _check_values(values: Iterable[Any]) -> None:
    """Inputs (values already built, or given to the render) are not too large at their top."""
    limits = _limits()
    for value in values:
        check_size(_length(value), limits)


def _check_built(value: Any) -> Any:
    """``value`` if, nested, it is not larger than one value may be."""
    limits = _limits()
    check_size(measure(value, limits.value), limits)
    return value


# -- what texts may use ---------------------------------------------------------------------

#: Filters useful in a message whose result grows at most in proportion to their input.
FILTERS = frozenset(
    {
        "abs",
        "attr",
        "capitalize",
        "count",
        "d",
        "default",
        "dictsort",
        "e",
        "escape",
        "first",
        "float",
        "forceescape",
        "groupby",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "safe",
        "select",
        "selectattr",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "urlencode",
        "wordcount",
    }
)
_STR_METHODS = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "index",
        "isalnum",
        "isalpha",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "rfind",
        "rindex",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    }
)
#: methods of built-in values a text may call (no other: ``"x".center(10**9)``)
_METHODS: tuple[tuple[type | tuple[type, ...], frozenset[str]], ...] = (
    (str, _STR_METHODS),
    (dict, frozenset({"get", "items", "keys", "values"})),
    ((list, tuple), frozenset({"count", "index"})),
)
_BUILT_IN = (str, bytes, int, float, complex, list, tuple, dict, set, frozenset)
_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_COUNTED, _CONCAT = "_counted_loop", "_bounded_concat"
_LITERAL, _TICKED = "_bounded_literal", "_ticked"
#: filters that go through their input item by item: each item spends an iteration
ITERATING = frozenset(
    {"groupby", "join", "list", "map", "max", "min", "reject", "rejectattr", "select"}
    | {"selectattr", "sort", "sum", "unique"}
)


def _items_counted(iterable: Any) -> Iterator[Any]:
    budget = _CURRENT.get()
    for item in iterable:
        if budget is not None:
            budget.iterate()
        yield item


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a filter) counted as a call, its inputs and result measured."""

    # the value filtered comes after the context, eval context or environment Jinja passes
    value_at = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    iterates = name in ITERATING

    @wraps(func)  # keeps Jinja's pass_context/pass_eval_context marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _CURRENT.get()
        if budget is not None:
            budget.enter()
        try:
            _check_values(chain(args, kwargs.values()))
            if iterates and len(args) > value_at and not isinstance(args[value_at], Undefined):
                args = (*args[:value_at], _items_counted(args[value_at]), *args[value_at + 1 :])
            result = func(*args, **kwargs)
        finally:
            if budget is not None:
                budget.leave()
        if budget is not None:
            budget.produce(result)
        else:
            _check_values((result,))
        return result

    bounded.__name__ = f"bounded_{name}"
    return bounded


@pass_eval_context
def _join(
    eval_ctx: EvalContext, value: Any, d: str = "", attribute: str | int | None = None
) -> Any:
    items = list(value)
    if attribute is not None:
        items = [eval_ctx.environment.getitem(item, attribute) for item in items]
    limits = _limits()
    size = len(d) * len(items)
    for item in items:  # measured before any is made a text (a list's text can be huge)
        size += measure(item, limits.value)
        check_size(size, limits)
    return do_join(eval_ctx, items, d)


@pass_eval_context
def _replace(eval_ctx: EvalContext, s: str, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(s), str(old), str(new)
    found = len(text) + 1 if not old else text.count(old)
    if count is not None and count >= 0:
        found = min(found, count)
    check_size(len(text) + found * max(0, len(new) - len(old)), _limits())
    return do_replace(eval_ctx, text, old, new, count)


@pass_environment
def _sum(environment: Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if not isinstance(start, int | float):  # sums of texts or lists copy quadratically
        raise BudgetExceeded("sum() adds numbers only")
    return sync_do_sum(environment, iterable, attribute, start)


@pass_context
def _counted_loop(_context: Context, iterable: Any) -> Iterator[Any]:
    """A ``{% for %}``'s iterable, each item counted against the render's budget."""
    budget = _CURRENT.get()
    for item in iterable:
        if budget is not None:
            budget.iterate()
        yield item


@pass_context
def _bounded_concat(_context: Context, parts: list[Any]) -> str:
    """``a ~ b``: measured before it is built (before any part is made a text)."""
    limits = _limits()
    size = 0
    for part in parts:
        size += measure(part, limits.value)
        check_size(size, limits)
    texts = [str(part) for part in parts]
    budget = _CURRENT.get()
    if budget is not None:
        budget.add(sum(len(t) for t in texts))
    else:
        check_size(sum(len(t) for t in texts), limits)
    return "".join(texts)


@pass_context
def _bounded_literal(_context: Context, value: Any) -> Any:
    """``[…]``, ``(…)``, ``{…}`` written in a text: measured, nested, when built."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.produce(value)
    return _check_built(value)


@pass_context
def _ticked(_context: Context, value: Any) -> Any:
    """A comparison's result, the render's deadline checked after it."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.tick()
    return value


def _finalized(value: Any) -> Any:
    """What ``{{ … }}`` outputs, measured (nested) before it is made a text, and counted as
    built (``{% set x %}…{% endset %}`` keeps what it outputs)."""
    limits = _limits()
    size = measure(value, limits.output)
    if size > limits.output:
        raise BudgetExceeded(f"more than {limits.output} characters of text")
    budget = _CURRENT.get()
    if budget is not None:
        budget.add(size)
    return value


def _range(*args: int) -> range:
    numbers = range(*args)
    most = _limits().iterations
    if len(numbers) > most:
        raise BudgetExceeded(f"range() of more than {most} numbers")
    return numbers


class _Namespace(Namespace):
    """``namespace()``, whose attributes are measured when they are set."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_values((value,))
        super().__setitem__(name, value)


# -- compiling: loops counted, ``~`` measured -------------------------------------------------


class _Bounding(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        if node.recursive:
            raise TemplateAssertionError("recursive loops are not allowed", node.lineno)
        node.iter = nodes.Filter(node.iter, _COUNTED, [], [], None, None, lineno=node.lineno)
        return node

    def _wrapped(self, node: nodes.Expr, name: str) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_List(self, node: nodes.List) -> nodes.Node:
        return self._wrapped(node, _LITERAL)

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        return self._wrapped(node, _LITERAL)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        if node.ctx != "load":  # a target: ``{% for a, b in … %}``, ``{% set a, b = … %}``
            return self.generic_visit(node)
        return self._wrapped(node, _LITERAL)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        return self._wrapped(node, _TICKED)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT, [], [], None, None, lineno=node.lineno)


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _Bounding().visit(node)  # before the generator looks up the filters it needs
        super().visit_Template(node, frame)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """A sandbox whose every render spends the current :class:`Budget`."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        kept = {name: f for name, f in self.filters.items() if name in FILTERS}
        kept |= {"join": _join, "replace": _replace, "sum": _sum}
        self.filters = {name: _bounded(name, f) for name, f in kept.items()}
        self.filters |= {_COUNTED: _counted_loop, _CONCAT: _bounded_concat}
        self.filters |= {_LITERAL: _bounded_literal, _TICKED: _ticked}
        self.finalize = _finalized
        self.globals.clear()
        self.globals |= {
            "range": _range,
            "dict": dict,
            "cycler": Cycler,
            "joiner": Joiner,
            "namespace": _Namespace,
        }

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if callable(value) and isinstance(obj, type):  # ``dict.update(d, …)`` changes ``d``
            return False
        if callable(value) and isinstance(obj, _BUILT_IN):
            allowed = next((names for kind, names in _METHODS if isinstance(obj, kind)), None)
            return allowed is not None and attr in allowed
        return True

    def wrap_str_format(self, value: Any) -> None:
        """``str.format`` is not offered (its widths build any size): see is_safe_attribute."""
        return None

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _CURRENT.get()
        if budget is not None:
            budget.enter()
        try:
            _check_values(chain(args, kwargs.values()))
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            if budget is not None:
                budget.leave()
        if budget is not None:
            budget.produce(result)
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits = _limits()
        check_size(_binop_size(operator, left, right, limits), limits)
        result = super().call_binop(context, operator, left, right)
        budget = _CURRENT.get()
        if budget is not None:
            budget.produce(result)
        return result


def _binop_size(operator: str, left: Any, right: Any, limits: Limits) -> int:
    """How large ``left <operator> right`` would be, before computing it (0: not a concern)."""
    sized = (str, bytes, list, tuple)
    whole = int
    if operator == "*":  # nested: ``[a] * 20000`` holds 20000 times all of ``a``
        if isinstance(left, sized) and isinstance(right, whole):
            return measure(left, limits.value) * max(0, right)
        if isinstance(right, sized) and isinstance(left, whole):
            return measure(right, limits.value) * max(0, left)
        if isinstance(left, whole) and isinstance(right, whole):
            return measure(left) + measure(right)
    elif operator == "**":
        if isinstance(left, whole) and isinstance(right, whole) and right > 0 and abs(left) > 1:
            return measure(left) * right
    elif operator == "+":
        if isinstance(left, sized) and isinstance(right, sized):
            return measure(left, limits.value) + measure(right, limits.value)
    elif operator == "%" and isinstance(left, str):
        for width, precision in _FORMAT_SPEC.findall(left):
            for number in (width, precision):
                if number == "*" or (number and int(number) > limits.value):
                    raise BudgetExceeded(f"a % format wider than {limits.value} characters")
        return len(left) + measure(right, limits.value)  # before any value is made a text
    return 0
