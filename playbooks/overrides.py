"""A community's own version of a ritual: other texts or another schedule, without copying the
file. Overrides are stored per community and applied on top of the bundled playbook.

Shape: ``{"schedule": "<cron>", "digest": "<cron>", "texts": {"<step id>": {"en": …, "fr": …}},
"waits": {"<wait, collect, wait_reply or group_members step id>": "fri 15:00" | "2d"},
"reminders": {"<ask step id>": "4h"},
"lists": {"<list name>": {"en": [...], "fr": [...]}}}`` where a step's text is its ``text`` (its
question for ``ask`` steps); a wait keeps its kind (a moment of the week, or a duration; a
wait_reply's timeout: a duration); a list replaces the playbook's list of that name in the
languages given (``pick`` steps draw from it); the "wait" of a ``group_members`` step is how
often its rounds come (its ``every``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from playbooks.schema import LOCALES, Playbook

KEYS = ("schedule", "digest", "texts", "waits", "reminders", "lists")
#: The steps ``wait.<step>`` moves: a wait's or collect's moment or duration, a wait_reply's
#: timeout.
WAITS = ("wait", "collect", "wait_reply")
#: How ``rituals set list.<name>.<en|fr>=…`` separates a list's items.
ITEM_SEPARATOR = " | "
#: A community's own schedule or digest fires at most once a day (the bundled rituals' fire
#: once a week): one minute and one hour, any days — ``"* * * * *"`` would post every minute.
_ONCE_A_DAY = re.compile(r"\d{1,2} \d{1,2} \S+ \S+ \S+")
#: Settings changed by one ``rituals set``.
MAX_PAIRS = 20


class OverrideError(ValueError):
    """The overrides do not fit the playbook; the message says what and where."""


class UnknownSetting(OverrideError):
    """``key=value`` names nothing that can be set; ``key`` is what was written."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"{key!r} cannot be set (schedule, digest, text.<step>.<en|fr>, wait.<step>, "
            "reminder.<step> or list.<name>.<en|fr>)"
        )
        self.key = key


class TooManySettings(OverrideError):
    """More than :data:`MAX_PAIRS` settings at once."""


def with_pairs(settings: Mapping[str, Any], pairs: list[str]) -> dict[str, Any]:
    """``settings`` (stored overrides) with ``key=value`` pairs as ``rituals set`` writes them:
    ``schedule=…``, ``digest=…``, ``text.<step>.<en|fr>=…``, ``wait.<step>=…``,
    ``reminder.<step>=…``. Not validated against the playbook: see :func:`apply_overrides`."""
    if len(pairs) > MAX_PAIRS:
        raise TooManySettings(f"at most {MAX_PAIRS} settings at once")
    changed: dict[str, Any] = json.loads(json.dumps(dict(settings)))  # a deep copy
    for pair in pairs:
        key, sep, value = pair.partition("=")
        parts = key.split(".")
        if sep and key in ("schedule", "digest"):
            changed[key] = value
        elif sep and len(parts) == 3 and parts[0] == "text":
            changed.setdefault("texts", {}).setdefault(parts[1], {})[parts[2]] = value
        elif sep and len(parts) == 3 and parts[0] == "list":
            items = [item.strip() for item in value.split(ITEM_SEPARATOR.strip())]
            lists = changed.setdefault("lists", {}).setdefault(parts[1], {})
            lists[parts[2]] = [item for item in items if item]
        elif sep and len(parts) == 2 and parts[0] in ("wait", "reminder"):
            changed.setdefault(f"{parts[0]}s", {})[parts[1]] = value
        else:
            raise UnknownSetting(key)
    return changed


_CACHE: dict[tuple[int, str], tuple[Playbook, Playbook]] = {}
_CACHE_SIZE = 256


def apply_overrides(playbook: Playbook, overrides: Mapping[str, Any]) -> Playbook:
    """``playbook`` with ``overrides`` applied (validated like a playbook file); cached, since
    every step of every run of a customised ritual asks for it."""
    if not overrides:
        return playbook
    _check_shape(overrides)
    key = (id(playbook), json.dumps(dict(overrides), sort_keys=True))
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is playbook:
        return cached[1]
    result = _applied(playbook, dict(overrides))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = (playbook, result)
    return result


def _check_shape(overrides: Mapping[str, Any]) -> None:
    """Texts where texts are expected (stored overrides are read back from anywhere)."""
    for key, value in overrides.items():
        if key not in KEYS:
            raise OverrideError(f"unknown setting {key!r} (known: {', '.join(KEYS)})")
        nested = {"texts": 2, "waits": 1, "reminders": 1, "lists": 3}.get(key, 0)
        if (nested and not isinstance(value, Mapping)) or not _texts(value, nested):
            raise OverrideError(f"{key}: not a setting as rituals set writes it")


def _texts(value: Any, depth: int) -> bool:
    if depth == 0:
        return isinstance(value, str)
    if depth == 1 and isinstance(value, list):  # a list's items
        return all(isinstance(v, str) for v in value)
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and _texts(v, depth - 1) for k, v in value.items()
    )


def _applied(playbook: Playbook, overrides: dict[str, Any]) -> Playbook:
    unknown = sorted(set(overrides) - set(KEYS))
    if unknown:
        raise OverrideError(f"unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key in ("schedule", "digest"):
        if key in overrides:
            _check_once_a_day(key, overrides[key])
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
        if step is not None and step.get("kind") == "group_members":
            step["every"] = value  # how often its rounds come
            continue
        if step is None or step.get("kind") not in WAITS:
            kinds = (*WAITS, "group_members")
            waits = ", ".join(x for x in (_ids(steps, k) for k in kinds) if x)
            raise OverrideError(f"no wait step {step_id!r} (wait steps: {waits or 'none'})")
        if step["kind"] == "wait_reply":
            step["timeout"] = value
        else:
            step["until" if "until" in step else "duration"] = value
    for step_id, value in dict(overrides.get("reminders", {})).items():
        step = steps.get(step_id)
        if step is None or step.get("kind") != "ask":
            raise OverrideError(
                f"no question {step_id!r} (questions: {_ids(steps, 'ask') or 'none'})"
            )
        step["reminder"] = value
    for name, texts in dict(overrides.get("lists", {})).items():
        if name not in data.get("lists", {}):
            known = ", ".join(data.get("lists", {})) or "none"
            raise OverrideError(f"no list {name!r} (lists: {known})")
        for locale, items in dict(texts).items():
            if locale not in LOCALES:
                raise OverrideError(f"unknown language {locale!r} (known: {', '.join(LOCALES)})")
            data["lists"][name][locale] = list(items)
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise OverrideError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from exc


def _check_once_a_day(key: str, cron: str) -> None:
    fields = cron.split()
    if len(fields) == 5 and not _ONCE_A_DAY.fullmatch(" ".join(fields)):  # else: not a cron
        raise OverrideError(
            f"{key}: {cron!r} may fire more than once a day; a community's {key} fires at most "
            'once a day: one minute and one hour, e.g. "30 9 * * mon" or "0 17 * * mon-fri"'
        )


def _ids(steps: Mapping[str, Any], kind: str) -> str:
    return ", ".join(s for s, v in steps.items() if v.get("kind") == kind)
