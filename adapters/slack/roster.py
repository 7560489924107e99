"""Who is in a Slack channel, as Slack tells it: ``conversations.members`` (paged), people only.

Slack lists a channel's members as bare user ids, bots among them (the bot itself included). Who
is a person comes from the workspace's directory, ``users.list`` (paged, Tier 2), kept an hour
per workspace with each person's profile (name, time zone, locale); someone it does not show (new
since, or a guest from another organisation) is looked up alone with ``users.info`` and kept a
day — unless they are many, then the directory is listed again first. A bot, a deactivated
account and Slackbot are no members.

Every call is bounded in time and paged a bounded number of times; a 429 waits for
``Retry-After`` and tries again (a few times). Anything Slack could not answer raises
PlatformUnavailable: a roster is never guessed (an empty one would say everyone left).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channels import TokenSource
from adapters.slack.normalize import profile_from_user
from bot.vocabulary.events import MemberProfile, WorkspaceRef
from bot.vocabulary.ports import PlatformUnavailable

log = logging.getLogger(__name__)

#: Items asked per page (Slack recommends at most 200) and pages read at most: 50,000 channel
#: members, 100,000 workspace users.
PAGE_SIZE = 200
MEMBER_PAGES, USER_PAGES = 250, 500
#: Seconds one call may take (a 429's wait not included).
CALL_TIMEOUT = 30.0
#: Tries of one call answered 429, and the longest wait honoured between them.
RATE_LIMIT_TRIES, LONGEST_PAUSE = 4, 120.0
#: Seconds the workspace's directory is kept; after RELIST_AFTER seconds, a reading that meets
#: more than LOOKUPS people it does not know lists it again rather than ask for each of them.
DIRECTORY_TTL, RELIST_AFTER, LOOKUPS = 3600.0, 300.0, 50
#: Seconds someone looked up alone (a guest from another organisation: users.list does not
#: show them) is kept across listings.
LOOKUP_TTL = 86400.0
#: Slackbot is no bot to Slack's ``is_bot``, and no member to us.
SLACKBOT = "USLACKBOT"
NO_SUCH_USER = frozenset({"user_not_found", "users_not_found", "user_not_visible"})


def person(user: dict[str, Any]) -> MemberProfile | None:
    """A Slack user object's profile when it is a person's (None: a bot, deactivated…)."""
    user_id = user.get("id")
    if not isinstance(user_id, str) or not user_id or user_id == SLACKBOT:
        return None
    if user.get("is_bot") or user.get("deleted"):
        return None
    return profile_from_user(user, user_id, with_admin=False)


@dataclass
class _Directory:
    """One workspace's users as last listed — a person's profile, or None for anyone else —
    and those looked up alone since (when, by id)."""

    listed_at: float
    users: dict[str, MemberProfile | None] = field(default_factory=dict)
    looked_up: dict[str, float] = field(default_factory=dict)


class SlackRoster:
    def __init__(
        self,
        tokens: TokenSource,
        api_url: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._tokens = tokens
        self._api_url = api_url
        self._clock = clock
        self._sleep = sleep
        self._clients: dict[str, AsyncWebClient] = {}
        self._directories: dict[str, _Directory] = {}
        self._listing: dict[str, asyncio.Lock] = {}

    async def members(self, workspace: WorkspaceRef, channel: str) -> list[MemberProfile]:
        """The people in ``channel`` now (bots, the bot itself and deactivated accounts left
        out), in Slack's order; PlatformUnavailable when Slack could not tell."""
        team = workspace.external_id
        client = await self._client(team)
        listed = self._pages(client, "conversations_members", "members", channel)
        ids = list(dict.fromkeys([i async for i in listed if isinstance(i, str) and i]))
        users = await self._people(client, team, ids)
        found = [profile for i in ids if (profile := users.get(i)) is not None]
        log.info("slack channel roster read", extra={"members": len(found), "listed": len(ids)})
        return found

    # -- the workspace's directory ----------------------------------------------------------

    async def _people(
        self, client: AsyncWebClient, team: str, ids: list[str]
    ) -> dict[str, MemberProfile | None]:
        directory = await self._directory(client, team)
        unknown = [i for i in ids if i not in directory.users]
        if len(unknown) > LOOKUPS and self._clock() - directory.listed_at >= RELIST_AFTER:
            directory = await self._directory(client, team, relist=True)
            unknown = [i for i in ids if i not in directory.users]
        for user_id in unknown:
            directory.users[user_id] = await self._look_up(client, user_id)
            directory.looked_up[user_id] = self._clock()
        return directory.users

    async def _directory(
        self, client: AsyncWebClient, team: str, *, relist: bool = False
    ) -> _Directory:
        """The team's directory, listed again when older than DIRECTORY_TTL (or asked to);
        one listing at a time per workspace, the others wait for it and take it."""
        seen = self._directories.get(team)
        lock = self._listing.setdefault(team, asyncio.Lock())
        async with lock:
            known = self._directories.get(team)
            now = self._clock()
            if known is not None and (
                known is not seen  # listed while this one waited
                or (not relist and now - known.listed_at < DIRECTORY_TTL)
            ):
                return known
            directory = _Directory(listed_at=now)
            async for user in self._pages(client, "users_list", "members", include_locale=True):
                if isinstance(user, dict) and isinstance(user.get("id"), str):
                    directory.users[user["id"]] = person(user)
            for user_id, at in (known.looked_up if known else {}).items():
                if now - at < LOOKUP_TTL and user_id not in directory.users:
                    directory.users[user_id] = known.users.get(user_id) if known else None
                    directory.looked_up[user_id] = at
            self._directories[team] = directory
            log.info("slack directory listed", extra={"users": len(directory.users)})
            return directory

    async def _look_up(self, client: AsyncWebClient, user_id: str) -> MemberProfile | None:
        try:
            answer = await self._call(client, "users_info", user=user_id, include_locale=True)
        except _Refused as refused:
            if refused.error in NO_SUCH_USER:
                return None
            raise PlatformUnavailable(f"slack users.info: {refused.error}") from None
        user = answer.get("user")
        return person(user) if isinstance(user, dict) else None

    # -- calls ------------------------------------------------------------------------------

    async def _client(self, team: str) -> AsyncWebClient:
        token = await self._tokens(team)
        if not token:
            raise PlatformUnavailable("slack: no token for this workspace")
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = AsyncWebClient(token=token, base_url=self._api_url)
        return client

    async def _pages(
        self, client: AsyncWebClient, method: str, key: str, channel: str | None = None, **args: Any
    ) -> AsyncIterator[Any]:
        """Every item under ``key`` of every page of ``method``, cursor after cursor."""
        if channel is not None:
            args["channel"] = channel
        pages = MEMBER_PAGES if method == "conversations_members" else USER_PAGES
        cursor = ""
        for _ in range(pages):
            try:
                answer = await self._call(client, method, limit=PAGE_SIZE, cursor=cursor, **args)
            except _Refused as refused:
                raise PlatformUnavailable(f"slack {method}: {refused.error}") from None
            items = answer.get(key)
            if not isinstance(items, list):
                raise PlatformUnavailable(f"slack {method}: no {key} in the answer")
            for item in items:
                yield item
            metadata = answer.get("response_metadata")
            following = metadata.get("next_cursor") if isinstance(metadata, dict) else None
            if not following or not isinstance(following, str):
                return
            cursor = following
        log.warning("slack roster: more pages than read", extra={"method": method, "pages": pages})

    async def _call(self, client: AsyncWebClient, method: str, **args: Any) -> dict[str, Any]:
        """The method's answer; _Refused with Slack's error; PlatformUnavailable when Slack did
        not answer (in time, or at all). A 429 waits ``Retry-After`` seconds and tries again."""
        for attempt in range(1, RATE_LIMIT_TRIES + 1):
            try:
                response = await asyncio.wait_for(getattr(client, method)(**args), CALL_TIMEOUT)
            except SlackApiError as exc:
                status = getattr(exc.response, "status_code", None)
                if status == 429 and attempt < RATE_LIMIT_TRIES:
                    await self._sleep(_retry_after(exc))
                    continue
                data = exc.response.data if exc.response is not None else None
                error = data.get("error") if isinstance(data, dict) else None
                if isinstance(error, str) and status != 429:
                    raise _Refused(error) from None
                raise PlatformUnavailable(f"slack {method}: {error or f'http {status}'}") from exc
            except TimeoutError as exc:
                raise PlatformUnavailable(f"slack {method}: timed out") from exc
            except Exception as exc:  # an unreadable answer, a connection refused…
                raise PlatformUnavailable(f"slack {method}: {type(exc).__name__}") from exc
            data = response.data
            if not isinstance(data, dict):
                raise PlatformUnavailable(f"slack {method}: not JSON")
            return data
        raise AssertionError("unreachable")  # pragma: no cover


class _Refused(Exception):
    """Slack answered the call with an error of its own (``channel_not_found``…)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        seconds = float(value) if value is not None else 1.0
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.0), LONGEST_PAUSE)
