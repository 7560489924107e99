"""Which bot answers a request — decided before Bolt authorizes it, so that no request is
acknowledged and then dropped.

Bolt's own authorization calls auth.test (in single-workspace mode until it once succeeds; with
OAuth installs on every request) and, when that fails — Slack down, a proxy's error page, a rate
limit — answers 200 with an apology: Slack does not retry a 200, and the event is lost. Here:

- single workspace: the configured token's identity comes from auth.test, asked within the time
  left to answer and kept once known. While it cannot be known the request is answered 503, so
  Slack retries the event (a member sees their command fail, and can try again). A request
  about another workspace is refused (403): no workspace is recorded for it.
- OAuth installs: the workspace's installation, as stored at install time (bot token, bot user
  and bot ids) — no auth.test on the way. A workspace without one is refused (403).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import calls
from adapters.slack.normalize import team_of

log = logging.getLogger(__name__)

#: The longest auth.test may take while Slack waits for the answer.
AUTH_TEST_TIMEOUT = 1.2
#: Bolt context key: the authorization decided for the request.
AUTHORIZED = "animateur_authorized"
#: Requests Bolt answers without any token (and that name no workspace).
NO_AUTH_TYPES = frozenset({"url_verification", "ssl_check"})
#: Events Bolt handles without a token (the app was removed, its tokens revoked).
NO_TOKEN_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})


@dataclass(frozen=True, slots=True)
class Bot:
    """The bot of one workspace: its token and who it is there."""

    team_id: str
    token: str
    bot_user_id: str | None = None
    bot_id: str | None = None
    enterprise_id: str | None = None
    #: the workspace's address (auth.test ``url``, e.g. https://acme.slack.com/), when known
    url: str | None = None


#: The installed bot of a team (OAuth), or None when the team has no installation.
InstalledBot = Callable[[str], Awaitable[Bot | None]]


class ConfiguredBot:
    """The configured token's workspace and identity, from auth.test: asked while a request
    waits (bounded: a call that hangs is given up with its request), kept once known."""

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._known: Bot | None = None

    def team_url(self, team: str) -> str | None:
        """The workspace's address once auth.test told it (None before, or another team)."""
        known = self._known
        return known.url if known is not None and known.team_id == team else None

    async def identity(self, within: float) -> Bot | str:
        """The bot, or what went wrong asking (``http 503``, ``timeout``, ``invalid_auth``…)."""
        if self._known is not None:
            return self._known
        if within < calls.SHORTEST_CALL:
            return "no time left"
        try:
            self._known = await calls.bounded(self._ask(), within)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return calls.failure(error)
        log.info("slack bot identified", extra={"team": self._known.team_id})
        return self._known

    async def _ask(self) -> Bot:
        response = await self._client.auth_test(token=self._token)
        data = response.data
        if not isinstance(data, dict) or not isinstance(data.get("team_id"), str):
            raise ValueError("auth.test answered no team")
        return Bot(
            team_id=data["team_id"],
            token=self._token,
            bot_user_id=data.get("user_id"),
            bot_id=data.get("bot_id"),
            enterprise_id=data.get("enterprise_id"),
            url=data["url"] if isinstance(data.get("url"), str) else None,
        )


def _response(status: int, reason: str) -> BoltResponse:
    return BoltResponse(status=status, body=reason, headers={"content-type": "text/plain"})


class Admission:
    """Bolt's ``before_authorize`` middleware and its ``authorize``: the request goes on with
    its workspace's bot, or is answered at once with why not."""

    def __init__(
        self, configured: ConfiguredBot | None, installed: InstalledBot | None = None
    ) -> None:
        self._configured = configured
        self._installed = installed

    async def before_authorize(
        self,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next_: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        calls.received_at(context)
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        if (
            body.get("type") in NO_AUTH_TYPES
            or "ssl_check" in body
            or event_type in (NO_TOKEN_EVENTS)
        ):
            await next_()
            return None
        team = team_of(body)
        if not team:
            log.info("slack request naming no workspace refused")
            return _response(400, "the payload names no workspace (team)")
        bot = await self._bot(team, context)
        if isinstance(bot, BoltResponse):
            return bot
        context[AUTHORIZED] = AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.token,
            user_id=context.user_id,
        )
        await next_()
        return None

    async def _bot(self, team: str, context: MutableMapping[str, Any]) -> Bot | BoltResponse:
        if self._configured is not None:
            known = await self._configured.identity(calls.time_left(context, AUTH_TEST_TIMEOUT))
            if isinstance(known, str):
                log.warning(
                    "auth.test failed: request answered 503 so that Slack retries it",
                    extra={"error": known},
                )
                return _response(503, f"auth.test failed ({known}); Slack will retry")
            if known.team_id != team:
                log.warning("slack request for another workspace refused", extra={"team": team})
                return _response(403, f"this bot serves workspace {known.team_id}, not {team}")
            return known
        assert self._installed is not None
        installed = await self._installed(team)
        if installed is None:
            log.warning("slack request for a workspace not installed", extra={"team": team})
            return _response(403, f"the app is not installed in workspace {team}")
        return installed


class DecidedAuthorize(AsyncAuthorize):
    """Bolt's ``authorize``: the authorization ``Admission`` decided for the request."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        decided = context.get(AUTHORIZED)
        return decided if isinstance(decided, AuthorizeResult) else None
