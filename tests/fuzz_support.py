"""Property-based fuzzing of a live HTTP endpoint: valid payloads mutated by hypothesis, posted to
the real aiohttp server, with every ERROR record and traceback of the process captured.

hypothesis drives synchronous tests, the bot serves on the test's event loop: the property runs
in a worker thread and posts through ``run_coroutine_threadsafe`` while the loop goes on serving.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import ClientSession
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Bounded, so the suite stays fast; derandomised, so CI runs the same examples every time
#: (ANIMATEUR_FUZZ_EXPLORE=1 draws new ones each run, to look for more).
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=not os.environ.get("ANIMATEUR_FUZZ_EXPLORE"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
#: strings that have broken parsers before: NUL, markup, dates, huge and id-like values
tricky_text = st.sampled_from(
    [
        "",
        "\x00",
        "he\x00lp",
        "lone \ud800 surrogate",
        "<at>",
        "</at>",
        "<at>Zoe</at>",
        "<at></at>",
        "x" * 5000,
        "29:" + "a" * 300,
        "29:1" + "Ab-_9" * 23,  # as long as Teams user ids really are
        "2024-13-45T99:99:99Z",
        "null",
        "{}",
        "[]",
        "  ",
        "é\u202e\ufeff",
    ]
)
json_values = st.recursive(
    scalars | tricky_text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

Path = tuple[str | int, ...]


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a JSON document (not the root), depth first."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def _parent(document: Any, path: Path) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


@st.composite
def mutated(draw: st.DrawFn, documents: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    """One of ``documents`` with one to three changes: a value replaced by any JSON (or a tricky
    string), a key or element removed, a key (one the format knows, or any) added."""
    document = json.loads(json.dumps(draw(st.sampled_from(documents))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = list(paths(document))
        how = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if how == "add" or not places:
            containers = [p for p in [(), *places] if isinstance(_at(document, p), dict)]
            where = _at(document, draw(st.sampled_from(containers)))
            where[draw(st.sampled_from(keys) | st.text(max_size=8))] = draw(json_values)
            continue
        path = draw(st.sampled_from(places))
        parent = _parent(document, path)
        if how == "remove":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return document


def _at(document: Any, path: Path) -> Any:
    for key in path:
        document = document[key]
    return document


class CapturedErrors(logging.Handler):
    """ERROR records and any record carrying a traceback, from every logger."""

    def __init__(self, ignore: tuple[str, ...] = ()) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._ignore = ignore

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self._ignore):
            return
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()}" for r in self.records]
        self.records.clear()
        return found


@contextmanager
def capturing_errors(ignore: tuple[str, ...] = ()) -> Iterator[CapturedErrors]:
    handler = CapturedErrors(ignore)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


Poster = Callable[[Any], tuple[int, str]]


def poster(
    loop: asyncio.AbstractEventLoop,
    http: ClientSession,
    url: str,
    headers: Callable[[Any], dict[str, str]] | None = None,
) -> Poster:
    """A blocking ``post(payload) -> (status, body)`` for the hypothesis thread."""

    async def post(payload: Any) -> tuple[int, str]:
        async with http.post(
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers(payload) if headers else {})},
        ) as response:
            return response.status, await response.text()

    def blocking(payload: Any) -> tuple[int, str]:
        return asyncio.run_coroutine_threadsafe(post(payload), loop).result(timeout=60)

    return blocking


def answered_cleanly(status: int, body: str, errors: list[str]) -> None:
    """No 5xx, a reason with every 4xx, nothing logged as an error."""
    assert status < 500, f"answered {status}: {body[:300]}"
    if 400 <= status < 500:
        assert json.loads(body).get("error"), f"a {status} without a reason: {body[:300]}"
    assert errors == [], errors
