"""Socket Mode with the HTTP edge's checks: the event types the bot listens to, and the
handler that admits (or acknowledges and drops) each envelope before Bolt sees it."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.slack import edge

log = logging.getLogger(__name__)

#: Raw Slack event types we listen to (message.* subscriptions all arrive as "message").
EVENT_TYPES = (
    "app_home_opened",
    "member_joined_channel",
    "member_left_channel",
    "message",
    "reaction_added",
    "reaction_removed",
    "team_join",
)


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode, with the same checks as the HTTP edge (no signature: the socket is the
    app's own). What is refused is acknowledged all the same: Slack would only send it again."""

    async def handle(  # type: ignore[override]
        self, client: SocketModeClient, req: SocketModeRequest
    ) -> None:
        if req.type in ("events_api", "interactive", "slash_commands"):
            payload = req.payload if isinstance(req.payload, dict) else {}
            checked = edge.admit(payload, EVENT_TYPES)
            if isinstance(checked, edge.Answered):
                if checked.status >= 400:
                    log.info(
                        "slack envelope refused",
                        extra={"status": checked.status, "reason": checked.reason},
                    )
                response = SocketModeResponse(envelope_id=req.envelope_id)
                await client.send_socket_mode_response(response)
                return
            req.payload = checked.body
        await super().handle(client, req)
