"""Slack OAuth tokens encrypted at rest.

Each workspace's tokens (bot, user, refresh) are stored by slack_sdk's SQLAlchemy installation
store; :class:`SealedInstallationStore` seals them on save and reveals them on read, with
cryptography's Fernet (AES-128-CBC and HMAC-SHA256) keyed from ``ANIMATEUR_SECRET_KEY``.

Rotation: ``ANIMATEUR_SECRET_KEY="new,old"`` seals with the first key and reveals with any of
them (MultiFernet); :func:`reseal_all` rewrites every stored token with the first key, after
which the old key can be dropped.

A sealed value is ``fernet:<token>``. A stored value without that prefix is a token saved
before a key was configured: it is read as it is, and sealed by :func:`reseal_all`.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from sqlalchemy import MetaData, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

PREFIX = "fernet:"

#: The secret columns of each of slack_sdk's tables.
BOT_SECRETS = ("bot_token", "bot_refresh_token")
INSTALLATION_SECRETS = (*BOT_SECRETS, "user_token", "user_refresh_token")

_Entity = TypeVar("_Entity", Bot, Installation)


class SecretKeyError(ValueError):
    """A missing, malformed or wrong ``ANIMATEUR_SECRET_KEY``; the message says what to do."""


def new_key() -> str:
    """A fresh key for ``ANIMATEUR_SECRET_KEY``."""
    return Fernet.generate_key().decode()


class TokenCipher:
    """Seals and reveals stored tokens with the keys of ``ANIMATEUR_SECRET_KEY`` (None: none)."""

    def __init__(self, keys: str | None) -> None:
        parts = [part.strip() for part in (keys or "").split(",") if part.strip()]
        fernets = []
        for number, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part))
            except ValueError:
                raise SecretKeyError(
                    f"ANIMATEUR_SECRET_KEY: key {number} of {len(parts)} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes): generate one with "
                    "`animateur secret-key`"
                ) from None
        self._fernet = MultiFernet(fernets) if fernets else None

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def seal(self, token: str | None) -> str | None:
        """``token`` encrypted with the first key (as it is without a key, or sealed already)."""
        if not token or self._fernet is None or token.startswith(PREFIX):
            return token
        return PREFIX + self._fernet.encrypt(token.encode()).decode()

    def reveal(self, stored: str | None) -> str | None:
        """The token a stored value holds. Raises SecretKeyError if no key given opens it."""
        if not stored or not stored.startswith(PREFIX):
            return stored
        if self._fernet is None:
            raise SecretKeyError(
                "a Slack token in the database is encrypted and ANIMATEUR_SECRET_KEY is not set: "
                "set it to the key it was encrypted with"
            )
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "a Slack token in the database was encrypted with a key that is not in "
                'ANIMATEUR_SECRET_KEY: add it after the new one ("new,old")'
            ) from None

    def reseal(self, stored: str | None) -> str | None:
        """``stored`` sealed with the first key (plain tokens sealed, others re-encrypted)."""
        if not stored or self._fernet is None:
            return stored
        if not stored.startswith(PREFIX):
            return self.seal(stored)
        try:
            token = self._fernet.rotate(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            raise SecretKeyError(
                "a Slack token in the database was encrypted with a key that is not in "
                'ANIMATEUR_SECRET_KEY: add it after the new one ("new,old")'
            ) from None
        return PREFIX + token.decode()


def _with(entity: _Entity, columns: tuple[str, ...], change: Any) -> _Entity:
    changed = copy.copy(entity)
    for column in columns:
        setattr(changed, column, change(getattr(entity, column, None)))
    return changed


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, with every token sealed in the database and revealed when read."""

    def __init__(self, client_id: str, engine: AsyncEngine, cipher: TokenCipher) -> None:
        super().__init__(client_id, engine)
        self.cipher = cipher

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(_with(installation, INSTALLATION_SECRETS, self.cipher.seal))

    async def async_save_bot(self, bot: Bot) -> None:
        # async_save hands over a bot sealed already; seal() leaves it as it is
        await super().async_save_bot(_with(bot, BOT_SECRETS, self.cipher.seal))

    async def async_find_bot(self, **kw: Any) -> Bot | None:
        found: Bot | None = await super().async_find_bot(**kw)
        return None if found is None else _with(found, BOT_SECRETS, self.cipher.reveal)

    async def async_find_installation(self, **kw: Any) -> Installation | None:
        found: Installation | None = await super().async_find_installation(**kw)
        if found is None:
            return None
        return _with(found, INSTALLATION_SECRETS, self.cipher.reveal)


def _tables() -> list[tuple[Table, tuple[str, ...]]]:
    metadata = MetaData()
    store = SQLAlchemyInstallationStore
    return [
        (store.build_bots_table(metadata, store.default_bots_table_name), BOT_SECRETS),
        (
            store.build_installations_table(metadata, store.default_installations_table_name),
            INSTALLATION_SECRETS,
        ),
    ]


async def reseal_all(engine: AsyncEngine, cipher: TokenCipher) -> int:
    """Seal every stored Slack token with the cipher's first key; return how many rows changed.

    Raises SecretKeyError (nothing changed) when a token cannot be opened with the keys given.
    """
    if not cipher.enabled:
        raise SecretKeyError("set ANIMATEUR_SECRET_KEY to the key to encrypt the tokens with")
    changed = 0
    async with engine.begin() as connection:
        for table, columns in _tables():
            rows = await connection.execute(select(table.c.id, *(table.c[c] for c in columns)))
            for row in rows.mappings().all():
                values = {c: cipher.reseal(row[c]) for c in columns}
                if any(values[c] != row[c] for c in columns):
                    await connection.execute(
                        update(table).where(table.c.id == row["id"]).values(**values)
                    )
                    changed += 1
    log.info("slack tokens sealed with the first key", extra={"rows": changed})
    return changed


async def unreadable_tokens(engine: AsyncEngine, cipher: TokenCipher) -> int:
    """How many stored token rows the cipher's keys cannot open (0: all readable)."""
    count = 0
    async with engine.connect() as connection:
        for table, columns in _tables():
            rows = await connection.execute(select(*(table.c[c] for c in columns)))
            for row in rows.all():
                try:
                    for value in row:
                        cipher.reveal(value)
                except SecretKeyError:
                    count += 1
    return count
