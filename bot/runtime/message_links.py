"""The one way the runtime names where a facilitator opens a message (an unanswered question…):
each platform's link builder (the ``MessageLinks`` port, registered by the composition root)
spells the address; the runtime adds it to what it shows — the dashboard, the early warnings,
the weekly digest, ``/animateur health``, ``animateur report`` — and the texts of rituals that
mention ``highlights`` (bot.runtime.highlights: the private DMs of the nudge and sponsor
rituals); no other member-facing text carries these links.

In chat texts a link is written ``[label](url)`` — Teams' markdown, the playground's markup; the
Slack adapter turns it into its own ``<url|label>``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessageLinks, MessagePlace


class MessageLinkBook:
    """The link builder of each platform; a platform without one gets no links."""

    def __init__(self, by_platform: Mapping[str, MessageLinks] | None = None) -> None:
        self._by_platform: dict[str, MessageLinks] = dict(by_platform or {})

    def register(self, platform: str, links: MessageLinks) -> None:
        self._by_platform[platform] = links

    async def url(self, workspace: WorkspaceRef, place: MessagePlace) -> str | None:
        links = self._by_platform.get(workspace.platform)
        return None if links is None else await links.url(workspace, place)

    async def add_urls(self, workspace: WorkspaceRef, figures: Mapping[str, Any]) -> None:
        """Give each unanswered question of the figures (``questions_28d.unanswered_links``,
        there for facilitators only) its ``url``."""
        questions = figures.get("questions_28d")
        if not isinstance(questions, dict):
            return
        for question in questions.get("unanswered_links", []):
            place = MessagePlace(question["channel"], question["message_id"])
            url = await self.url(workspace, place)
            if url is not None:
                question["url"] = url


def markup(label: str, url: str) -> str:
    """A link in a chat text (see the module's doc)."""
    clean = label.replace("[", "(").replace("]", ")").replace("\n", " ")
    return f"[{clean}]({url})"


def labelled(
    questions: Iterable[Mapping[str, Any]], label: Callable[[Mapping[str, Any]], str]
) -> str:
    """The questions, each a link named ``label(question)`` when it has its ``url`` (else
    named by its channel and message id)."""
    said = []
    for q in questions:
        url = q.get("url")
        said.append(markup(label(q), url) if url else f"{q['channel']} {q['message_id']}")
    return ", ".join(said)
