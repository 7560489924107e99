"""A fake Slack Web API and Socket Mode server that speaks the wire protocol slack_sdk uses.

Point the real clients at it::

    async with FakeSlackApi() as slack:
        slack.add_team(team_id="T0001", bot_token="xoxb-1")
        client = AsyncWebClient(token="xoxb-1", base_url=slack.api_url)
        await client.chat_postMessage(channel="C0001", text="hi")
        assert slack.calls_to("chat.postMessage")[0].args["text"] == "hi"

Every method answers HTTP 200 with ``{"ok": ...}`` like Slack does, except rate limits (HTTP 429
with ``Retry-After``). Close Socket Mode clients before leaving the context: a live client whose
socket is closed by the server reconnects (it calls ``apps.connections.open`` again).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import itertools
import json
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.lifecycle import Served

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict, "Team | None"], JsonDict]

# Form-encoded callers send these as JSON strings; the fake decodes them so args read the same
# whichever content type the client used.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "unfurls")
NO_AUTH_METHODS = {"oauth.v2.access", "apps.connections.open"}


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake received it (token removed from ``args``)."""

    method: str
    args: JsonDict
    token: str | None
    http_method: str = "POST"
    content_type: str = ""
    status: int = 200
    response: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.response.get("error"))


@dataclass
class Team:
    """A workspace with the app installed."""

    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    bot_name: str = "animateur"

    @property
    def domain(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.team_name.lower()) or "workspace"


@dataclass
class OAuthCode:
    code: str
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    scopes: str
    installer_user_id: str


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


def _dm_channel(user_id: str) -> str:
    """The DM channel id the fake hands out for a user id (``U0001`` -> ``D0001``)."""
    return "D" + user_id[1:]


def _is_user_id(value: str) -> bool:
    return len(value) > 1 and value[0] in "UW" and value[1:].isalnum() and value.isupper()


# -- inbound fault modes (slackin) ----------------------------------------------------------
# What a proxy in front of Slack, or a struggling Slack, answers to the calls the bot makes
# while it answers an inbound request (users.info, views.open, auth.test…): a body that is no
# JSON (text/plain, an HTML error page), broken JSON, or an answer that comes too late.
# Self-contained: ``FakeSlackApi._handle_api`` asks ``_inbound_fault`` before anything else.

GARBLED_BODIES: dict[str, tuple[str, str]] = {
    "text": ("text/plain", "upstream connect error or disconnect/reset before headers"),
    "html": (
        "text/html",
        "<html><head><title>502 Bad Gateway</title></head><body>"
        "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    ),
    "invalid_json": ("application/json", '{"ok": true, "user": {"id": "U'),
}


@dataclass(frozen=True)
class _InboundFault:
    kind: str  # a key of GARBLED_BODIES, or "stall"
    status: int = 200
    seconds: float = 0.0


class InboundFaults:
    """Fault modes for Web API methods: ``garble_next`` and ``stall_next``."""

    def _inbound_faults(self) -> dict[str, deque[_InboundFault]]:
        return self.__dict__.setdefault("_inbound_fault_queues", {})  # type: ignore[no-any-return]

    def garble_next(
        self, method: str, kind: str = "html", status: int = 502, count: int = 1
    ) -> None:
        """The next ``count`` calls to ``method`` answer HTTP ``status`` with a body that is no
        Slack answer: ``text`` (text/plain), ``html`` (an HTML error page) or ``invalid_json``
        (``application/json`` that does not parse)."""
        if kind not in GARBLED_BODIES:
            raise ValueError(f"unknown garbled kind {kind!r}: {sorted(GARBLED_BODIES)}")
        self._inbound_faults().setdefault(method, deque()).extend(
            [_InboundFault(kind, status)] * count
        )

    def stall_next(self, method: str, seconds: float, count: int = 1) -> None:
        """The next ``count`` calls to ``method`` are answered (normally) after ``seconds``."""
        self._inbound_faults().setdefault(method, deque()).extend(
            [_InboundFault("stall", seconds=seconds)] * count
        )

    async def _inbound_fault(self, method: str) -> tuple[int, str, str] | None:
        """(status, content type, body) to answer instead of Slack, or None to go on."""
        queued = self._inbound_faults().get(method)
        if not queued:
            return None
        fault = queued.popleft()
        if fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
            return None
        content_type, body = GARBLED_BODIES[fault.kind]
        return fault.status, content_type, body


# -- end of inbound fault modes -------------------------------------------------------------


class FakeSlackApi(InboundFaults, Served):
    """An aiohttp server on 127.0.0.1 answering ``/api/<method>`` and a Socket Mode ``/socket``."""

    def __init__(self, *, app_id: str = "A0001", host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self.host = host
        self.calls: list[Call] = []
        self.responses: list[JsonDict] = []
        self.teams: dict[str, Team] = {}
        self.users: dict[tuple[str, str], JsonDict] = {}
        self.messages: dict[tuple[str, str], JsonDict] = {}
        self.ephemerals: list[JsonDict] = []
        self.views: dict[str, JsonDict] = {}
        self.home_views: dict[str, JsonDict] = {}
        self.socket_acks: list[JsonDict] = []
        self.socket_received: list[JsonDict] = []
        self.rate_violations = 0
        #: the client ends (address, port) Web API calls came from: one per connection
        self.api_connections: set[object] = set()
        self._tokens: dict[str, Team] = {}
        self._revoked: set[str] = set()
        self._oauth_codes: dict[str, OAuthCode] = {}
        self._oauth_client: tuple[str, str, str | None] | None = None
        self._failures: dict[str, deque[str]] = {}
        self._rate_limits: dict[str, deque[int]] = {}
        self._enforced: dict[str, float] = {}
        self._enforce_clock: Callable[[], float] = time.monotonic
        self._recent: dict[str, deque[float]] = {}
        self._handlers: dict[str, Handler] = {}
        self._opened_dms: set[str] = set()
        #: multi-person DMs opened by conversations.open: channel id -> its users, in order
        self.group_dms: dict[str, list[str]] = {}
        #: conversations.info: channels by (team, channel id), see add_channel
        self.channels: dict[tuple[str, str], JsonDict] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind a free port and start serving."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/socket", self._handle_socket)
        app.router.add_post("/commands/{rest:.*}", self._handle_response_url)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    def response_url(self, name: str = "1") -> str:
        """A slash command's response_url served by this fake (POSTs land in ``responses``)."""
        return f"{self.url}/commands/T0001/{name}/secret"

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append({"path": request.path, **body})
        return web.Response(text="ok")

    async def close(self) -> None:
        """Close open sockets (code 1001, like a server going away) and stop the server."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlackApi is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give ``AsyncWebClient``."""
        return self.url + "/api/"

    @property
    def socket_url(self) -> str:
        return f"ws://{self.host}:{self._port}/socket"

    # -- configuration ---------------------------------------------------------------------

    def add_team(
        self,
        team_id: str = "T0001",
        bot_token: str = "xoxb-1",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0001",
        team_name: str = "Acme",
        bot_name: str = "animateur",
    ) -> Team:
        """Install the app in a workspace: ``bot_token`` becomes valid for that team."""
        team = Team(team_id, team_name, bot_token, bot_user_id, bot_id, bot_name)
        self.teams[team_id] = team
        self._tokens[bot_token] = team
        self._revoked.discard(bot_token)
        if (team_id, bot_user_id) not in self.users:
            self.add_user(team_id, bot_user_id, bot_name, is_bot=True, bot_id=bot_id)
        return team

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str,
        locale: str = "en-US",
        tz: str = "Europe/Paris",
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        bot_id: str | None = None,
    ) -> JsonDict:
        """Register a user that ``users.info`` knows; returns the stored user object."""
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        real = real_name or name.replace(".", " ").title()
        profile: JsonDict = {
            "real_name": real,
            "real_name_normalized": real,
            "display_name": display_name if display_name is not None else name,
            "display_name_normalized": display_name if display_name is not None else name,
            "first_name": real.split(" ")[0],
            "last_name": " ".join(real.split(" ")[1:]),
            "title": "",
            "team": team_id,
            "image_72": f"https://avatars.slack-edge.com/{user_id}_72.png",
        }
        if bot_id:
            profile["bot_id"] = bot_id
        user: JsonDict = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": now.tzname() or tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "is_email_confirmed": not is_bot,
            "who_can_share_contact_card": "EVERYONE",
            "locale": locale,
        }
        self.users[(team_id, user_id)] = user
        return user

    def add_oauth_code(
        self,
        code: str,
        team_id: str,
        bot_token: str,
        bot_user_id: str,
        scopes: str | Iterable[str] = "chat:write,commands",
        *,
        team_name: str = "Acme",
        bot_id: str = "B0001",
        installer_user_id: str = "U0001",
    ) -> None:
        """Make ``oauth.v2.access`` accept ``code`` once; the bot token is valid after that."""
        scope = scopes if isinstance(scopes, str) else ",".join(scopes)
        self._oauth_codes[code] = OAuthCode(
            code, team_id, team_name, bot_token, bot_user_id, bot_id, scope, installer_user_id
        )

    def set_oauth_client(
        self, client_id: str, client_secret: str, redirect_uri: str | None = None
    ) -> None:
        """Check ``oauth.v2.access`` credentials (unchecked until this is called)."""
        self._oauth_client = (client_id, client_secret, redirect_uri)

    def revoke(self, token: str) -> None:
        """From now on ``token`` answers ``token_revoked``."""
        self._revoked.add(token)

    def fail_next(self, method: str, error: str = "channel_not_found", count: int = 1) -> None:
        """The next ``count`` calls to ``method`` answer ``{"ok": false, "error": error}``."""
        self._failures.setdefault(method, deque()).extend([error] * count)

    def rate_limit_next(self, method: str, retry_after: int = 1, count: int = 1) -> None:
        """The next ``count`` calls to ``method`` answer HTTP 429 with ``Retry-After``."""
        self._rate_limits.setdefault(method, deque()).extend([retry_after] * count)

    def enforce_rate(
        self, method: str, per_second: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Answer 429 when ``method`` is called more than ``per_second`` times in one second
        (seconds of ``clock``: a test's simulated time; calling again changes the limit)."""
        self._enforced[method] = per_second
        self._enforce_clock = clock

    def on(self, method: str, handler: Handler) -> None:
        """Serve ``method`` with ``handler(args, team) -> response`` (auth is checked first)."""
        self._handlers[method] = handler

    # -- inspection ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:  # noqa: ASYNC109
        """Wait until at least ``count`` calls to ``method`` were recorded; return them all."""
        await self._wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"expected {count} call(s) to {method}; calls seen: {self._describe_calls()}",
        )
        return self.calls_to(method)

    def _describe_calls(self) -> str:
        lines = [f"  {c.method} {c.args} -> {c.status} {c.response}" for c in self.calls]
        return "\n" + "\n".join(lines) if lines else "none"

    async def _wait_until(
        self, predicate: Callable[[], bool], seconds: float, describe: Callable[[], str]
    ) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {seconds}s: {describe()}")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- Socket Mode -----------------------------------------------------------------------

    @property
    def socket_connections(self) -> int:
        return sum(1 for ws in self._sockets if not ws.closed)

    async def wait_for_socket(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a Socket Mode client is connected (and has been sent ``hello``)."""
        await self._wait_until(
            lambda: self.socket_connections > 0, timeout, lambda: "no Socket Mode client connected"
        )

    async def socket_send(self, envelope: JsonDict, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Push an envelope to the newest connection; fills Slack's defaults, returns its id.

        ``envelope`` needs ``type`` (events_api, slash_commands or interactive) and ``payload``.
        """
        await self.wait_for_socket(timeout)
        message = dict(envelope)
        message.setdefault("envelope_id", str(uuid.uuid4()))
        payload_type = (message.get("payload") or {}).get("type")
        message.setdefault(
            "accepts_response_payload",
            message.get("type") == "slash_commands"
            or payload_type in {"view_submission", "block_suggestion"},
        )
        if message.get("type") == "events_api":
            message.setdefault("retry_attempt", 0)
            message.setdefault("retry_reason", "")
        ws = [ws for ws in self._sockets if not ws.closed][-1]
        await ws.send_str(json.dumps(message))
        return str(message["envelope_id"])

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> JsonDict:  # noqa: ASYNC109
        """Wait for the client's ack of ``envelope_id``; returns the ack frame."""

        def find() -> JsonDict | None:
            return next((a for a in self.socket_acks if a.get("envelope_id") == envelope_id), None)

        await self._wait_until(
            lambda: find() is not None,
            timeout,
            lambda: f"no ack for {envelope_id}; acks seen: {self.socket_acks}",
        )
        ack = find()
        assert ack is not None
        return ack

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message; slack_sdk then reconnects to a new URL."""
        for ws in [ws for ws in self._sockets if not ws.closed]:
            await ws.send_str(
                json.dumps(
                    {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
                )
            )

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": self.socket_connections,
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        self._notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(msg.data)
                except json.JSONDecodeError:
                    continue
                self.socket_received.append(frame)
                if isinstance(frame, dict) and "envelope_id" in frame:
                    self.socket_acks.append(frame)
                self._notify()
        finally:
            self._sockets.remove(ws)
            self._notify()
        return ws

    # -- Web API ---------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.transport is not None:
            self.api_connections.add(request.transport.get_extra_info("peername"))
        args: JsonDict = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        args[key] = value.file.read()
                    else:
                        args[key] = value if isinstance(value, str) else bytes(value)
        for key in JSON_FIELDS:
            if isinstance(args.get(key), str):
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(args[key])
        token = args.pop("token", None)
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            token = authorization.removeprefix("Bearer ").strip() or token
        elif authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
                client_id, _, client_secret = decoded.partition(":")
                args.setdefault("client_id", client_id)
                args.setdefault("client_secret", client_secret)
            except (binascii.Error, UnicodeDecodeError):
                pass

        garbled = await self._inbound_fault(method)  # inbound fault modes (slackin)
        if garbled is not None:
            status, content_type, raw = garbled
            self.calls.append(
                Call(method, args, token, request.method, request.content_type, status)
            )
            self._notify()
            return web.Response(status=status, text=raw, content_type=content_type)
        faulted = await self._outbound_fault(request, method, args, token)  # delivery faults
        if faulted is not None:
            return faulted
        status, body, headers = self._dispatch(method, args, token)
        self.calls.append(
            Call(
                method,
                args,
                token,
                request.method,
                request.content_type,
                status,
                copy.deepcopy(body),
            )
        )
        self._notify()
        return web.json_response(body, status=status, headers=headers)

    def _dispatch(
        self, method: str, args: JsonDict, token: str | None
    ) -> tuple[int, JsonDict, dict[str, str]]:
        limited = self._rate_limits.get(method)
        if limited:
            return self._too_many(limited.popleft())
        failures = self._failures.get(method)
        if failures:
            return 200, {"ok": False, "error": failures.popleft()}, {}
        if method in self._enforced:
            now = self._enforce_clock()
            recent = self._recent.setdefault(method, deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= self._enforced[method]:
                self.rate_violations += 1
                return self._too_many(max(1, math.ceil(1.0 - (now - recent[0]))))
            recent.append(now)

        handler = self._handlers.get(method)
        builtin = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None and builtin is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        team: Team | None = None
        if method not in NO_AUTH_METHODS:
            if token in self._revoked:
                return 200, {"ok": False, "error": "token_revoked"}, {}
            team = self._tokens.get(token or "")
            if team is None:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
        if handler is not None:
            return 200, handler(args, team), {}
        assert builtin is not None
        return 200, builtin(args, team, token), {}

    @staticmethod
    def _too_many(retry_after: int) -> tuple[int, JsonDict, dict[str, str]]:
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}

    def _next_ts(self) -> str:
        micros = next(self._ts) * 100
        return f"{1700000000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    @staticmethod
    def _error(error: str, *messages: str) -> JsonDict:
        body: JsonDict = {"ok": False, "error": error}
        if messages:
            body["response_metadata"] = {"messages": list(messages)}
        return body

    # Built-in methods: _m_<method with dots as underscores>(args, team, token) -> response.

    def _m_auth_test(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        return {
            "ok": True,
            "url": f"https://{team.domain}.slack.com/",
            "team": team.team_name,
            "user": team.bot_name,
            "team_id": team.team_id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    def _bot_message(self, team: Team, ts: str, args: JsonDict) -> JsonDict:
        text = str(args.get("text") or "")
        blocks = args.get("blocks") or [
            {
                "type": "rich_text",
                "block_id": "fake",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ]
        message: JsonDict = {
            "user": team.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": team.bot_id,
            "app_id": self.app_id,
            "text": text,
            "team": team.team_id,
            "bot_profile": {
                "id": team.bot_id,
                "app_id": self.app_id,
                "name": team.bot_name,
                "deleted": False,
                "team_id": team.team_id,
            },
            "blocks": blocks,
        }
        if args.get("attachments"):
            message["attachments"] = args["attachments"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
            message["parent_user_id"] = team.bot_user_id
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        return message

    @staticmethod
    def _channel(value: Any) -> str:
        channel = str(value or "")
        return _dm_channel(channel) if _is_user_id(channel) else channel

    def _m_chat_postMessage(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        channel = self._channel(args.get("channel"))
        if not channel:
            return self._error("channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return self._error("no_text")
        ts = self._next_ts()
        message = self._bot_message(team, ts, args)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        channel = self._channel(args.get("channel"))
        ts = str(args.get("ts") or "")
        if not channel:
            return self._error("channel_not_found")
        message = self.messages.get((channel, ts))
        if message is None:
            return self._error("message_not_found")
        if message.get("bot_id") != team.bot_id:
            return self._error("cant_update_message")
        if "text" in args:
            message["text"] = str(args["text"] or "")
        if "blocks" in args:
            message["blocks"] = args["blocks"] or []
        message["edited"] = {"user": team.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": {k: v for k, v in message.items() if k not in {"ts", "edited"}},
        }

    def _m_chat_postEphemeral(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        channel = self._channel(args.get("channel"))
        if not channel:
            return self._error("channel_not_found")
        if not args.get("user"):
            return self._error("user_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return self._error("no_text")
        ts = self._next_ts()
        self.ephemerals.append({"channel": channel, "user": args["user"], "message_ts": ts, **args})
        return {"ok": True, "message_ts": ts}

    def _view_response(self, team: Team, view_id: str, view: JsonDict) -> JsonDict:
        return {
            "id": view_id,
            "team_id": team.team_id,
            "type": view.get("type"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": team.team_id,
            "bot_id": team.bot_id,
        }

    def _m_views_open(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            return self._error("invalid_arguments", "[ERROR] missing required field: trigger_id")
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "modal":
            return self._error("invalid_arguments", "[ERROR] must provide a modal view")
        view_id = self._next_id("V")
        response = self._view_response(team, view_id, view)
        self.views[view_id] = response
        return {"ok": True, "view": response}

    def _m_views_publish(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        user_id = str(args.get("user_id") or "")
        if not user_id:
            return self._error("invalid_arguments", "[ERROR] missing required field: user_id")
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            return self._error("invalid_arguments", "[ERROR] must provide a home view")
        if len(view.get("blocks") or []) > 100:
            return self._error(
                "invalid_arguments",
                "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]",
            )
        previous = self.home_views.get(user_id)
        view_id = previous["id"] if previous else self._next_id("V")
        response = self._view_response(team, view_id, view)
        self.home_views[user_id] = response
        return {"ok": True, "view": response}

    def _m_users_info(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        user = self.users.get((team.team_id, str(args.get("user") or "")))
        if user is None:
            return self._error("user_not_found")
        shown = dict(user)
        if not _truthy(args.get("include_locale")):
            shown.pop("locale", None)
        return {"ok": True, "user": shown}

    def _m_conversations_open(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": str(args["channel"])}}
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            return self._error("users_list_not_supplied")
        if len(users) > 8:  # "Provide 1 to 8 user IDs"
            return self._error("too_many_users")
        if len(users) == 1:
            channel_id = _dm_channel(users[0])
        else:
            channel_id = "G" + uuid.uuid5(uuid.NAMESPACE_OID, ",".join(sorted(users))).hex[:8]
            channel_id = channel_id.upper()
            self.group_dms.setdefault(channel_id, users)
        if channel_id in self._opened_dms:
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}
        self._opened_dms.add(channel_id)
        return {"ok": True, "channel": {"id": channel_id}}

    # -- conversations.info (who may declare a community) ---------------------------------
    # As Slack documents it: the channel object with ``is_member`` (is the calling bot in it)
    # and ``creator``; ``channel_not_found`` for an unknown channel, and for a private channel
    # the bot is not in (it cannot see it at all). ``fail_next`` injects other refusals.

    def add_channel(
        self,
        team_id: str,
        channel_id: str,
        name: str,
        creator: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
    ) -> JsonDict:
        """A channel ``conversations.info`` knows; ``members`` may include the bot's user id."""
        channel: JsonDict = {
            "id": channel_id,
            "name": name,
            "name_normalized": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": 1700000000,
            "creator": creator,
            "context_team_id": team_id,
            "shared_team_ids": [team_id],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
            "members": list(members),
        }
        self.channels[(team_id, channel_id)] = channel
        return channel

    def _m_conversations_info(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        channel_id = str(args.get("channel") or "")
        if not channel_id:
            return self._error("channel_not_found")
        channel = self.channels.get((team.team_id, channel_id))
        if channel is None:
            return self._error("channel_not_found")
        is_member = team.bot_user_id in channel["members"]
        if channel["is_private"] and not is_member:
            return self._error("channel_not_found")
        shown = {k: v for k, v in channel.items() if k != "members"}
        return {"ok": True, "channel": {**shown, "is_member": is_member}}

    # -- conversations.members, users.list (a channel's roster) -----------------------------
    # Paged as Slack pages them: ``limit`` items, then ``response_metadata.next_cursor`` (an
    # opaque string; "" on the last page). conversations.members lists bare user ids (bots
    # included) of a channel ``add_channel`` made; users.list every user ``add_user`` made.

    @staticmethod
    def _page(items: list[Any], args: JsonDict) -> tuple[list[Any], str]:
        try:
            limit = max(1, min(1000, int(args.get("limit") or 100)))
            start = int(base64.b64decode(str(args.get("cursor") or "")).decode() or 0)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return [], "invalid"
        page = items[start : start + limit]
        more = start + limit < len(items)
        return page, base64.b64encode(str(start + limit).encode()).decode() if more else ""

    def _m_conversations_members(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        channel = self.channels.get((team.team_id, str(args.get("channel") or "")))
        if channel is None:
            return self._error("channel_not_found")
        if channel["is_private"] and team.bot_user_id not in channel["members"]:
            return self._error("channel_not_found")
        page, cursor = self._page(list(channel["members"]), args)
        if cursor == "invalid":
            return self._error("invalid_cursor")
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _m_users_list(self, args: JsonDict, team: Team, token: str | None) -> JsonDict:
        users = [dict(u) for (t, _), u in self.users.items() if t == team.team_id]
        if not _truthy(args.get("include_locale")):
            for user in users:
                user.pop("locale", None)
        page, cursor = self._page(users, args)
        if cursor == "invalid":
            return self._error("invalid_cursor")
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    # -- end of conversations.info ----------------------------------------------------------

    def _m_apps_connections_open(self, args: JsonDict, team: None, token: str | None) -> JsonDict:
        if token in self._revoked:
            return self._error("token_revoked")
        if not token or (not token.startswith("xapp-") and token not in self._tokens):
            return self._error("invalid_auth")
        if not token.startswith("xapp-"):
            return self._error("not_allowed_token_type")
        return {"ok": True, "url": self.socket_url}

    def _m_oauth_v2_access(self, args: JsonDict, team: None, token: str | None) -> JsonDict:
        if self._oauth_client is not None:
            client_id, client_secret, redirect_uri = self._oauth_client
            if args.get("client_id") != client_id:
                return self._error("invalid_client_id")
            if args.get("client_secret") != client_secret:
                return self._error("bad_client_secret")
            if redirect_uri is not None and args.get("redirect_uri") not in (None, redirect_uri):
                return self._error("bad_redirect_uri")
        grant = self._oauth_codes.pop(str(args.get("code") or ""), None)
        if grant is None:
            return self._error("invalid_code")
        self.add_team(
            grant.team_id, grant.bot_token, grant.bot_user_id, grant.bot_id, grant.team_name
        )
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": grant.installer_user_id},
            "scope": grant.scopes,
            "token_type": "bot",
            "access_token": grant.bot_token,
            "bot_user_id": grant.bot_user_id,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # == Outbound faults (delivery tests) ===================================================
    # Hangs, and answers a proxy or an overloaded Slack gives that are not Slack's JSON:
    # 429 with a text/plain body and Retry-After, 5xx HTML pages. Self-contained: state lives in
    # ``_faults`` (created on first use); the only hook is one call in ``_handle_api``.

    @property
    def _faults(self) -> OutboundFaults:
        faults = self.__dict__.get("_outbound_faults")
        if faults is None:
            faults = self.__dict__["_outbound_faults"] = OutboundFaults()
        return faults

    def hang_next(
        self, method: str, seconds: float, *, channel: str | None = None, count: int = 1
    ) -> None:
        """The next ``count`` calls to ``method`` (to ``channel`` only, if given: a user id
        means their DM) wait ``seconds`` — or until :meth:`release_hangs` — before Slack
        handles them as usual (so a call given up by its client may still take effect)."""
        self._faults.queue.extend([_Fault(method, channel=channel, hang=seconds)] * count)

    def release_hangs(self) -> None:
        """End the hangs under way now (they are then answered as usual)."""
        self._faults.release.set()
        self._faults.release = asyncio.Event()

    @property
    def hanging(self) -> int:
        """Calls hanging right now."""
        return self._faults.hanging

    @property
    def hangs_started(self) -> int:
        return self._faults.hangs_started

    def rate_limit_plain_next(
        self, method: str, retry_after: int = 1, count: int = 1, *, channel: str | None = None
    ) -> None:
        """The next ``count`` calls answer 429 ``text/plain`` "Too Many Requests" with
        ``Retry-After`` (a proxy's or a load balancer's rate limit, not Slack's JSON)."""
        fault = _Fault(
            method,
            channel=channel,
            status=429,
            body="Too Many Requests",
            content_type="text/plain",
            headers={"Retry-After": str(retry_after)},
        )
        self._faults.queue.extend([fault] * count)

    def fail_http_next(
        self,
        method: str,
        status: int = 503,
        count: int = 1,
        *,
        body: str = "<html><body><h1>503 Service Unavailable</h1></body></html>",
        content_type: str = "text/html",
        channel: str | None = None,
    ) -> None:
        """The next ``count`` calls answer ``status`` with a non-JSON ``body`` (an HTML error
        page by default; ``application/json`` with a broken body works too)."""
        fault = _Fault(method, channel=channel, status=status, body=body, content_type=content_type)
        self._faults.queue.extend([fault] * count)

    async def _outbound_fault(
        self, request: web.Request, method: str, args: JsonDict, token: str | None
    ) -> web.Response | None:
        faults = self._faults
        wanted = self._channel(args.get("channel")) if "channel" in args else None
        for index, fault in enumerate(faults.queue):
            if fault.method == method and fault.channel in (None, wanted, args.get("channel")):
                del faults.queue[index]
                break
        else:
            return None
        if fault.hang:
            faults.hanging += 1
            faults.hangs_started += 1
            self._notify()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(faults.release.wait(), fault.hang)
            finally:
                faults.hanging -= 1
            return None  # then handled as usual
        self.calls.append(
            Call(
                method,
                args,
                token,
                request.method,
                request.content_type,
                fault.status,
                {"ok": False, "raw": fault.body},
            )
        )
        self._notify()
        return web.Response(
            status=fault.status,
            body=fault.body.encode(),
            headers={"Content-Type": fault.content_type, **fault.headers},
        )


@dataclass(frozen=True)
class _Fault:
    method: str
    channel: str | None = None
    hang: float = 0.0
    status: int = 200
    body: str = ""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class OutboundFaults:
    queue: list[_Fault] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hanging: int = 0
    hangs_started: int = 0
