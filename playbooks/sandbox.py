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


Over budget, :class:`BudgetExceeded` says which limit was met. The budget and how values are
measured are playbooks.render_budget; the hooks a render spends it through, and the compile
pass that puts them in every text, playbooks.render_hooks; here, the environment: what texts
may use, and calls and operators measured.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner

from playbooks.render_budget import (
    BudgetExceeded,
    Limits,
    check_size,
    check_values,
    current,
    current_limits,
    measure,
)
from playbooks.render_hooks import (
    BOUNDED_VERSIONS,
    HOOKS,
    BoundedCodeGenerator,
    MeasuredNamespace,
    bounded_filter,
    bounded_range,
    finalized,
)

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


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """A sandbox whose every render spends the current :class:`Budget`."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        kept = {name: f for name, f in self.filters.items() if name in FILTERS}
        kept |= BOUNDED_VERSIONS
        self.filters = {name: bounded_filter(name, f) for name, f in kept.items()}
        self.filters |= HOOKS
        self.finalize = finalized
        self.globals.clear()
        self.globals |= {
            "range": bounded_range,
            "dict": dict,
            "cycler": Cycler,
            "joiner": Joiner,
            "namespace": MeasuredNamespace,
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
        budget = current()
        if budget is not None:
            budget.enter()
        try:
            check_values(chain(args, kwargs.values()))
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            if budget is not None:
                budget.leave()
        if budget is not None:
            budget.produce(result)
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits = current_limits()
        check_size(_binop_size(operator, left, right, limits), limits)
        result = super().call_binop(context, operator, left, right)
        budget = current()
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
