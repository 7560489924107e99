"""Every user-facing text the runtime itself writes (playbook texts live in the playbooks), in
English and French: one module per feature, gathered here into one catalogue that
:func:`text` reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.runtime.texts import (
    champions,
    commands,
    community,
    dashboard,
    experts,
    home,
    kudos,
    leaderboard,
    preferences,
    pulse,
    rituals,
)
from bot.runtime.texts.community import DEFAULT_CHARTER

__all__ = ["DEFAULT_CHARTER", "TEXTS", "catalogue", "text"]


def catalogue(*parts: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    """The texts of every part as one catalogue. A key written in two parts is refused: one
    of the two would otherwise silently win."""
    merged: dict[str, Mapping[str, str]] = {}
    for part in parts:
        twice = sorted(merged.keys() & part.keys())
        if twice:
            raise ValueError(f"texts written twice: {', '.join(twice)}")
        merged.update(part)
    return merged


TEXTS = catalogue(
    commands.TEXTS,
    community.TEXTS,
    preferences.TEXTS,
    rituals.TEXTS,
    home.TEXTS,
    pulse.TEXTS,
    dashboard.TEXTS,
    kudos.TEXTS,
    leaderboard.TEXTS,
    experts.TEXTS,
    champions.TEXTS,
)


def text(key: str, locale: str, **values: Any) -> str:
    forms = TEXTS[key]
    return forms.get(locale, forms["en"]).format(**values)
