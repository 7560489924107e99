"""The dashboard on a test database: its aiohttp routes on the harness's store and clock, links
signed with a known key, and a second workspace whose facilitator must never see the first."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from adapters.local.links import LocalMessageLinks
from bot.runtime.clock import Clock
from bot.runtime.dashboard.links import DashboardLinks, Grant
from bot.runtime.dashboard.routes import Dashboard
from bot.runtime.message_links import MessageLinkBook
from bot.vocabulary import events as ev
from playbooks.loader import load_library
from storage.store import Store
from storage.tables import Community
from tests.builders import WORKSPACE

KEY = "test-dashboard-key"
OTHER = ev.WorkspaceRef("local", "other")
OTHER_CHANNEL = "C-other"


def asking() -> set[str]:
    return {n for n, p in load_library().items() if any(s.kind == "ask" for s in p.steps)}


def links(
    clock: Clock, public_url: str = "http://127.0.0.1:3000", key: str = KEY
) -> DashboardLinks:
    return DashboardLinks(lambda: [key], public_url, clock)


def dashboard_app(store: Store, clock: Clock, signer: DashboardLinks) -> web.Application:
    app = web.Application()
    # the playground's links to its messages, as the composition root registers them
    message_links = MessageLinkBook({"local": LocalMessageLinks("http://127.0.0.1:3000")})
    app.add_routes(Dashboard(store, signer, clock, asking(), message_links).routes())
    return app


def grant(user: str = "U-dan", workspace: ev.WorkspaceRef = WORKSPACE) -> Grant:
    return Grant(workspace, user, "C-data")


def path_of(link: str) -> str:
    return link.removeprefix("http://127.0.0.1:3000")


async def other_workspace(store: Store, now: datetime) -> None:
    """Workspace B: its own community, facilitated by U-zoe."""
    async with store.transaction() as tx:
        workspace = await tx.directory.ensure_workspace(OTHER, now, "Other", "en")
        assert workspace.id is not None
        await tx.directory.upsert_member(workspace.id, ev.MemberProfile("U-zoe", "Zoe"), now)
        await tx.directory.add_community(
            Community(
                workspace_id=workspace.id,
                channel_id=OTHER_CHANNEL,
                name="Other place",
                objective="",
                charter="",
                sponsors=[],
                facilitators=["U-zoe"],
                target_engagement=50,
                timezone="UTC",
                locale="en",
                created_at=now,
            )
        )
