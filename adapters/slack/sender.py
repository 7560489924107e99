"""Send neutral actions through the Slack Web API, paced per channel and by Slack's 429s.

Failures are told by what Slack answered — its error code, ``ratelimited``, ``http 503`` for a
proxy's HTML or text page, ``timeout`` — never by an exception's text (it can quote the answer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.limits import Pacer
from adapters.slack.blocks import SlackCall, render
from adapters.slack.posting_pace import PostingPaces
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import SendOutcome

log = logging.getLogger(__name__)

#: The workspace's bot token (None: not installed there).
TokenSource = Callable[[str], Awaitable[str | None]]

#: Requests per second and burst, per workspace and method (Slack's published tiers).
#: chat.postMessage has no fixed workspace ceiling here: Slack allows about one message a second
#: per channel (bursts tolerated) and says when to slow down (429 + Retry-After), honoured below.
METHOD_RATES: dict[str, tuple[float, float]] = {
    "chat.update": (50 / 60, 5.0),  # tier 3
    "chat.postEphemeral": (100 / 60, 10.0),  # tier 4
    "views.publish": (100 / 60, 10.0),  # tier 4
    "conversations.open": (50 / 60, 5.0),  # tier 3
}
POSTING = "chat.postMessage"
#: Seconds a post may wait here for its turn in the workspace's second (else it is deferred).
MAX_TURN_WAIT = 2.0
PER_CHANNEL_RATE = (1.0, 3.0)  # chat.postMessage: about one message a second per channel
#: After a 429 on chat.postMessage, a workspace's posts are paced at what Slack takes, learned
#: from its 429s (adapters/slack/posting_pace.py), instead of bursting into its limit and pausing.

#: Seconds one call may take (Slack answers these in well under a second). A call still
#: unanswered then is abandoned and retried later as a spent attempt: it may have gone through.
#: views.open must land within the trigger's 3-second window.
CALL_TIMEOUTS: dict[str, float] = {
    "chat.postMessage": 5.0,
    "chat.update": 5.0,
    "chat.postEphemeral": 5.0,
    "views.publish": 5.0,
    "views.open": 2.5,
    "conversations.open": 5.0,
}
DEFAULT_TIMEOUT = 10.0
RESPONSE_URL_TIMEOUT = 5.0
#: A Retry-After we cannot read (or none) means this; a huge one is capped.
DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 3600.0

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
        "not_enough_users",
        "too_many_users",
        "user_disabled",
        "user_not_visible",
        "invalid_user_combination",
    }
)
#: Errors that mean our credentials for the workspace are gone.
UNAUTHORIZED = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "team_access_not_granted"}
)


class SlackSender:
    platform = "slack"

    def __init__(
        self,
        tokens: TokenSource,
        api_url: str,
        pacer: Pacer | None = None,
        timeouts: Mapping[str, float] | None = None,
    ) -> None:
        self._tokens = tokens
        self._api_url = api_url
        self._pacer = pacer or Pacer()
        self._timeouts = {**CALL_TIMEOUTS, **(timeouts or {})}
        self._clients: dict[str, AsyncWebClient] = {}
        self._session: aiohttp.ClientSession | None = None
        self._clock = self._pacer.clock
        #: per workspace: the chat.postMessage pace Slack's 429s taught
        self._posting = PostingPaces(self._clock)

    def _client(self, token: str) -> AsyncWebClient:
        """The workspace's client; all share one HTTP session (its connections kept open:
        without one, slack_sdk opens a session — a new connection — for every call). The
        session keeps no cookies: one set in answer to a workspace's call never goes with
        another's (each call carries its own token, and nothing else of a workspace)."""
        client = self._clients.get(token)
        if client is None or client.session is None or client.session.closed:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
            client = AsyncWebClient(token=token, base_url=self._api_url, session=self._session)
            self._clients[token] = client
        return client

    async def close(self) -> None:
        self._clients.clear()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def send(self, workspace: WorkspaceRef, action: act.Action) -> SendOutcome:
        team = workspace.external_id
        token = await self._tokens(team)
        if token is None:
            return SendOutcome("unauthorized", error="not installed in this workspace")
        call = render(action)
        if isinstance(action, act.MessageGroup):
            if action.to and action.user_ids and action.to != action.user_ids[0]:
                # one group DM for them all, posted by the delivery of its first member (the
                # runtime left out, in every member's delivery alike, who may not get it)
                return SendOutcome("sent")
            opened = await self._open_group(team, token, action.user_ids)
            if isinstance(opened, SendOutcome):
                return opened
            call = SlackCall(call.method, {**call.args, "channel": opened})
        if isinstance(action, act.RespondPrivately | act.OpenForm) and action.reply_to:
            if self._may_post_to(action.reply_to):
                return await self._respond(action.reply_to, call)
            log.warning("ignoring a response_url that is not Slack's")
        response = await self._call(team, token, call)
        if isinstance(response, SendOutcome):
            return response
        if call.method == POSTING:
            self._posting.taken(team)
        ref = response.get("ts") or response.get("message_ts")
        channel = response.get("channel") or call.args.get("channel", "")
        return SendOutcome("sent", platform_ref=f"{channel}:{ref}" if ref else None)

    async def _call(
        self, team: str, token: str, call: SlackCall
    ) -> AsyncSlackResponse | SendOutcome:
        """``call``'s answer once Slack's pace allows it, else the outcome that stands for it
        (deferred, a failure). Only the call itself is timed: a wait for pacing never counts
        as an attempt."""
        wait = await self._pace(team, call)
        if wait:
            return SendOutcome("deferred", retry_after=wait, error="paced")
        sent_at = self._clock()
        try:
            async with asyncio.timeout(self._timeouts.get(call.method, DEFAULT_TIMEOUT)):
                return await self._client(token).api_call(call.method, json=call.args)
        except SlackApiError as exc:
            return self._failure(team, call, exc, sent_at)
        except TimeoutError:
            log.warning("slack call timed out", extra={"method": call.method})
            return SendOutcome("retry", error="timeout")
        except aiohttp.ClientError as exc:
            return SendOutcome("retry", error=_network(exc))

    async def _open_group(self, team: str, token: str, users: tuple[str, ...]) -> str | SendOutcome:
        """The group DM of ``users`` with the app (opened, or found open again): its channel."""
        call = SlackCall("conversations.open", {"users": ",".join(users)})
        response = await self._call(team, token, call)
        if isinstance(response, SendOutcome):
            return response
        channel = response.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, str) or not channel_id:
            return SendOutcome("retry", error="conversations.open gave no channel")
        return channel_id

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
            async with asyncio.timeout(RESPONSE_URL_TIMEOUT):
                response = await AsyncWebhookClient(url).send(
                    text=call.args["text"], blocks=call.args["blocks"], response_type="ephemeral"
                )
        except TimeoutError:
            return SendOutcome("retry", error="timeout")
        except aiohttp.ClientError as exc:
            return SendOutcome("retry", error=_network(exc))
        if response.status_code == 200:
            return SendOutcome("sent")
        if response.status_code in (404, 410):
            return SendOutcome("permanent", error="expired_url")
        if response.status_code == 429:
            retry_after = retry_after_of(response.headers)
            return SendOutcome("deferred", retry_after=retry_after, error="ratelimited")
        return SendOutcome("retry", error=f"response_url http {response.status_code}")

    async def _pace(self, team: str, call: SlackCall) -> float:
        if call.method != POSTING:
            rate, burst = METHOD_RATES.get(call.method, (20 / 60, 5.0))
            return await self._pacer.wait(("slack", team, call.method), rate, burst)
        paused = self._pacer.paused(("slack", team, call.method))  # after a 429
        if paused:
            return paused
        channel = str(call.args.get("channel", ""))
        wait = await self._pacer.wait(("slack", team, "channel", channel), *PER_CHANNEL_RATE)
        if wait:
            return wait
        learned = self._posting.rate(team)
        if learned is not None:
            wait = await self._pacer.wait(("slack", team, "posting"), learned, 1.0)
            if wait:
                return wait
            # no more a second than the pace, counted when each post really goes
            waited = 0.0
            while wait := self._posting.turn(team):
                if waited + wait > MAX_TURN_WAIT:
                    return max(wait, 1.0)  # claimed again in a second, not at once
                await self._pacer.sleep(wait)
                waited += wait
        # a 429 may have come while this one waited for its turn: it waits for the pause too
        paused = self._pacer.paused(("slack", team, call.method))
        if paused and learned is not None:
            self._posting.not_started(team)
        return paused

    def _failure(
        self, team: str, call: SlackCall, exc: SlackApiError, sent_at: float
    ) -> SendOutcome:
        status, body, headers = _answer(exc)
        code = body.get("error")
        error = str(code)[:100] if isinstance(code, str) and code else f"http {status}"
        if status == 429 or error == "ratelimited":
            # Slack refused before doing anything: not an attempt, come back when it says
            retry_after = retry_after_of(headers)
            self._pacer.pause(("slack", team, call.method), retry_after)
            if call.method == POSTING:
                self._posting.refused(team, sent_at)
            log.warning(
                "slack rate limited", extra={"method": call.method, "retry_after": retry_after}
            )
            return SendOutcome("deferred", retry_after=retry_after, error="ratelimited")
        if error in UNAUTHORIZED:
            return SendOutcome("unauthorized", error=error)
        if error in PERMANENT:
            return SendOutcome("permanent", error=error)
        return SendOutcome("retry", error=error)


def _answer(exc: SlackApiError) -> tuple[int | None, dict[str, Any], Mapping[str, str]]:
    """Status, JSON body ({} when Slack — or a proxy — answered text or HTML) and headers of a
    failed call. slack_sdk hands a SlackResponse, or aiohttp's raw response for a body it
    could not parse."""
    response = exc.response
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        status = getattr(response, "status", None)
    data = getattr(response, "data", None)
    headers = getattr(response, "headers", None)
    return (
        status if isinstance(status, int) else None,
        data if isinstance(data, dict) else {},
        headers if isinstance(headers, Mapping) else {},
    )


def retry_after_of(headers: Mapping[str, str]) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _network(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "unreachable"
    return "network error"
