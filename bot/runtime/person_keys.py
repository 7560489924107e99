"""A person named without their id in clear: a keyed hash (HMAC-SHA256) of the workspace and
their id, keyed with the bot's secret (ANIMATEUR_SECRET_KEY, else the dashboard's key file).
What an erased person opted out of is kept under it (``storage.privacy``), so that should they
be seen again no ritual writes to them. Without the key, the hash cannot be remade from an id
— and so cannot be tried against every member id of a workspace."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class PersonKeys:
    """``keys``: newest first (the first names, any finds: rotation keeps what was kept)."""

    def __init__(self, keys: Callable[[], list[str]]) -> None:
        self._keys = keys
        self._read: list[bytes] | None = None

    def _secrets(self) -> list[bytes]:
        """Read once (a key file is not read again for each member seen)."""
        if self._read is None:
            try:
                self._read = [k.encode() for k in self._keys() if k]
            except (OSError, ValueError) as exc:
                log.warning(
                    "no key to name erased people's opt-outs: set ANIMATEUR_SECRET_KEY, or make "
                    "ANIMATEUR_DASHBOARD_KEY_FILE writable",
                    extra={"error": type(exc).__name__},
                )
                self._read = []
        return self._read

    def of(self, workspace_id: int, user_id: str) -> list[str]:
        """The person's keyed hashes, one per key, newest first; none without a key."""
        keys = self._secrets()
        subject = f"{workspace_id}:{user_id}".encode()
        return [hmac.new(k, subject, hashlib.sha256).hexdigest() for k in keys]
