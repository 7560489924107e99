"""Send neutral actions through the Slack Web API, paced per workspace and method."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.limits import Pacer
from adapters.slack.blocks import SlackCall, render
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome

log = logging.getLogger(__name__)

#: The workspace's bot token (None: not installed there).
TokenSource = Callable[[str], Awaitable[str | None]]

#: Requests per second and burst, per workspace and method (Slack's published tiers).
METHOD_RATES: dict[str, tuple[float, float]] = {
    "chat.postMessage": (10.0, 10.0),  # plus 1/s per channel below
    "chat.update": (50 / 60, 5.0),  # tier 3
    "chat.postEphemeral": (100 / 60, 10.0),  # tier 4
    "views.publish": (100 / 60, 10.0),  # tier 4
}
PER_CHANNEL_RATE = (1.0, 3.0)  # chat.postMessage: about one message a second per channel

#: Errors that will not go away by retrying.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "user_not_found",
        "account_inactive",
        "is_archived",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "restricted_action",
        "user_not_in_channel",
    }
)
#: Errors that mean our credentials for the workspace are gone.
UNAUTHORIZED = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "team_access_not_granted"}
)


class SlackSender:
    platform = "slack"

    def __init__(self, tokens: TokenSource, api_url: str, pacer: Pacer | None = None) -> None:
        self._tokens = tokens
        self._api_url = api_url
        self._pacer = pacer or Pacer()
        self._clients: dict[str, AsyncWebClient] = {}

    def _client(self, token: str) -> AsyncWebClient:
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = AsyncWebClient(token=token, base_url=self._api_url)
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            if client.session is not None and not client.session.closed:
                await client.session.close()
        self._clients.clear()

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        team = workspace.external_id
        token = await self._tokens(team)
        if token is None:
            return SendOutcome("unauthorized", error="not installed in this workspace")
        call = render(action)
        if isinstance(action, act.RespondPrivately | act.OpenForm) and action.reply_to:
            if self._may_post_to(action.reply_to):
                return await self._respond(action.reply_to, call)
            log.warning("ignoring a response_url that is not Slack's")
        wait = await self._pace(team, call)
        if wait:
            return SendOutcome("deferred", retry_after=wait, error="paced")
        try:
            response = await self._client(token).api_call(call.method, json=call.args)
        except SlackApiError as exc:
            return self._failure(team, call, exc)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendOutcome("retry", error=f"network: {type(exc).__name__}")
        ref = response.get("ts") or response.get("message_ts")
        channel = response.get("channel") or call.args.get("channel", "")
        return SendOutcome("sent", platform_ref=f"{channel}:{ref}" if ref else None)

    def _may_post_to(self, url: str) -> bool:
        """Only Slack's own response URLs (or the configured API's host, e.g. a test fake)."""
        api = urlsplit(self._api_url)
        target = urlsplit(url)
        official = target.scheme == "https" and target.hostname == "hooks.slack.com"
        return official or (target.scheme, target.netloc) == (api.scheme, api.netloc)

    async def _respond(self, url: str, call: SlackCall) -> SendOutcome:
        """Answer a slash command through its response_url (the ephemeral ``call`` would post):
        works in DMs and private channels the bot is not in, where chat.postEphemeral cannot."""
        try:
            response = await AsyncWebhookClient(url).send(
                text=call.args["text"], blocks=call.args["blocks"], response_type="ephemeral"
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendOutcome("retry", error=f"network: {type(exc).__name__}")
        if response.status_code == 200:
            return SendOutcome("sent")
        if response.status_code in (404, 410):
            return SendOutcome("permanent", error="expired_url")
        return SendOutcome("retry", error=f"response_url http {response.status_code}")

    async def _pace(self, team: str, call: SlackCall) -> float:
        rate, burst = METHOD_RATES.get(call.method, (20 / 60, 5.0))
        wait = await self._pacer.wait(("slack", team, call.method), rate, burst)
        if wait or call.method != "chat.postMessage":
            return wait
        channel = str(call.args.get("channel", ""))
        return await self._pacer.wait(("slack", team, "channel", channel), *PER_CHANNEL_RATE)

    def _failure(self, team: str, call: SlackCall, exc: SlackApiError) -> SendOutcome:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http {status}")
        if status == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
            self._pacer.pause(("slack", team, call.method), retry_after)
            log.warning(
                "slack rate limited", extra={"method": call.method, "retry_after": retry_after}
            )
            return SendOutcome("retry", retry_after=retry_after, error="ratelimited")
        if error in UNAUTHORIZED:
            return SendOutcome("unauthorized", error=error)
        if error in PERMANENT:
            return SendOutcome("permanent", error=error)
        return SendOutcome("retry", error=error)
