"""The ``start:`` button protocol: a button whose callback starts a ``button``-triggered ritual
for whoever clicks it, in the community of the channel it names."""

from __future__ import annotations

START_PREFIX = "start:"


def start_callback(playbook: str, channel: str) -> str:
    """The callback of a button that starts ``playbook`` for the clicker in ``channel``."""
    return f"{START_PREFIX}{playbook}:{channel}"


def is_start(callback: str) -> bool:
    return callback.startswith(START_PREFIX)


def parse_start(callback: str) -> tuple[str, str]:
    """``(playbook, channel)`` of a start button's callback."""
    name, _, channel = callback.removeprefix(START_PREFIX).partition(":")
    return name, channel
