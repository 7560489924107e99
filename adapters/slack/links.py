"""Where a facilitator opens a Slack message: its permalink, ``/archives/<channel>/p<ts without
the dot>`` (a reply: ``?thread_ts=<its thread's ts>&cid=<channel>``), on the workspace's own
address when known (auth.test's ``url``, e.g. https://acme.slack.com/), else on slack.com, which
Slack resolves in the viewer's signed-in workspace."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import MessagePlace

#: Slack's address for any workspace: it opens the viewer's own.
ANY_WORKSPACE = "https://slack.com/"


def permalink(place: MessagePlace, base: str | None = None) -> str:
    root = (base or ANY_WORKSPACE).rstrip("/")
    url = f"{root}/archives/{quote(place.channel)}/p{place.message_id.replace('.', '')}"
    if place.thread and place.thread != place.message_id:
        url += "?" + urlencode({"thread_ts": place.thread, "cid": place.channel})
    return url


class SlackMessageLinks:
    """``team_url``: the workspace's address (auth.test ``url``) when this process knows it."""

    def __init__(self, team_url: Callable[[str], str | None] = lambda _team: None) -> None:
        self._team_url = team_url

    async def url(self, workspace: WorkspaceRef, place: MessagePlace) -> str:
        base = self._team_url(workspace.external_id)
        return permalink(place, base if base and base.startswith("https://") else None)
