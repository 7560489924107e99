"""The one Jinja environment playbook texts are compiled and rendered with: sandboxed, and every
render bounded in loop iterations, calls, size and time (see playbooks.sandbox)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError

from playbooks.render_budget import LIMITS, Budget, BudgetExceeded, Limits, spending
from playbooks.sandbox import BoundedEnvironment

ENVIRONMENT = BoundedEnvironment(autoescape=False, keep_trailing_newline=False)
#: The longest text a playbook (or a community's override) may give a step.
MAX_TEMPLATE = 4000


@lru_cache(maxsize=4096)
def _compiled(template: str) -> Template:
    return ENVIRONMENT.from_string(template)


class RenderError(Exception):
    """A text could not be rendered with the values at hand (an attribute of nothing, or over
    its budget: ``template too expensive: …``)."""


def check_template(template: str) -> None:
    """Raise ValueError when ``template`` does not compile (syntax, a recursive loop…)."""
    if len(template) > MAX_TEMPLATE:
        raise ValueError(f"a text is at most {MAX_TEMPLATE} characters (this one: {len(template)})")
    try:
        _compiled(template)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template error: {exc.message} (template line {exc.lineno})") from exc
    except RecursionError as exc:
        raise ValueError("template error: nested too deeply") from exc


def render(template: str, variables: Mapping[str, Any], limits: Limits = LIMITS) -> str:
    """``template`` rendered with ``variables`` within ``limits``; raises RenderError."""
    try:
        compiled = _compiled(template)  # bounded by the text's length, cached
    except RecursionError as exc:
        raise RenderError("template error: nested too deeply") from exc
    except Exception as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    stop = spending(Budget(limits))
    try:
        parts: list[str] = []
        size = 0
        for chunk in compiled.generate(**variables):  # streamed: stops at the size limit
            size += len(chunk)
            if size > limits.output:
                raise BudgetExceeded(f"more than {limits.output} characters of text")
            parts.append(chunk)
        return "".join(parts).strip()
    except BudgetExceeded as exc:
        raise RenderError(f"template too expensive: {exc}") from exc
    except RecursionError as exc:
        raise RenderError("template too expensive: nested too deeply") from exc
    except MemoryError as exc:
        raise RenderError("template too expensive: out of memory") from exc
    except Exception as exc:  # a text is code a facilitator wrote: whatever it raises
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        stop()
