"""Who a Slack user is (name, locale, time zone, workspace admin), from users.info, cached per
process: an hour, but an admin's for a minute only — a demoted admin loses their rights within
ADMIN_TTL.

A look-up made while Slack waits is bounded by the time left to answer; when it fails (Slack or
a proxy answering an error page, broken JSON, nothing in time) the event goes on with what the
payload says — the runtime keeps the profile it has stored — and the look-up is tried again in
the background, its result handed to the runtime as a ``MemberUpdated``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import calls
from adapters.slack.normalize import profile_from_user
from bot.vocabulary.events import MemberProfile

log = logging.getLogger(__name__)

#: Slackbot is no bot to Slack's ``is_bot``, and no member to us.
SLACKBOT = "USLACKBOT"
#: The longest a look-up may take while Slack waits for the answer.
LOOKUP_TIMEOUT = 1.5
#: Seconds a cached "is an admin" is trusted (admins may change any community).
ADMIN_TTL = 60.0
#: A look-up tried again in the background: no hurry.
BACKGROUND_TIMEOUT = 10.0
#: Pauses before the background tries of a failed look-up.
RETRY_DELAYS = (2.0, 15.0, 60.0, 300.0)


@dataclass(frozen=True, slots=True)
class Unknown:
    """users.info could not tell now; ``transient``: another try may."""

    reason: str
    transient: bool


class ProfileCache:
    def __init__(
        self,
        ttl_seconds: float = 3600.0,
        size: int = 20_000,
        admin_ttl_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._admin_ttl = ADMIN_TTL if admin_ttl_seconds is None else admin_ttl_seconds
        self._clock = clock
        self._size = size
        self._entries: OrderedDict[tuple[str, str], tuple[float, MemberProfile]] = OrderedDict()
        #: users users.info said are bots (or Slackbot): never members, never activity
        self._bots: set[tuple[str, str]] = set()

    def is_bot(self, team: str, user_id: str) -> bool:
        """Whether users.info said this user is a bot (an app, a workflow, Slackbot)."""
        return user_id == SLACKBOT or (team, user_id) in self._bots

    def remember(self, team: str, profile: MemberProfile) -> None:
        self._entries[(team, profile.user_id)] = (self._clock(), profile)
        self._entries.move_to_end((team, profile.user_id))
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    async def get(
        self, client: AsyncWebClient, team: str, user_id: str, within: float = LOOKUP_TIMEOUT
    ) -> MemberProfile | Unknown:
        """The user's profile, or why Slack could not tell ``within`` seconds (never raises)."""
        cached = self._entries.get((team, user_id))
        age = self._clock() - cached[0] if cached else 0.0
        if cached and age < (self._admin_ttl if cached[1].is_admin else self._ttl):
            return cached[1]
        if within < calls.SHORTEST_CALL:
            return Unknown("no time left", transient=True)
        try:
            response = await calls.bounded(
                client.users_info(user=user_id, include_locale=True), within
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # whatever answered, the event goes on
            reason = calls.failure(error)
            log.warning("users.info failed", extra={"error": reason, "user": user_id})
            return Unknown(reason, transient=not calls.permanent(error))
        data = response.data
        user = data.get("user") if isinstance(data, dict) else None
        if not isinstance(user, dict):
            log.warning("users.info answered no user", extra={"user": user_id})
            return Unknown("no user", transient=True)
        found = profile_from_user(user, user_id)
        if user.get("is_bot"):
            self._bots.add((team, user_id))
        self.remember(team, found)
        return found


#: Gives a client for the team's bot token (None when the team has no installation).
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]
#: Hands a profile found late to the runtime.
Learned = Callable[[str, MemberProfile], Awaitable[None]]


class LateLookups:
    """Look-ups that failed while Slack waited, tried again in the background (one at a time
    per member, a few times, then given up — the next event from them tries again)."""

    def __init__(
        self,
        profiles: ProfileCache,
        client_for: ClientFor,
        learned: Learned,
        delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._profiles = profiles
        self._client_for = client_for
        self._learned = learned
        self._delays = tuple(delays)
        self._pending: dict[tuple[str, str], asyncio.Task[None]] = {}

    def schedule(self, team: str, user_id: str) -> None:
        key = (team, user_id)
        if key in self._pending:
            return
        task = asyncio.create_task(self._retry(team, user_id))
        self._pending[key] = task
        task.add_done_callback(lambda _: self._pending.pop(key, None))

    async def _retry(self, team: str, user_id: str) -> None:
        for delay in self._delays:
            await asyncio.sleep(delay)
            try:
                client = await self._client_for(team)
                if client is None:
                    return
                found = await self._profiles.get(client, team, user_id, BACKGROUND_TIMEOUT)
                if isinstance(found, MemberProfile):
                    await self._learned(team, found)
                    log.info("profile found on a later try", extra={"user": user_id})
                    return
                if not found.transient:
                    return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the runtime refused it (database down…): try later
                log.warning(
                    "storing a profile found late failed",
                    extra={"user": user_id, "error": type(error).__name__},
                )
        log.warning("users.info still failing; given up for now", extra={"user": user_id})

    async def close(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
