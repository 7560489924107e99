"""The serving process keeps its start-up objects out of garbage collection (bot/runtime/heap.py):
a full collection no longer walks them all again, with the event loop stopped, every few tens of
seconds. Counted (which objects the collector still tracks), never timed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build
from bot.cli.serving import serving_app
from bot.runtime.heap import YOUNG_THRESHOLD, freeze_start_up_heap, frozen_after_start
from bot.settings import Settings


class Node:
    """A container in a reference cycle (only the cyclic collector frees it)."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def restored() -> Iterator[None]:
    """The test process's collector as it was (unfrozen, its thresholds)."""
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def tracked(thing: object) -> bool:
    """Whether the cyclic collector still walks ``thing`` (in one of its generations)."""
    return any(o is thing for o in gc.get_objects())


def test_start_up_objects_are_kept_out_of_collections_and_start_up_garbage_is_freed(
    restored: None,
) -> None:
    kept = Node()
    left_behind = weakref.ref(Node())  # garbage start-up left: freed, never frozen
    assert tracked(kept)

    frozen = freeze_start_up_heap()

    assert left_behind() is None
    assert frozen == gc.get_freeze_count() > 0
    assert not tracked(kept)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


def test_what_is_allocated_after_start_up_is_still_collected(restored: None) -> None:
    freeze_start_up_heap()
    later = Node()
    assert tracked(later)
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None


def test_serve_freezes_after_the_bot_s_own_start_up(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'animateur.db'}"
    settings = Settings(database_url=url, playground=False, demo=False)
    app = serving_app(build(settings))
    # the bot's start-up (a cleanup context, run as the first startup hook) comes first
    assert app.on_startup[-1] is frozen_after_start
    assert len(app.on_startup) > 1
