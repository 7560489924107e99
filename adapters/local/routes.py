"""HTTP surface of the local platform: the JSON API and the playground page."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from adapters.inbound_json import UnreadableJson, loads
from adapters.local.inbox import LocalInbox, LocalMessage
from adapters.local.normalize import LocalEventIn, UnknownMessage, to_event
from adapters.local.travel import BadJump, jump
from bot.vocabulary import events as ev
from bot.vocabulary.ports import Clock, EventSink

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

#: Members and communities of a local workspace, for the playground's pickers.
DirectoryProvider = Callable[[str], Awaitable[dict[str, Any]]]
#: Moves the playground's clock forward (scheduler passes included); returns the new time.
Travel = Callable[[timedelta], Awaitable[datetime]]
NO_TRAVEL = (
    "time travel is only for the local platform running alone: with Slack or Teams "
    "configured, the bot keeps real time"
)


def _error(status: int, message: str, **details: Any) -> web.Response:
    return web.json_response({"error": message, **details}, status=status)


#: Only JSON is taken: a web page can make a browser post a form (``text/plain``…) to any
#: address without asking, but not ``application/json`` to another site without its CORS
#: consent — so no website a playground user visits can inject events or move the clock.
JSON_ONLY = 'send the body as JSON, with the header "Content-Type: application/json"'


def _not_json(request: web.Request) -> web.Response | None:
    """A 415 for a request whose body is not declared JSON; None if it is."""
    if request.content_type.lower() == "application/json":
        return None
    return _error(415, JSON_ONLY, content_type=request.content_type)


class LocalPlatform:
    def __init__(
        self,
        inbox: LocalInbox,
        sink: EventSink,
        directory: DirectoryProvider,
        clock: Clock,
        travel: Travel | None = None,
    ) -> None:
        self._inbox = inbox
        self._sink = sink
        self._directory = directory
        self._clock = clock
        self._travel = travel

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.post("/local/events", self.post_event),
            web.get("/local/messages", self.get_messages),
            web.get("/local/directory", self.get_directory),
            web.get("/local/home", self.get_home),
            web.get("/local/clock", self.get_clock),
            web.post("/local/clock", self.post_clock),
            web.get("/playground", self.playground),
            web.static("/playground/static", STATIC),
        ]

    async def post_event(self, request: web.Request) -> web.Response:
        if (refused := _not_json(request)) is not None:
            return refused
        try:
            body = loads(await request.read())  # and without NUL: PostgreSQL refuses it
        except UnreadableJson as exc:
            return _error(400, "the body must be a JSON object", reason=str(exc))
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        try:
            payload = LocalEventIn.model_validate({"event": body})
        except ValidationError as exc:
            # locations read ("event", <type>, field…) once the type is known
            problems = [
                {"field": ".".join(str(p) for p in err["loc"][2:]) or "type", "problem": err["msg"]}
                for err in exc.errors(include_url=False)
            ]
            return _error(400, "invalid event", problems=problems)
        now = self._clock()
        try:
            event = to_event(payload, self._inbox, now)
        except UnknownMessage as exc:
            return _error(409, str(exc))
        result = await self._sink(event)
        answer: dict[str, Any] = {"status": result, "key": event.key}
        if result == "processed":
            self._show(payload.event, event, now)
            if isinstance(event, ev.MessagePosted):
                answer["message_id"] = event.message_id
        return web.json_response(answer, status=202)

    def _show(self, p: Any, event: ev.Event, now: datetime) -> None:
        """What members now see of what was done (once the bot has taken it in)."""
        inbox = self._inbox
        match event:
            case ev.MessagePosted(message_id=str(message_id)):
                inbox.add(
                    LocalMessage(
                        id=message_id,
                        workspace=event.workspace.external_id,
                        author=event.member.user_id,
                        text=str(p.text),
                        created_at=now,
                        channel=event.channel,
                        thread=event.thread,
                    )
                )
            case ev.ReactionAdded() | ev.ReactionRemoved():
                added = isinstance(event, ev.ReactionAdded)
                inbox.react(event.message_id, event.member.user_id, event.reaction, added=added)
            case ev.MessageEdited():
                inbox.edit(event.message_id, str(p.text), now)
            case ev.MessageDeleted():
                inbox.delete(event.message_id, now)

    async def get_messages(self, request: web.Request) -> web.Response:
        workspace = request.query.get("workspace", "demo")
        user, channel = request.query.get("user"), request.query.get("channel")
        if bool(user) == bool(channel):
            return _error(400, "give exactly one of ?user=ID or ?channel=ID")
        found = (
            self._inbox.for_user(workspace, user)
            if user
            else self._inbox.for_channel(workspace, channel or "")
        )
        return web.json_response({"messages": [m.as_json() for m in found]})

    async def get_home(self, request: web.Request) -> web.Response:
        """The home view last published for ``?user=ID`` (404 before the first ``home_opened``)."""
        workspace, user = request.query.get("workspace", "demo"), request.query.get("user")
        if not user:
            return _error(400, "give ?user=ID")
        home = self._inbox.homes.get((workspace, user))
        if home is None:
            return _error(404, f"no home published for {user!r} yet: post a home_opened event")
        return web.json_response(home)

    async def get_clock(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"now": self._clock().isoformat(), "travel": self._travel is not None}
        )

    async def post_clock(self, request: web.Request) -> web.Response:
        """Time travel: ``{"by": "1d"}`` or ``{"to": "monday 09:30", "timezone": "…"}``."""
        if (refused := _not_json(request)) is not None:
            return refused
        if self._travel is None:
            return _error(409, NO_TRAVEL)
        try:
            body = loads(await request.read())
        except UnreadableJson as exc:
            return _error(400, "the body must be a JSON object", reason=str(exc))
        try:
            delta = jump(body, self._clock())
            now = await self._travel(delta)
        except (BadJump, ValueError) as exc:
            return _error(400, str(exc))
        log.info("playground clock moved forward", extra={"seconds": delta.total_seconds()})
        return web.json_response({"now": now.isoformat(), "travel": True})

    async def get_directory(self, request: web.Request) -> web.Response:
        return web.json_response(await self._directory(request.query.get("workspace", "demo")))

    async def playground(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "playground.html")
