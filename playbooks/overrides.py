"""A community's own version of a ritual: other texts or another schedule, without copying the
file. Overrides are stored per community and applied on top of the bundled playbook.

Shape: ``{"schedule": "<cron>", "digest": "<cron>", "texts": {"<step id>": {"en": …, "fr": …}},
"waits": {"<wait step id>": "fri 15:00" | "2d"}, "reminders": {"<ask step id>": "4h"}}`` where a
step's text is its ``text`` (its question for ``ask`` steps); a wait keeps its kind (a moment of
the week, or a duration).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from playbooks.schema import LOCALES, Playbook

KEYS = ("schedule", "digest", "texts", "waits", "reminders")


class OverrideError(ValueError):
    """The overrides do not fit the playbook; the message says what and where."""


_CACHE: dict[tuple[int, str], tuple[Playbook, Playbook]] = {}
_CACHE_SIZE = 256


def apply_overrides(playbook: Playbook, overrides: Mapping[str, Any]) -> Playbook:
    """``playbook`` with ``overrides`` applied (validated like a playbook file); cached, since
    every step of every run of a customised ritual asks for it."""
    if not overrides:
        return playbook
    key = (id(playbook), json.dumps(dict(overrides), sort_keys=True))
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is playbook:
        return cached[1]
    result = _applied(playbook, dict(overrides))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = (playbook, result)
    return result


def _applied(playbook: Playbook, overrides: dict[str, Any]) -> Playbook:
    unknown = sorted(set(overrides) - set(KEYS))
    if unknown:
        raise OverrideError(f"unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    data = playbook.model_dump(mode="python", exclude_none=True)
    if "schedule" in overrides:
        if data["trigger"]["on"] != "schedule":
            raise OverrideError(f"{playbook.name!r} is not scheduled: it has no schedule to change")
        data["trigger"]["cron"] = overrides["schedule"]
    if "digest" in overrides:
        if "digest" not in data:
            raise OverrideError(f"{playbook.name!r} has no digest")
        data["digest"]["cron"] = overrides["digest"]
    steps = {step["id"]: step for step in data["steps"]}
    for step_id, texts in dict(overrides.get("texts", {})).items():
        step = steps.get(step_id)
        if step is None or "text" not in step:
            known = ", ".join(s for s, v in steps.items() if "text" in v)
            raise OverrideError(f"no step {step_id!r} with a text (steps with texts: {known})")
        for locale, value in dict(texts).items():
            if locale not in LOCALES:
                raise OverrideError(f"unknown language {locale!r} (known: {', '.join(LOCALES)})")
            step["text"][locale] = value
    for step_id, value in dict(overrides.get("waits", {})).items():
        step = steps.get(step_id)
        if step is None or step.get("kind") != "wait":
            raise OverrideError(f"no wait step {step_id!r} (wait steps: {_ids(steps, 'wait')})")
        step["until" if "until" in step else "duration"] = value
    for step_id, value in dict(overrides.get("reminders", {})).items():
        step = steps.get(step_id)
        if step is None or step.get("kind") != "ask":
            raise OverrideError(f"no question {step_id!r} (questions: {_ids(steps, 'ask')})")
        step["reminder"] = value
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise OverrideError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from exc


def _ids(steps: Mapping[str, Any], kind: str) -> str:
    return ", ".join(s for s, v in steps.items() if v.get("kind") == kind) or "none"
