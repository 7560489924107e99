"""The Slack platform: a Bolt AsyncApp (HTTP and/or Socket Mode), OAuth install, the sender.

Listeners ack after the event is committed (``process_before_response``): dispatching is one
short database transaction, and the slow part — sending — happens later from the outbox. So a
crash before the commit gets a non-200 answer and Slack retries; after it, the retry is
recognised by its ``event_id`` and only acknowledged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack import normalize
from adapters.slack.blocks import modal_for_click
from adapters.slack.config import SlackConfig
from adapters.slack.manifest import BOT_SCOPES, COMMAND
from adapters.slack.profiles import ProfileCache
from adapters.slack.secrets import SealedInstallationStore, SecretKeyError, TokenCipher
from adapters.slack.sender import SlackSender
from bot.vocabulary import events as ev
from bot.vocabulary.ports import EventSink

log = logging.getLogger(__name__)

#: Raw Slack event types we listen to (message.* subscriptions all arrive as "message").
EVENT_TYPES = (
    "app_home_opened",
    "member_joined_channel",
    "member_left_channel",
    "message",
    "reaction_added",
    "reaction_removed",
    "team_join",
)
#: Events whose member we look up (users.info); busy ones (messages) are not worth a call.
PROFILED = (ev.MemberJoined, ev.HomeOpened, ev.CommandInvoked, ev.ButtonClicked, ev.FormSubmitted)


class SlackPlatform:
    def __init__(self, config: SlackConfig, sink: EventSink, database: AsyncEngine) -> None:
        self.config = config
        self._sink = sink
        self._database = database
        self._profiles = ProfileCache()
        self.client = AsyncWebClient(token=config.bot_token, base_url=config.api_url)
        self.installations: SealedInstallationStore | None = None
        settings = None
        if config.oauth:
            assert config.client_id is not None
            self.installations = SealedInstallationStore(
                config.client_id, database, TokenCipher(config.secret_key)
            )
            settings = AsyncOAuthSettings(
                client_id=config.client_id,
                client_secret=config.client_secret,
                scopes=sorted(BOT_SCOPES),
                installation_store=self.installations,
                installation_store_bot_only=True,
                state_store=AsyncSQLAlchemyOAuthStateStore(600, database),
                callback_options=AsyncCallbackOptions(
                    success=self._installed, failure=self._install_failed
                ),
            )
        self.app = AsyncApp(
            client=self.client,
            # single workspace: Bolt takes the bot token from ``client``
            signing_secret=config.signing_secret,
            oauth_settings=settings,
            process_before_response=True,
            raise_error_for_unhandled_request=False,
        )
        self._register()
        self.sender = SlackSender(self.bot_token, config.api_url)
        self._socket: AsyncSocketModeHandler | None = None

    # -- wiring ---------------------------------------------------------------------------

    def routes(self) -> list[web.AbstractRouteDef]:
        routes: list[web.AbstractRouteDef] = []
        if self.config.signing_secret:  # HTTP mode: every request is signature-checked by Bolt
            routes.append(web.post("/slack/events", self._http))
        flow = self.app.oauth_flow
        if flow is not None:
            routes += [
                web.get(flow.install_path, self._install_page),
                web.get(flow.redirect_uri_path, self._oauth_redirect),
            ]
        return routes

    async def start(self) -> None:
        """Connect Socket Mode when an app token is configured."""
        if self.config.app_token:
            self._socket = AsyncSocketModeHandler(
                self.app, self.config.app_token, web_client=self.client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack socket mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self.sender.close()

    async def bot_token(self, team: str) -> str | None:
        """The team's bot token. By team id alone: an Enterprise Grid workspace is stored with
        its enterprise id, which slack_sdk's find_bot would need too (and we do not keep)."""
        if self.installations is None:
            return self.config.bot_token
        bots = self.installations.bots
        query = (
            select(bots.c.bot_token)
            .where(bots.c.client_id == self.config.client_id, bots.c.team_id == team)
            .order_by(bots.c.installed_at.desc())
            .limit(1)
        )
        async with self._database.connect() as connection:
            stored = (await connection.execute(query)).scalar_one_or_none()
        try:
            token = self.installations.cipher.reveal(stored)
        except SecretKeyError as exc:
            log.error("slack token unreadable", extra={"team": team, "reason": str(exc)})
            return None
        return str(token) if token else None

    # -- HTTP -----------------------------------------------------------------------------

    async def _http(self, request: web.Request) -> web.Response:
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

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

    # -- listeners ------------------------------------------------------------------------

    def _register(self) -> None:
        for name in EVENT_TYPES:
            self.app.event(name)(self._on_event)
        self.app.command(COMMAND)(self._on_command)
        self.app.action(re.compile(rf"^{re.escape(normalize.CHOICE_PREFIX)}"))(self._on_click)
        self.app.action(re.compile(rf"^{re.escape(normalize.HOME_PREFIX)}"))(self._on_click)
        self.app.action(normalize.ANSWER_ACTION)(self._on_open_modal)
        self.app.action(normalize.FORM_ACTION)(self._on_open_modal)
        self.app.view(normalize.ANSWER_MODAL)(self._on_answer)

    async def _forward(self, event: ev.Event | None, client: AsyncWebClient) -> None:
        if event is None:
            return
        if isinstance(event, PROFILED):
            member = event.member
            found = await self._profiles.get(client, event.workspace.external_id, member.user_id)
            merged = ev.MemberProfile(
                member.user_id,
                member.display_name or found.display_name,
                member.locale or found.locale,
                member.timezone or found.timezone,
                found.is_admin,
            )
            event = replace(event, member=merged)
        await self._sink(event)

    async def _on_event(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await self._forward(normalize.from_event(body, context.bot_user_id), client)

    async def _on_command(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await self._forward(normalize.from_command(body), client)
        await ack()

    async def _on_click(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        for action in body.get("actions") or []:
            await self._forward(normalize.from_block_action(body, action), client)
        await ack()

    async def _on_open_modal(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A free-text answer or form button opens its modal at once (trigger_id lasts 3 s)."""
        await ack()
        view = modal_for_click(body)
        if view is None:
            log.warning("a form button without a readable form was clicked")
            return
        try:
            await client.views_open(trigger_id=body.get("trigger_id"), view=view)
        except SlackApiError as exc:
            log.warning("views.open failed", extra={"error": exc.response.get("error")})

    async def _on_answer(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        event = normalize.from_view_submission(body)
        # a free-text answer must say something; a form's empty fields mean "unchanged"
        answer = event.values.get("answer") if event else None
        if event is None or (answer is not None and not answer.strip()):
            await ack(
                response_action="errors",
                errors={
                    normalize.ANSWER_BLOCK: "Please write an answer / Merci d'écrire une réponse"
                },
            )
            return
        await self._forward(event, client)
        await ack()
