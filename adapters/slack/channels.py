"""Who may run a community, as Slack tells it: conversations.info (is the bot in the channel,
who created it) and users.info (is this a person of the workspace). Calls are bounded in time,
and by what is left of Slack's 3-second window when they are made while answering a request;
confirmed answers are kept a minute; anything Slack could not answer raises
PlatformUnavailable — never a guess."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import calls
from bot.vocabulary.events import WorkspaceRef
from bot.vocabulary.ports import ChannelFacts, PlatformUnavailable

log = logging.getLogger(__name__)

#: The workspace's bot token (None: not installed there).
TokenSource = Callable[[str], Awaitable[str | None]]

#: Seconds one call may take: this runs before a slash command's 3-second acknowledgement.
CALL_TIMEOUT = 1.5
#: Seconds a confirmed answer (the bot is in the channel, a person is a member) is kept.
CACHE_SECONDS = 60.0
#: Answers meaning the bot cannot see the channel: it is not in it (a private channel looks
#: like no channel at all to a bot that was not invited).
NOT_IN_CHANNEL = frozenset({"channel_not_found", "not_in_channel"})
NO_SUCH_USER = frozenset({"user_not_found", "users_not_found", "account_inactive"})
#: Slack's own Slackbot: a user whose profile says it is no bot
SLACKBOT = "USLACKBOT"


class SlackChannels:
    knows_everyone = True

    def __init__(
        self,
        tokens: TokenSource,
        api_url: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tokens = tokens
        self._api_url = api_url
        self._clock = clock
        self._clients: dict[str, AsyncWebClient] = {}
        self._facts: dict[tuple[str, str], tuple[float, ChannelFacts]] = {}
        self._members: dict[tuple[str, str], float] = {}

    async def facts(self, workspace: WorkspaceRef, channel: str) -> ChannelFacts:
        key = (workspace.external_id, channel)
        cached = self._facts.get(key)
        if cached and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        answer = await self._call(workspace, "conversations_info", NOT_IN_CHANNEL, channel=channel)
        if answer is None:
            return ChannelFacts(bot_is_member=False)
        found = answer.get("channel") or {}
        creator = found.get("creator")
        facts = ChannelFacts(
            bot_is_member=bool(found.get("is_member")),
            owners=frozenset({str(creator)}) if creator else frozenset(),
        )
        if facts.bot_is_member:  # a refusal is asked again: the bot may be invited meanwhile
            self._facts[key] = (self._clock(), facts)
        return facts

    async def is_member(self, workspace: WorkspaceRef, channel: str, user_id: str) -> bool:
        key = (workspace.external_id, user_id)
        seen = self._members.get(key)
        if seen is not None and self._clock() - seen < CACHE_SECONDS:
            return True
        answer = await self._call(workspace, "users_info", NO_SUCH_USER, user=user_id)
        user = (answer or {}).get("user") or {}
        # Slackbot is no bot by its profile (is_bot false) but no person either
        member = (
            bool(user)
            and not user.get("deleted")
            and not user.get("is_bot")
            and user_id != SLACKBOT
        )
        if member:
            self._members[key] = self._clock()
        return member

    async def _call(
        self, workspace: WorkspaceRef, method: str, negative: frozenset[str], **args: str
    ) -> dict[str, Any] | None:
        """The method's answer; None when Slack answered one of the ``negative`` errors."""
        token = await self._tokens(workspace.external_id)
        if not token:
            raise PlatformUnavailable("slack: no token for this workspace")
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = AsyncWebClient(token=token, base_url=self._api_url)
        within = calls.answer_time_left(CALL_TIMEOUT)
        if within < calls.SHORTEST_CALL:
            raise PlatformUnavailable(f"slack {method}: no time left to answer the request")
        try:
            response = await asyncio.wait_for(getattr(client, method)(**args), within)
        except SlackApiError as exc:
            data = exc.response.data if exc.response is not None else None
            error = data.get("error") if isinstance(data, dict) else None
            if error in negative:
                return None
            status = getattr(exc.response, "status_code", "?")
            raise PlatformUnavailable(f"slack {method}: {error or f'http {status}'}") from exc
        except TimeoutError as exc:
            raise PlatformUnavailable(f"slack {method}: timed out") from exc
        except Exception as exc:  # an unreadable answer, a connection refused…
            raise PlatformUnavailable(f"slack {method}: {type(exc).__name__}") from exc
        data = response.data
        if not isinstance(data, dict):
            raise PlatformUnavailable(f"slack {method}: not JSON")
        return data
