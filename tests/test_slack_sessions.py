"""The Slack sender's clients share one HTTP session (connections kept open): each workspace's
calls still carry only its own credentials — not even a cookie set in answer to another's."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.slack.sender import SlackSender
from bot.vocabulary import actions as act
from bot.vocabulary.events import WorkspaceRef

TOKENS = {"T0001": "xoxb-one", "T0002": "xoxb-two"}


async def token(team: str) -> str | None:
    return TOKENS.get(team)


async def test_a_cookie_set_for_one_workspace_never_goes_with_another() -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    async def post(request: web.Request) -> web.Response:
        seen.append((request.headers.get("Authorization", ""), dict(request.cookies)))
        response = web.json_response({"ok": True, "channel": "D1", "ts": "1.0"})
        if request.headers.get("Authorization") == "Bearer xoxb-one":
            response.set_cookie("d", "workspace-one-session")
        return response

    app = web.Application()
    app.router.add_post("/api/chat.postMessage", post)
    async with TestServer(app) as server:
        # a host name, as slack.com (aiohttp keeps no cookie from a bare IP address)
        api = f"http://localhost:{server.port}/api/"
        sender = SlackSender(token, api)
        try:
            dm = act.SendDirectMessage(user_id="U1", text="Bienvenue")
            assert (await sender.send(WorkspaceRef("slack", "T0001"), dm)).status == "sent"
            assert (await sender.send(WorkspaceRef("slack", "T0002"), dm)).status == "sent"
        finally:
            await sender.close()
    assert [auth for auth, _ in seen] == ["Bearer xoxb-one", "Bearer xoxb-two"]
    assert seen[1][1] == {}, "workspace one's cookie went with workspace two's call"
