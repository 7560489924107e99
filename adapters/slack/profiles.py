"""Who a Slack user is (name, locale, time zone, workspace admin), from users.info, cached per
process: an hour, but an admin's for a minute only — a demoted admin loses their rights within
ADMIN_TTL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.vocabulary.events import MemberProfile

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT = 2.0
#: Seconds a cached "is an admin" is trusted (admins may change any community).
ADMIN_TTL = 60.0


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

    def remember(self, team: str, profile: MemberProfile) -> None:
        self._entries[(team, profile.user_id)] = (self._clock(), profile)
        self._entries.move_to_end((team, profile.user_id))
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    async def get(self, client: AsyncWebClient, team: str, user_id: str) -> MemberProfile:
        """The user's profile; just the id when Slack cannot tell (logged, never fatal)."""
        cached = self._entries.get((team, user_id))
        age = self._clock() - cached[0] if cached else 0.0
        if cached and age < (self._admin_ttl if cached[1].is_admin else self._ttl):
            return cached[1]
        try:
            # bounded: this runs before the 3-second ack
            response = await asyncio.wait_for(
                client.users_info(user=user_id, include_locale=True), LOOKUP_TIMEOUT
            )
        except SlackApiError as exc:
            log.warning("users.info failed", extra={"error": exc.response.get("error")})
            return MemberProfile(user_id)
        except TimeoutError:
            log.warning("users.info too slow; going on without the profile")
            return MemberProfile(user_id)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        found = MemberProfile(
            user_id,
            profile.get("display_name") or profile.get("real_name") or user.get("real_name"),
            user.get("locale"),
            user.get("tz"),
            bool(user.get("is_admin") or user.get("is_owner")),
        )
        self.remember(team, found)
        return found
