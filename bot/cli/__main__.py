"""``python -m bot.cli``: the ``animateur`` command."""

from bot.cli import run

run()
