"""The one Jinja environment playbook texts are compiled and rendered with (sandboxed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

ENVIRONMENT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


def render(template: str, variables: Mapping[str, Any]) -> str:
    return ENVIRONMENT.from_string(template).render(**variables).strip()
