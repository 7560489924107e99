"""The page's language: ``?lang=``, else the facilitator's, else the browser's, else English."""

from __future__ import annotations

from bot.runtime.context import normalize_locale

LANGUAGES = ("fr", "en")


def from_accept_language(header: str) -> str | None:
    """The first of our languages in an Accept-Language header, by its q weights."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = tag.strip().split("-")[0].lower()
        if language in LANGUAGES and weight > 0:
            ranked.append((-weight, index, language))
    return min(ranked)[2] if ranked else None


def page_language(asked: str | None, facilitator: str | None, accept: str) -> str:
    for candidate in (asked, facilitator):
        chosen = normalize_locale(candidate) if candidate else None
        if chosen in LANGUAGES:
            return chosen
    return from_accept_language(accept) or "en"
