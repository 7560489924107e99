"""The Bot Connector clients botbuilder makes for us, fitted for sending under faults.

botbuilder creates one connector client per turn (and per proactive send) through the
authentication's connector factory; we wrap that factory so each client it makes:

- gives up on an HTTP call after ``CALL_TIMEOUT`` seconds (requests' timeout; botbuilder's
  default is 100 s, during which a hanging call holds a worker thread);
- keeps the status and headers of an error answered with a body that is not JSON (a gateway's
  ``text/plain`` 429 or HTML 503): msrest would otherwise raise a bare DeserializationError that
  loses both, so a 429 could not be told from a crash nor its Retry-After honoured.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import DeserializationError
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory
from msrest.pipeline.universal import RawDeserializer

log = logging.getLogger(__name__)

#: Seconds one Bot Connector HTTP call may take (it answers in well under a second).
CALL_TIMEOUT = 5.0


class ErrorTolerantDeserializer(RawDeserializer):
    """msrest's body parser, except that an answer with a body it cannot read is left unparsed:
    an error then raises its usual exception, with the status and headers; a success (2xx)
    stays one — the message went out, and a retry would send it twice."""

    def on_response(self, request: Any, response: Any, **kwargs: Any) -> None:
        try:
            super().on_response(request, response, **kwargs)
        except DeserializationError:
            status = getattr(getattr(response, "http_response", None), "status_code", 0)
            if not isinstance(status, int) or status < 200 or 300 <= status < 400:
                raise
            response.context[self.CONTEXT_NAME] = None


def fit(client: Any) -> Any:
    """Apply the timeout and the tolerant body parser to one connector client."""
    connection = getattr(getattr(client, "config", None), "connection", None)
    if connection is not None:
        connection.timeout = CALL_TIMEOUT
    pipeline = getattr(getattr(client, "config", None), "pipeline", None)
    replaced = False
    for runner in getattr(pipeline, "_impl_policies", None) or []:
        if type(getattr(runner, "_policy", None)) is RawDeserializer:
            runner._policy = ErrorTolerantDeserializer()
            replaced = True
    if not replaced:
        log.debug("connector client without msrest's body parser: left as it is")
    return client


class FittedConnectors(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        return fit(await self._inner.create(service_url, audience))


class FittedAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's configuration-based authentication whose connector clients are fitted."""

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> Any:
        return FittedConnectors(super().create_connector_factory(claims_identity))
