"""The hooks a render of a ritual's text spends its budget through (playbooks.render_budget),
and the compile pass that puts them in every text:

- each ``{% for %}``'s iterable is wrapped to count its iterations (recursive loops refused);
- ``[…]``, ``(…)``, ``{…}`` written in a text are measured when built, ``a ~ b`` before;
- each comparison checks the render's deadline;
- filters are counted as calls, their inputs and results measured (those that go through their
  input item by item spend an iteration an item), and ``join``, ``replace``, ``sum`` have
  versions that measure what they would build before building it;
- what ``{{ … }}`` outputs, ``range()`` and ``namespace()`` attributes are measured too.

playbooks.sandbox's environment installs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from itertools import chain
from typing import Any

from jinja2 import Environment, nodes, pass_context, pass_environment, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import TemplateAssertionError
from jinja2.filters import do_join, do_replace, sync_do_sum
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Undefined
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

from playbooks.render_budget import (
    BudgetExceeded,
    check_built,
    check_size,
    check_values,
    current,
    current_limits,
    measure,
)

_COUNTED, _CONCAT = "_counted_loop", "_bounded_concat"
_LITERAL, _TICKED = "_bounded_literal", "_ticked"
#: filters that go through their input item by item: each item spends an iteration
ITERATING = frozenset(
    {"groupby", "join", "list", "map", "max", "min", "reject", "rejectattr", "select"}
    | {"selectattr", "sort", "sum", "unique"}
)


def _items_counted(iterable: Any) -> Iterator[Any]:
    budget = current()
    for item in iterable:
        if budget is not None:
            budget.iterate()
        yield item


def bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a filter) counted as a call, its inputs and result measured."""

    # the value filtered comes after the context, eval context or environment Jinja passes
    value_at = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    iterates = name in ITERATING

    @wraps(func)  # keeps Jinja's pass_context/pass_eval_context marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        if budget is not None:
            budget.enter()
        try:
            check_values(chain(args, kwargs.values()))
            if iterates and len(args) > value_at and not isinstance(args[value_at], Undefined):
                args = (*args[:value_at], _items_counted(args[value_at]), *args[value_at + 1 :])
            result = func(*args, **kwargs)
        finally:
            if budget is not None:
                budget.leave()
        if budget is not None:
            budget.produce(result)
        else:
            check_values((result,))
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
    limits = current_limits()
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
    check_size(len(text) + found * max(0, len(new) - len(old)), current_limits())
    return do_replace(eval_ctx, text, old, new, count)


@pass_environment
def _sum(environment: Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if not isinstance(start, int | float):  # sums of texts or lists copy quadratically
        raise BudgetExceeded("sum() adds numbers only")
    return sync_do_sum(environment, iterable, attribute, start)


@pass_context
def _counted_loop(_context: Context, iterable: Any) -> Iterator[Any]:
    """A ``{% for %}``'s iterable, each item counted against the render's budget."""
    budget = current()
    for item in iterable:
        if budget is not None:
            budget.iterate()
        yield item


@pass_context
def _bounded_concat(_context: Context, parts: list[Any]) -> str:
    """``a ~ b``: measured before it is built (before any part is made a text)."""
    limits = current_limits()
    size = 0
    for part in parts:
        size += measure(part, limits.value)
        check_size(size, limits)
    texts = [str(part) for part in parts]
    budget = current()
    if budget is not None:
        budget.add(sum(len(t) for t in texts))
    else:
        check_size(sum(len(t) for t in texts), limits)
    return "".join(texts)


@pass_context
def _bounded_literal(_context: Context, value: Any) -> Any:
    """``[…]``, ``(…)``, ``{…}`` written in a text: measured, nested, when built."""
    budget = current()
    if budget is not None:
        budget.produce(value)
    return check_built(value)


@pass_context
def _ticked(_context: Context, value: Any) -> Any:
    """A comparison's result, the render's deadline checked after it."""
    budget = current()
    if budget is not None:
        budget.tick()
    return value


def finalized(value: Any) -> Any:
    """What ``{{ … }}`` outputs, measured (nested) before it is made a text, and counted as
    built (``{% set x %}…{% endset %}`` keeps what it outputs)."""
    limits = current_limits()
    size = measure(value, limits.output)
    if size > limits.output:
        raise BudgetExceeded(f"more than {limits.output} characters of text")
    budget = current()
    if budget is not None:
        budget.add(size)
    return value


def bounded_range(*args: int) -> range:
    numbers = range(*args)
    most = current_limits().iterations
    if len(numbers) > most:
        raise BudgetExceeded(f"range() of more than {most} numbers")
    return numbers


class MeasuredNamespace(Namespace):
    """``namespace()``, whose attributes are measured when they are set."""

    def __setitem__(self, name: str, value: Any) -> None:
        check_values((value,))
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


class BoundedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _Bounding().visit(node)  # before the generator looks up the filters it needs
        super().visit_Template(node, frame)


#: filters that replace Jinja's own: they measure what they would build before building it
BOUNDED_VERSIONS: dict[str, Callable[..., Any]] = {"join": _join, "replace": _replace, "sum": _sum}
#: the filters the compile pass puts in every text (see :class:`_Bounding`)
HOOKS: dict[str, Callable[..., Any]] = {
    _COUNTED: _counted_loop,
    _CONCAT: _bounded_concat,
    _LITERAL: _bounded_literal,
    _TICKED: _ticked,
}
