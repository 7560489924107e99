"""The Slack platform: a Bolt AsyncApp (HTTP and/or Socket Mode), OAuth install, the sender.

Listeners ack after the event is committed (``process_before_response``): dispatching is one
short database transaction, and the slow part — sending — happens later from the outbox. So a
crash before the commit gets a non-200 answer and Slack retries; after it, the retry is
recognised by its ``event_id`` and only acknowledged.

HTTP requests pass the edge first (adapters/slack/edge.py: signature, shape, NUL characters);
every request then gets its workspace's bot before Bolt authorizes it
(adapters/slack/authorization.py). Web API calls made while Slack waits are bounded by the time
left to answer (adapters/slack/calls.py), and their failures never fail the request.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack import calls, edge, normalize
from adapters.slack.authorization import Admission, Bot, ConfiguredBot, DecidedAuthorize
from adapters.slack.blocks import modal_for_click
from adapters.slack.config import SlackConfig
from adapters.slack.install_flow import InstallFlow
from adapters.slack.manifest import BOT_SCOPES, COMMAND
from adapters.slack.profiles import LOOKUP_TIMEOUT, LateLookups, ProfileCache
from adapters.slack.secrets import SealedInstallationStore, SecretKeyError, TokenCipher
from adapters.slack.sender import SlackSender
from adapters.slack.socket_mode import EVENT_TYPES, CheckedSocketModeHandler
from bot.vocabulary import events as ev
from bot.vocabulary.ports import EventSink

log = logging.getLogger(__name__)

#: Events whose member we look up (users.info); busy ones (messages) are not worth a call.
PROFILED = (ev.MemberJoined, ev.HomeOpened, ev.CommandInvoked, ev.ButtonClicked, ev.FormSubmitted)
#: Events that carry only a user id (no bot_id as messages have): a bot's are dropped once
#: users.info (cached an hour) says it is one — bots are never members nor activity.
BOT_CHECKED = (ev.MemberJoined, ev.MemberLeft, ev.ReactionAdded, ev.ReactionRemoved)
#: The longest one views.open may take — the trigger lasts 3 s from the click, so a call that
#: hangs leaves time for another — and the pause before trying again after a failure.
VIEWS_OPEN_TIMEOUT, VIEWS_OPEN_PAUSE = 1.2, 0.1


class SlackPlatform(InstallFlow):
    def __init__(self, config: SlackConfig, sink: EventSink, database: AsyncEngine) -> None:
        self.config = config
        self._sink = sink
        self._database = database
        self._profiles = ProfileCache()
        self._late_lookups = LateLookups(self._profiles, self._client_for, self._learned)
        self.client = AsyncWebClient(token=config.bot_token, base_url=config.api_url)
        self.installations: SealedInstallationStore | None = None
        settings = None
        configured = None
        if config.bot_token:
            configured = ConfiguredBot(self.client, config.bot_token)
        self._configured = configured
        self._admission = Admission(configured, self._installed_bot)
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
            # no token: each request is given its workspace's (DecidedAuthorize)
            client=AsyncWebClient(base_url=config.api_url),
            signing_secret=config.signing_secret,
            oauth_settings=settings,
            before_authorize=self._admission.before_authorize,
            # an AsyncAuthorize instance is taken as it is (its annotation says a function)
            authorize=DecidedAuthorize(),  # type: ignore[arg-type]
            # the edge checks signatures (and hands Bolt the payload re-encoded as JSON)
            request_verification_enabled=False,
            process_before_response=True,
            raise_error_for_unhandled_request=False,
        )
        self._register()
        self.sender = SlackSender(self.bot_token, config.api_url)
        self._socket: AsyncSocketModeHandler | None = None

    # -- wiring ---------------------------------------------------------------------------

    def routes(self) -> list[web.AbstractRouteDef]:
        routes: list[web.AbstractRouteDef] = []
        if self.config.signing_secret:  # HTTP mode: every request is checked by the edge
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
            self._socket = CheckedSocketModeHandler(
                self.app, self.config.app_token, web_client=self.client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack socket mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self._late_lookups.close()
        await self.sender.close()

    def team_url(self, team: str) -> str | None:
        """The workspace's address, known once auth.test answered for the configured token
        (an OAuth installation tells none: its messages' links go through slack.com)."""
        return self._configured.team_url(team) if self._configured is not None else None

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

    async def _installed_bot(self, team: str) -> Bot | None:
        """The team's installation (OAuth): its token, and who the bot is there."""
        if self.installations is None:
            return None
        token = await self.bot_token(team)
        if not token:
            return None
        bots = self.installations.bots
        query = (
            select(bots.c.bot_user_id, bots.c.bot_id, bots.c.enterprise_id)
            .where(bots.c.client_id == self.config.client_id, bots.c.team_id == team)
            .order_by(bots.c.installed_at.desc())
            .limit(1)
        )
        async with self._database.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        return Bot(team, token, row.bot_user_id, row.bot_id, row.enterprise_id)

    # -- HTTP -----------------------------------------------------------------------------

    async def _http(self, request: web.Request) -> web.Response:
        arrived = calls.now()
        raw = await request.read()
        checked = edge.check(
            self.config.signing_secret, request.headers, raw, request.content_type, EVENT_TYPES
        )
        if isinstance(checked, edge.Answered):
            if checked.status >= 400:
                log.info(
                    "slack request refused",
                    extra={"status": checked.status, "reason": checked.reason},
                )
            return web.Response(status=checked.status, text=checked.reason)
        headers: dict[str, str | Sequence[str]] = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        bolt_request = AsyncBoltRequest(
            body=checked.as_json(),
            query=request.query_string,
            headers={**headers, "content-type": "application/json"},
            context={calls.RECEIVED_AT: arrived},
        )
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

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
        # anything else is acknowledged (else Slack retries it, or shows the member an error):
        # link buttons, views not ours (the edge answers unhandled events itself)
        self.app.event(re.compile(".*"))(self._acknowledge)
        self.app.action(re.compile(".*"))(self._acknowledge)
        self.app.view(re.compile(".*"))(self._acknowledge)
        self.app.view_closed(re.compile(".*"))(self._acknowledge)

    @staticmethod
    async def _acknowledge(ack: AsyncAck) -> None:
        await ack()

    async def _forward(
        self, event: ev.Event | None, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event is None:
            return
        if isinstance(event, BOT_CHECKED) and event.workspace.external_id:
            team, user_id = event.workspace.external_id, event.member.user_id
            if not isinstance(event, PROFILED):  # a look-up, cached: who reacts is few people
                await self._profiles.get(client, team, user_id, calls.time_left(context, 1.0))
            if self._profiles.is_bot(team, user_id):
                log.info("a bot's event is not activity", extra={"kind": type(event).__name__})
                return
        if isinstance(event, PROFILED):
            member, team = event.member, event.workspace.external_id
            within = calls.time_left(context, LOOKUP_TIMEOUT)
            found = await self._profiles.get(client, team, member.user_id, within)
            if self._profiles.is_bot(team, member.user_id):
                log.info("a bot's event is not activity", extra={"kind": type(event).__name__})
                return
            if isinstance(found, ev.MemberProfile):
                merged = ev.MemberProfile(
                    member.user_id,
                    member.display_name or found.display_name,
                    member.locale or found.locale,
                    member.timezone or found.timezone,
                    found.is_admin,
                )
                event = replace(event, member=merged)
            elif found.transient:  # go on with what is stored; ask Slack again later
                self._late_lookups.schedule(team, member.user_id)
        await self._sink(event)

    async def _client_for(self, team: str) -> AsyncWebClient | None:
        token = await self.bot_token(team)
        return AsyncWebClient(token=token, base_url=self.config.api_url) if token else None

    async def _learned(self, team: str, profile: ev.MemberProfile) -> None:
        """A profile found after its event was processed: stored with the member."""
        await self._sink(
            ev.MemberUpdated(
                workspace=ev.WorkspaceRef("slack", team),
                key=f"profile:{profile.user_id}:{uuid.uuid4().hex}",
                occurred_at=normalize.utc_now(),
                member=profile,
            )
        )

    async def _on_event(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await self._forward(normalize.from_event(body, context.bot_user_id), client, context)

    async def _on_command(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await self._forward(normalize.from_command(body), client, context)
        await ack()

    async def _on_click(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        for action in body.get("actions") or []:
            if isinstance(action, dict):
                await self._forward(normalize.from_block_action(body, action), client, context)
        await ack()

    async def _on_open_modal(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A free-text answer or form button opens its modal at once: the trigger lasts 3 s
        from the click, so views.open is tried (again) only within that window."""
        await ack()
        try:
            view = modal_for_click(body)
        except (TypeError, ValueError, AttributeError, KeyError):
            view = None
        if view is None:
            log.warning("a form button without a readable form was clicked")
            return
        while (within := calls.time_left(context, VIEWS_OPEN_TIMEOUT)) >= calls.SHORTEST_CALL:
            try:
                await calls.bounded(
                    client.views_open(trigger_id=body.get("trigger_id"), view=view), within
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the click is acknowledged whatever Slack answered
                log.warning("views.open failed", extra={"error": calls.failure(error)})
                if calls.permanent(error):
                    return
            await asyncio.sleep(VIEWS_OPEN_PAUSE)
        log.warning("views.open given up: the trigger window is over")

    async def _on_answer(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
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
        await self._forward(event, client, context)
        await ack()
