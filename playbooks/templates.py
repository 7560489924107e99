"""The one Jinja environment playbook texts are compiled and rendered with (sandboxed)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

ENVIRONMENT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=4096)
def _compiled(template: str) -> Template:
    return ENVIRONMENT.from_string(template)


class RenderError(Exception):
    """A text could not be rendered with the values at hand (e.g. an attribute of nothing)."""


def render(template: str, variables: Mapping[str, Any]) -> str:
    try:
        return _compiled(template).render(**variables).strip()
    except (TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
