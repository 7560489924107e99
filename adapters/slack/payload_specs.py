"""Small declarative checks of a JSON payload's shape (text bounds, kinds, objects, lists, maps):
each raises Invalid naming the path of the field at fault, never its value. Used by the Slack
edge (adapters/slack/payload_shapes.py spells Slack's payloads with them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Invalid(Exception):
    def __init__(self, path: str, expected: str) -> None:
        super().__init__(f"{path or 'the payload'}: expected {expected}")


class Spec:
    expected = "a value"

    def check(self, value: Any, path: str) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Spec):
    longest: int | None = None
    pattern: re.Pattern[str] | None = None
    expected: str = "a string"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise Invalid(path, self.expected)
        if self.longest is not None and len(value) > self.longest:
            raise Invalid(path, f"{self.expected} of at most {self.longest} characters")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise Invalid(path, self.expected)


@dataclass(frozen=True)
class Kind(Spec):
    types: tuple[type, ...]
    expected: str = "a value"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, self.types) or (
            isinstance(value, bool) and bool not in self.types
        ):
            raise Invalid(path, self.expected)


@dataclass(frozen=True)
class Nullable(Spec):
    inner: Spec

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"{self.inner.expected} or null"

    def check(self, value: Any, path: str) -> None:
        if value is not None:
            self.inner.check(value, path)


@dataclass(frozen=True)
class Either(Spec):
    options: tuple[Spec, ...]

    @property
    def expected(self) -> str:  # type: ignore[override]
        return " or ".join(o.expected for o in self.options)

    def check(self, value: Any, path: str) -> None:
        for option in self.options:
            try:
                option.check(value, path)
                return
            except Invalid:
                continue
        raise Invalid(path, self.expected)


@dataclass(frozen=True)
class Obj(Spec):
    """An object whose listed fields, when present, are as specified (others are let be)."""

    fields: Mapping[str, Spec]
    required: frozenset[str] = field(default_factory=frozenset)
    expected: str = "an object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(path, self.expected)
        for name in self.required:
            if name not in value or value[name] in (None, ""):
                raise Invalid(_join(path, name), "a value (it is required)")
        for name, spec in self.fields.items():
            if name in value:
                spec.check(value[name], _join(path, name))

    def extended(self, fields: Mapping[str, Spec], required: Iterable[str] = ()) -> Obj:
        return Obj({**self.fields, **fields}, self.required | frozenset(required))


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    fewest: int = 0
    expected: str = "a list"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or len(value) < self.fewest:
            raise Invalid(path, self.expected if not self.fewest else "a non-empty list")
        for index, item in enumerate(value):
            self.item.check(item, f"{path}[{index}]")


@dataclass(frozen=True)
class MapOf(Spec):
    value: Spec
    expected: str = "an object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(path, self.expected)
        for key, item in value.items():
            self.value.check(item, _join(path, str(key)[:40]))


class Recursive(Spec):
    """A spec defined later (a message inside a message…)."""

    def __init__(self) -> None:
        self.inner: Spec = Obj({})

    @property
    def expected(self) -> str:  # type: ignore[override]
        return self.inner.expected

    def check(self, value: Any, path: str) -> None:
        self.inner.check(value, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
