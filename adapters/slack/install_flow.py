"""The OAuth install of the Slack app: the install page, Slack's redirect back, and what an
install tells the bot (an AppInstalled event). Mixed into SlackPlatform."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_callback_options import AsyncSuccessArgs
from slack_bolt.response import BoltResponse

from adapters.slack import normalize
from bot.vocabulary import events as ev
from bot.vocabulary.ports import EventSink

log = logging.getLogger(__name__)


class InstallFlow:
    """OAuth install handlers; the class mixing it in sets ``app`` and ``_sink``."""

    app: AsyncApp
    _sink: EventSink

    async def _install_page(self, request: web.Request) -> web.Response:
        assert self.app.oauth_flow is not None
        response = await self.app.oauth_flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _oauth_redirect(self, request: web.Request) -> web.Response:
        assert self.app.oauth_flow is not None
        response = await self.app.oauth_flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        await self._sink(
            ev.AppInstalled(
                workspace=ev.WorkspaceRef("slack", installation.team_id or ""),
                key=f"installed:{installation.team_id}:{installation.installed_at}",
                occurred_at=normalize.utc_now(),
                name=installation.team_name or "",
            )
        )
        log.info("slack app installed", extra={"team": installation.team_id})
        return await args.default.success(args)

    @staticmethod
    async def _install_failed(args: Any) -> BoltResponse:
        log.warning("slack install failed", extra={"reason": args.reason})
        response: BoltResponse = await args.default.failure(args)
        return response
