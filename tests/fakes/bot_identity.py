"""A fake Bot Framework channel identity: test JWT authentication of inbound requests offline.

The real channel (Teams) signs a JWT for every request it POSTs to the bot; botframework-connector
checks it against the keys listed by ``https://login.botframework.com/v1/.well-known/
openidconfiguration``. This module generates RSA keys at runtime, serves an OpenID metadata
document and its JWKS on 127.0.0.1, and mints channel->bot tokens signed with them::

    async with FakeBotIdentity() as identity:
        config = SimpleNamespace(APP_ID=APP_ID, APP_PASSWORD="pw", **configure_for(identity))
        auth = ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=identity.credentials_factory(APP_ID)
        )
        adapter = CloudAdapter(auth)
        headers = identity.authorization(APP_ID, activity["serviceUrl"])

Pointing botbuilder at the fake (the supported way): ``ConfigurationBotFrameworkAuthentication``
reads ``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL`` from its configuration object (attributes,
read with ``getattr``, not dict keys). Any of the "parameterized" keys switches botframework from
its built-in public cloud settings to ``_ParameterizedBotFrameworkAuthentication``, which then
takes *every* setting from the configuration, so ``configure_for`` returns the whole public
cloud set with only the metadata URL replaced:

    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL   identity.openid_url
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER          "https://api.botframework.com"
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL  the real emulator URL (read for emulator tokens only)
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE           "https://api.botframework.com"
    TO_CHANNEL_FROM_BOT_LOGIN_URL             "https://login.microsoftonline.com/botframework.com"
    OAUTH_URL                                 "https://api.botframework.com"
    CALLER_ID                                 "urn:botframework:azure"
    VALIDATE_AUTHORITY                        True

On that parameterized path a request *without* Authorization header raises AttributeError
inside botframework (it only treats ``None`` as "no header"; CloudAdapter passes ``""``), even
with ``APP_ID`` empty: only use these overrides with an app id, behind an endpoint that maps
authentication failures to 401. The alternative, ``ChannelValidation.open_id_metadata_endpoint
= identity.openid_url`` on the built-in path, is process-global state: avoid it.

Outbound calls: with an app id, botbuilder gets an AAD token with msal before each call to the
connector (network). ``identity.credentials_factory(app_id)`` validates app ids like the
password factory but signs outbound calls with a local token (``outbound_token``): pass it as
``credentials_factory=`` to ``ConfigurationBotFrameworkAuthentication``.

What botframework-connector 4.17 checks (jwt_token_extractor.py and
_parameterized_bot_framework_authentication.py): scheme ``Bearer``; ``iss`` is the channel
issuer; the header's ``kid`` is in the JWKS; when that key lists ``endorsements`` the
activity's ``channelId`` must be one of them (keys here carry ``["msteams"]``); RS256
signature; ``exp``/``nbf`` with 5 minutes of clock tolerance (an "expired" token needs
``expires_in < -300``); ``aud`` == the configured app id; ``serviceurl`` == the activity's
``serviceUrl``, exactly. No ``ver`` claim: ``ver`` with an ``appid``/``azp`` other than ``aud``
would make it a skill token.

Gotchas: the metadata and keys are fetched with blocking ``requests.get`` on the bot's event
loop (hence this server runs on its own thread) and cached per URL for a day in the class-level
``JwtTokenExtractor.metadataCache`` (hence a random path per identity, evicted on close). Only
``PermissionError`` becomes 401 in ``CloudAdapter.process``: an unknown ``kid`` raises
IndexError, a bad signature or expiry a ``jwt`` exception, a missing endorsement a bare
Exception, and all escape as HTTP 500 unless the endpoint authenticates first
(``adapter.bot_framework_authentication.authenticate_request``, then ``process_activity``
with the result) and answers 401 to any failure there.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.bot_connector import LoopbackServer
from tests.fakes.lifecycle import Served

ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # https://api.botframework.com
AAD_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeBotIdentity(Served):
    """OpenID metadata + JWKS for a runtime RSA key, on loopback, and tokens signed with it."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        endorsements: tuple[str, ...] = ("msteams",),
        issuer: str = ISSUER,
    ) -> None:
        self.issuer = issuer
        self.endorsements = endorsements
        self.metadata_requests = 0
        self.jwks_requests = 0
        self._key = _new_key()
        self._rogue_key = _new_key()
        self.kid = f"fake-{uuid.uuid4().hex[:16]}"
        self.rogue_kid = f"rogue-{uuid.uuid4().hex[:16]}"
        self._prefix = f"/{uuid.uuid4().hex}/v1/.well-known"
        self._server = LoopbackServer(self._make_app, host)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._server.astart()

    async def close(self) -> None:
        """Stop serving and forget botframework's cached copy of this identity's keys."""
        if self._server.port is not None:
            JwtTokenExtractor.metadataCache.pop(self.openid_url, None)
        await self._server.astop()

    @property
    def _base(self) -> str:
        if self._server.port is None:
            raise RuntimeError("FakeBotIdentity is not started")
        return f"http://{self._server.host}:{self._server.port}{self._prefix}"

    @property
    def openid_url(self) -> str:
        return f"{self._base}/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self._base}/keys"

    # -- documents -------------------------------------------------------------------------

    @property
    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    @property
    def jwks(self) -> dict[str, Any]:
        key: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        key.update(
            {
                "kid": self.kid,
                "x5t": self.kid,
                "use": "sig",
                "endorsements": list(self.endorsements),
            }
        )
        return {"keys": [key]}

    def _make_app(self) -> web.Application:
        async def openid(request: web.Request) -> web.Response:
            self.metadata_requests += 1
            return web.json_response(self.openid_configuration)

        async def keys(request: web.Request) -> web.Response:
            self.jwks_requests += 1
            return web.json_response(self.jwks)

        app = web.Application()
        app.router.add_get(f"{self._prefix}/openidconfiguration", openid)
        app.router.add_get(f"{self._prefix}/keys", keys)
        return app

    # -- tokens ----------------------------------------------------------------------------

    def token(
        self,
        app_id: str,
        service_url: str,
        *,
        signed_by_known_key: bool = True,
        expires_in: float = 3600,
        issuer: str | None = None,
        **claims: Any,
    ) -> str:
        """A channel->bot JWT like Teams sends (RS256, ``kid`` header; ``iss``, ``aud`` = the
        app id, ``serviceurl``, ``nbf``, ``exp``). ``signed_by_known_key=False`` signs with
        another key whose kid is not in the JWKS; extra ``claims`` are merged in."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": int(now + expires_in),
            "iss": issuer or self.issuer,
            "aud": app_id,
            **claims,
        }
        key, kid = (
            (self._key, self.kid) if signed_by_known_key else (self._rogue_key, self.rogue_kid)
        )
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})

    def authorization(self, app_id: str, service_url: str, **kwargs: Any) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for ``token(app_id, service_url, ...)``."""
        return {"Authorization": f"Bearer {self.token(app_id, service_url, **kwargs)}"}

    def outbound_token(self, app_id: str, expires_in: float = 3600) -> str:
        """A bot->channel token shaped like the AAD one (``aud`` https://api.botframework.com,
        ``appid``); what ``credentials_factory`` puts on outbound calls."""
        now = int(time.time())
        payload = {
            "aud": AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
            "iss": AAD_ISSUER,
            "appid": app_id,
            "ver": "1.0",
            "nbf": now - 5,
            "exp": int(now + expires_in),
        }
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})

    def credentials_factory(
        self, app_id: str, token: str | None = None
    ) -> StaticTokenCredentialsFactory:
        return StaticTokenCredentialsFactory(app_id, token or self.outbound_token(app_id))

    @staticmethod
    def decode_unverified(token: str) -> dict[str, Any]:
        return dict(jwt.decode(token, options={"verify_signature": False}))


class StaticTokenCredentials(AppCredentials):
    """Outbound credentials that send a fixed bearer token (no msal, no network)."""

    def __init__(self, app_id: str, token: str, oauth_scope: str | None = None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._token


class StaticTokenCredentialsFactory(ServiceClientCredentialsFactory):
    """Like ``PasswordServiceClientCredentialFactory`` (same app id checks), minus AAD."""

    def __init__(self, app_id: str, token: str) -> None:
        self.app_id = app_id
        self.token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return not self.app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        if await self.is_authentication_disabled():
            return MicrosoftAppCredentials.empty()
        if not await self.is_valid_app_id(app_id):
            raise PermissionError(f"Invalid app_id {app_id!r}")
        return StaticTokenCredentials(app_id, self.token, oauth_scope)


def configure_for(identity: FakeBotIdentity) -> dict[str, Any]:
    """Attributes to add to the botbuilder configuration object (next to APP_ID/APP_PASSWORD)
    so that ``ConfigurationBotFrameworkAuthentication`` validates tokens against ``identity``."""
    return {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": identity.openid_url,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": identity.issuer,
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": (
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        ),
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": (
            AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
            + AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
        ),
        "OAUTH_URL": AuthenticationConstants.OAUTH_URL,
        "CALLER_ID": CallerIdConstants.public_azure_channel,
        "VALIDATE_AUTHORITY": True,
    }


__all__ = [
    "ISSUER",
    "FakeBotIdentity",
    "StaticTokenCredentials",
    "StaticTokenCredentialsFactory",
    "configure_for",
]
