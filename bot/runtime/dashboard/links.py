"""Passwordless access: a short-lived signed link, bound to one workspace and one person, that
opens a signed session cookie. Signed with itsdangerous on the wall clock the bot was given —
never the playground's travelled one (``bot.app.build``): a jump forward must not expire them."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from bot.runtime.clock import Clock
from bot.vocabulary.events import Platform, WorkspaceRef

log = logging.getLogger(__name__)

#: How long a link opens the dashboard, and how long the session it opens lasts.
LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
LINK_SALT = "animateur.dashboard.link"
SESSION_SALT = "animateur.dashboard.session"
COOKIE = "animateur_dashboard"


class Denied(Exception):
    """A link or a session that opens nothing: ``reason`` is ``expired`` or ``invalid``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unavailable(Exception):
    """No key to sign links with: none configured, and the key file cannot be read or made
    (a read-only directory…). Nothing the member can fix: whoever runs the bot can."""


@dataclass(frozen=True, slots=True)
class Grant:
    """Who a link or a session is for: one person in one workspace (and where to land)."""

    workspace: WorkspaceRef
    user_id: str
    channel: str | None = None


def load_or_create_key(path: Path) -> str:
    """The key stored in ``path``; a new random one written there (mode 0600) if none yet, so
    links and sessions survive restarts. Two processes creating it at once agree on one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
        if not key:
            raise ValueError(f"{path} is empty: delete it to have a new key made") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key


class DashboardLinks:
    """Makes and reads the dashboard's links and session cookies. ``keys``: newest first (the
    first signs, any verifies: rotation)."""

    def __init__(self, keys: Callable[[], list[str]], public_url: str, clock: Clock) -> None:
        self.public_url = public_url.rstrip("/")
        self.secure = self.public_url.startswith("https://")
        self._clock = clock
        self._keys = keys
        self._made: tuple[URLSafeTimedSerializer, URLSafeTimedSerializer] | None = None
        self._warned = False
        #: the links open only on the bot's machine while people use Slack or Teams
        #: (ANIMATEUR_PUBLIC_URL left at a loopback address): the command says so
        self.only_local = False

    def _serializers(self) -> tuple[URLSafeTimedSerializer, URLSafeTimedSerializer]:
        """Made at first use: a key file is only created once the dashboard is used."""
        if self._made is None:
            try:
                keys = [k for k in self._keys() if k]
                if not keys:
                    raise ValueError("no key to sign dashboard links")
            except (OSError, ValueError) as exc:
                # tried again next time (the directory may be fixed), told once
                if not self._warned:
                    self._warned = True
                    log.warning(
                        "dashboard unavailable: no key to sign its links — set "
                        "ANIMATEUR_SECRET_KEY, or make ANIMATEUR_DASHBOARD_KEY_FILE writable",
                        extra={"error": f"{type(exc).__name__}: {exc}"},
                    )
                raise Unavailable(str(exc)) from exc
            newest_last = list(reversed(keys))  # itsdangerous signs with the last
            self._made = (
                self._serializer(newest_last, LINK_SALT),
                self._serializer(newest_last, SESSION_SALT),
            )
        return self._made

    def _serializer(self, keys: list[str], salt: str) -> URLSafeTimedSerializer:
        clock = self._clock

        class ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        return URLSafeTimedSerializer(keys, salt=salt, signer=ClockSigner)

    def link(self, grant: Grant) -> str:
        """The URL to open (valid LINK_LIFETIME). Unavailable without a key."""
        token = self._serializers()[0].dumps(_payload(grant))
        return f"{self.public_url}/dashboard/open?token={quote(token)}"

    def open_link(self, token: str) -> Grant:
        return _grant(self._serializers()[0], token, LINK_LIFETIME)

    def session(self, grant: Grant) -> str:
        """The session cookie's value (valid SESSION_LIFETIME)."""
        return self._serializers()[1].dumps(_payload(grant))

    def open_session(self, value: str) -> Grant:
        return _grant(self._serializers()[1], value, SESSION_LIFETIME)


def _payload(grant: Grant) -> dict[str, Any]:
    ref = grant.workspace
    return {"p": ref.platform, "w": ref.external_id, "u": grant.user_id, "c": grant.channel}


def _grant(serializer: URLSafeTimedSerializer, token: str, lifetime: timedelta) -> Grant:
    try:
        data = serializer.loads(token, max_age=int(lifetime.total_seconds()))
    except SignatureExpired:
        raise Denied("expired") from None
    except BadSignature:
        raise Denied("invalid") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "pwu"):
        raise Denied("invalid")
    if data["p"] not in get_args(Platform):
        raise Denied("invalid")
    channel = data.get("c")
    return Grant(
        WorkspaceRef(cast(Platform, data["p"]), data["w"]),
        data["u"],
        channel if isinstance(channel, str) else None,
    )
