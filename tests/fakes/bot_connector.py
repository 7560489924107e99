"""A fake Bot Framework Connector service (Teams flavour) that the real botbuilder stack talks to.

Give inbound activities ``serviceUrl = connector.url`` and the bot's replies land here::

    async with FakeBotConnector() as connector:
        connector.set_roster("19:team@thread.tacv2", roster(60))
        activity = {..., "serviceUrl": connector.url}
        ...  # POST it to the bot (CloudAdapter, anonymous: APP_ID = "")
        sent = await connector.wait_for("send", count=1)
        assert connector.sent_activities("a:1abc")[0]["text"] == "hello"

It serves the Bot Connector REST v3 routes botbuilder 4.17 calls (paths are those of
``botframework/connector/aio/operations_async/_conversations_operations_async.py`` and
``botframework/connector/teams/operations/teams_operations.py``). Route names, as used by
``fail_next``, ``calls_to`` and ``wait_for``:

    create_conversation   POST   /v3/conversations
    send_to_conversation  POST   /v3/conversations/{conversationId}/activities
    reply_to_activity     POST   /v3/conversations/{conversationId}/activities/{activityId}
    update_activity       PUT    /v3/conversations/{conversationId}/activities/{activityId}
    delete_activity       DELETE /v3/conversations/{conversationId}/activities/{activityId}
    get_members           GET    /v3/conversations/{conversationId}/members
    get_paged_members     GET    /v3/conversations/{conversationId}/pagedmembers
    get_member            GET    /v3/conversations/{conversationId}/members/{memberId}
    get_team_channels     GET    /v3/teams/{teamId}/conversations
    get_team_details      GET    /v3/teams/{teamId}
    unknown               anything else (answered 404, still recorded)

and the groups ``send`` (send_to_conversation + reply_to_activity), ``write`` (send, update,
delete) and ``*`` (every route).

Errors are Bot Connector ``ErrorResponse`` bodies, ``{"error": {"code", "message"}}``, which
botbuilder raises as ``botframework.connector.models.ErrorResponseException`` (the status is on
``exc.response.status_code``, the code on ``exc.error.error.code``); the paged-members route
raises ``msrest.exceptions.HttpOperationError`` instead (that is how botbuilder calls it).

The server runs on its own thread and event loop, not on the test's loop: botbuilder does some
of its HTTP synchronously on the caller's loop (``TeamsInfo.get_team_details`` and
``get_team_channels`` use the blocking ``TeamsConnectorClient``), which would deadlock against
a server sharing that loop. Everything else goes through ``requests`` in a worker thread.

Beware the client's own retries: the async ConnectorClient sends with ``requests`` and msrest's
urllib3 ``Retry`` policy (3 retries, backoff 0.8 s) for 408/500/502/503/504 on GET, PUT and
DELETE (not POST). A single scripted 502 on ``update_activity`` is retried transparently after
a short pause and the caller never sees it; on ``send_to_conversation`` it surfaces. 429 and 412
are never retried by the client.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from tests.fakes.lifecycle import Served

JsonDict = dict[str, Any]
Response = tuple[int, Any, dict[str, str]]

ROUTES = frozenset(
    {
        "create_conversation",
        "send_to_conversation",
        "reply_to_activity",
        "update_activity",
        "delete_activity",
        "get_members",
        "get_paged_members",
        "get_member",
        "get_team_channels",
        "get_team_details",
        "unknown",
    }
)
SEND_ROUTES = frozenset({"send_to_conversation", "reply_to_activity"})
WRITE_ROUTES = SEND_ROUTES | {"update_activity", "delete_activity"}
ROUTE_GROUPS: dict[str, frozenset[str]] = {"send": SEND_ROUTES, "write": WRITE_ROUTES, "*": ROUTES}

DEFAULT_CODES = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "Throttled",
    500: "InternalServerError",
    502: "ServiceError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
DEFAULT_PAGE_SIZE = 100
FIRST_ACTIVITY_ID = 1_700_000_000_000


def route_matches(selector: str, route: str) -> bool:
    """Whether a route name or group (``send``, ``write``, ``*``) selects ``route``."""
    return selector == route or route in ROUTE_GROUPS.get(selector, frozenset())


def _check_selector(selector: str) -> None:
    if selector not in ROUTES and selector not in ROUTE_GROUPS:
        known = ", ".join(sorted(ROUTES | ROUTE_GROUPS.keys()))
        raise ValueError(f"unknown route {selector!r}; known: {known}")


def base_conversation_id(conversation_id: str) -> str:
    """``19:c@thread.tacv2;messageid=17`` (a channel thread) -> ``19:c@thread.tacv2``."""
    return conversation_id.split(";", 1)[0]


def teams_member(
    index: int, *, tenant_id: str = "tid-0001", name: str | None = None, role: str = "user"
) -> JsonDict:
    """A realistic ``TeamsChannelAccount`` as the roster routes return it."""
    aad = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{tenant_id}/{index}"))
    display = name or f"Member {index:03d}"
    given, _, surname = display.partition(" ")
    login = display.lower().replace(" ", ".")
    return {
        "id": f"29:1{aad.replace('-', '')[:20]}{index:04d}",
        "name": display,
        "aadObjectId": aad,
        "givenName": given,
        "surname": surname,
        "email": f"{login}@contoso.example",
        "userPrincipalName": f"{login}@contoso.example",
        "tenantId": tenant_id,
        "userRole": role,
    }


def roster(count: int, *, tenant_id: str = "tid-0001", start: int = 1) -> list[JsonDict]:
    """``count`` distinct members (see ``teams_member``)."""
    return [teams_member(i, tenant_id=tenant_id) for i in range(start, start + count)]


@dataclass(frozen=True)
class ConnectorCall:
    """One request as the fake received it, with the answer it gave."""

    method: str
    path: str
    body: JsonDict | None
    headers: Mapping[str, str]
    route: str = "unknown"
    params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    response: Any = None
    at: float = 0.0

    @property
    def conversation_id(self) -> str | None:
        return self.params.get("conversation_id")

    @property
    def activity_id(self) -> str | None:
        return self.params.get("activity_id")

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str | None:
        if self.ok or not isinstance(self.response, dict):
            return None
        error = self.response.get("error")
        return str(error.get("code")) if isinstance(error, dict) else None


@dataclass(frozen=True)
class _Failure:
    selector: str
    status: int
    code: str
    message: str
    retry_after: float | None


class LoopbackServer:
    """Serve an aiohttp application on 127.0.0.1 from a dedicated thread and event loop.

    Needed whenever the code under test makes *blocking* HTTP calls from the event loop the
    test runs on (``requests`` in botframework's OpenID metadata refresh and in the sync
    ``TeamsConnectorClient``): a server sharing that loop could never answer them.
    """

    def __init__(self, app_factory: Callable[[], web.Application], host: str = "127.0.0.1"):
        self._app_factory = app_factory
        self.host = host
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread and wait until the port is bound (blocking)."""
        self._thread = threading.Thread(target=self._run, name="loopback-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("loopback server did not start")
        if self._error is not None:
            raise RuntimeError("loopback server failed to start") from self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, close the server's connections and join the thread (blocking)."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
        self._thread = None
        self._loop = None

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner: web.AppRunner | None = None
        try:
            runner = web.AppRunner(self._app_factory(), handle_signals=False, shutdown_timeout=1.0)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, 0)
            loop.run_until_complete(site.start())
            self.port = runner.addresses[0][1]
            self._loop = loop
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


class FakeBotConnector(Served):
    """The Bot Connector service a Teams bot replies to (serviceUrl ``connector.url``)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        tenant_id: str = "tid-0001",
        require_auth: bool = False,
    ) -> None:
        """``require_auth``: answer 401 to calls without ``Authorization: Bearer ...`` (as the
        real service does); off by default since anonymous bots send no token."""
        self.tenant_id = tenant_id
        self.require_auth = require_auth
        self.calls: list[ConnectorCall] = []
        self.rate_violations = 0
        self._lock = threading.RLock()
        self._server = LoopbackServer(self._make_app, host)
        self._ids = itertools.count(FIRST_ACTIVITY_ID)
        self._sent: list[JsonDict] = []
        self._updated: list[JsonDict] = []
        self._deleted: list[tuple[str, str]] = []
        self._messages: dict[tuple[str, str], JsonDict] = {}
        self._created: list[JsonDict] = []
        self._rosters: dict[str, list[JsonDict]] = {}
        self._conversation_members: dict[str, list[JsonDict]] = {}
        self._channels: dict[str, list[JsonDict]] = {}
        self._channel_team: dict[str, str] = {}
        self._teams: dict[str, JsonDict] = {}
        self._blocked: set[str] = set()
        self._personal: dict[str, str] = {}
        self._failures: list[_Failure] = []
        self._rate: float | None = None
        self._recent: dict[str, deque[float]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind a free port on its own thread and start serving."""
        await self._server.astart()

    async def close(self) -> None:
        """Stop the server and its thread (idempotent)."""
        await self._server.astop()

    @property
    def url(self) -> str:
        """The ``serviceUrl`` (with the trailing slash Teams uses)."""
        if self._server.port is None:
            raise RuntimeError("FakeBotConnector is not started")
        return f"http://{self._server.host}:{self._server.port}/"

    # -- configuration ---------------------------------------------------------------------

    def set_roster(
        self, conversation_or_team_id: str, members: Iterable[Mapping[str, Any]]
    ) -> None:
        """Members of a team (``19:...``, also used for its channels) or any conversation."""
        listed = [dict(m) for m in members]
        if any("id" not in m for m in listed):
            raise ValueError("every member needs an 'id'")
        with self._lock:
            self._rosters[conversation_or_team_id] = listed

    def set_channels(self, team_id: str, channels: Iterable[Mapping[str, Any] | str]) -> None:
        """The team's channels, ``{"id": "19:...@thread.tacv2", "name": ...}`` (or bare ids).

        Real Teams lists the General channel with the team's id and no name."""
        listed = [{"id": c} if isinstance(c, str) else dict(c) for c in channels]
        with self._lock:
            self._channels[team_id] = listed
            for channel in listed:
                self._channel_team[str(channel["id"])] = team_id
            self._teams.setdefault(team_id, {"id": team_id, "name": None, "aadGroupId": None})

    def set_team(self, team_id: str, name: str, aad_group_id: str | None = None) -> None:
        """What ``GET /v3/teams/{teamId}`` answers."""
        group = aad_group_id or str(uuid.uuid5(uuid.NAMESPACE_URL, team_id))
        with self._lock:
            self._teams[team_id] = {"id": team_id, "name": name, "aadGroupId": group}

    def block(self, user_id: str, conversation_id: str | None = None) -> None:
        """The user blocked (or uninstalled) the bot: creating a 1:1 with them, and writing to
        their 1:1 (created here, or ``conversation_id``), answers 403 ConversationBlockedByUser."""
        with self._lock:
            self._blocked.add(user_id)
            if conversation_id is not None:
                self._personal[conversation_id] = user_id

    @staticmethod
    def personal_chat(tenant: str, user_id: str) -> str:
        """The id of the user's 1:1 chat with the bot: one per user and bot, as on Teams —
        the chat the user writes from is the one the bot opens with them."""
        return "a:1" + uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}|{user_id}").hex

    def unblock(self, user_id: str) -> None:
        with self._lock:
            self._blocked.discard(user_id)

    def fail_next(
        self,
        route: str,
        status: int,
        code: str = "",
        retry_after: float | None = None,
        count: int = 1,
        message: str = "",
    ) -> None:
        """The next ``count`` calls to ``route`` (a name or group) answer ``status`` with an
        ErrorResponse body (``code`` defaults per status: 429 Throttled, 412 PreconditionFailed,
        502 ServiceError, 504 GatewayTimeout, 403 Forbidden...) and ``Retry-After`` if given."""
        _check_selector(route)
        failure = _Failure(
            route,
            status,
            code or DEFAULT_CODES.get(status, "ServiceError"),
            message or f"Scripted failure ({status}) from FakeBotConnector.",
            retry_after,
        )
        with self._lock:
            self._failures.extend([failure] * count)

    def enforce_rate(self, per_conversation_per_second: float | None = 7) -> None:
        """Answer 429 (``Retry-After: 1``) to a write (send, reply, update, delete) when the
        conversation already had that many accepted writes in the last second; ``None`` turns
        it off. Each refusal adds one to ``rate_violations``."""
        with self._lock:
            self._rate = per_conversation_per_second
            self._recent.clear()

    # -- inspection ------------------------------------------------------------------------

    def calls_to(self, route: str) -> list[ConnectorCall]:
        """Calls to a route name or group (whatever they were answered)."""
        _check_selector(route)
        with self._lock:
            return [c for c in self.calls if route_matches(route, c.route)]

    def sent_activities(self, conversation_id: str | None = None) -> list[JsonDict]:
        """Activities accepted by send, reply and create-with-activity, oldest first: the body
        as posted plus the ``id`` the fake gave and ``conversation.id`` set to the conversation
        posted to. ``conversation_id`` also matches the threads of a channel."""
        with self._lock:
            return [
                copy.deepcopy(a)
                for a in self._sent
                if conversation_id is None or self._in(a["conversation"]["id"], conversation_id)
            ]

    def updated_activities(self, conversation_id: str | None = None) -> list[JsonDict]:
        """Bodies of accepted updates (``id`` = the activity updated), oldest first."""
        with self._lock:
            return [
                copy.deepcopy(a)
                for a in self._updated
                if conversation_id is None or self._in(a["conversation"]["id"], conversation_id)
            ]

    @property
    def deleted_activities(self) -> list[tuple[str, str]]:
        """``(conversation_id, activity_id)`` of accepted deletions."""
        with self._lock:
            return list(self._deleted)

    def message(self, conversation_id: str, activity_id: str) -> JsonDict | None:
        """The current state of a message the fake accepted (after updates; None if deleted)."""
        with self._lock:
            found = self._messages.get((conversation_id, activity_id))
            return copy.deepcopy(found) if found is not None else None

    @property
    def created_conversations(self) -> list[JsonDict]:
        """Accepted ConversationParameters bodies, plus the ``id`` and ``activityId`` given."""
        with self._lock:
            return copy.deepcopy(self._created)

    async def wait_for(
        self,
        predicate_or_route: str | Callable[[ConnectorCall], bool],
        count: int = 1,
        timeout: float = 15.0,  # noqa: ASYNC109  (spent only when the call never comes)
    ) -> list[ConnectorCall]:
        """Wait until at least ``count`` recorded calls match a route name or group, or a
        predicate on ``ConnectorCall``; return all matching calls."""
        if isinstance(predicate_or_route, str):
            selector = predicate_or_route
            _check_selector(selector)

            def match(call: ConnectorCall) -> bool:
                return route_matches(selector, call.route)

            what = selector
        else:
            match = predicate_or_route
            what = getattr(predicate_or_route, "__name__", "predicate")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                found = [c for c in self.calls if match(c)]
            if len(found) >= count:
                return found
            if loop.time() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} call(s) to {what}; "
                    f"calls seen: {self._describe_calls()}"
                )
            await asyncio.sleep(0.005)

    def _describe_calls(self) -> str:
        with self._lock:
            lines = [f"  {c.method} {c.path} [{c.route}] -> {c.status}" for c in self.calls]
        return "\n" + "\n".join(lines) if lines else "none"

    def _in(self, posted_to: str, wanted: str) -> bool:
        return posted_to == wanted or base_conversation_id(posted_to) == wanted

    # -- HTTP ------------------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application()
        add = app.router.add_route
        add("POST", "/v3/conversations", self._serve("create_conversation"))
        add("POST", "/v3/conversations/{conversation_id}/activities", self._serve("send"))
        add("*", "/v3/conversations/{conversation_id}/activities/{activity_id}", self._serve("act"))
        add("GET", "/v3/conversations/{conversation_id}/members", self._serve("get_members"))
        add("GET", "/v3/conversations/{conversation_id}/pagedmembers", self._serve("paged"))
        add("GET", "/v3/conversations/{conversation_id}/members/{member_id}", self._serve("member"))
        add("GET", "/v3/teams/{team_id}/conversations", self._serve("get_team_channels"))
        add("GET", "/v3/teams/{team_id}", self._serve("get_team_details"))
        add("*", "/{tail:.*}", self._serve("unknown"))
        return app

    def _serve(self, kind: str) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(kind, request)

        return handler

    @staticmethod
    def _route_name(kind: str, method: str) -> str:
        if kind == "act":
            return {
                "POST": "reply_to_activity",
                "PUT": "update_activity",
                "DELETE": "delete_activity",
            }.get(method, "unknown")
        return {
            "send": "send_to_conversation",
            "paged": "get_paged_members",
            "member": "get_member",
        }.get(kind, kind)

    async def _handle(self, kind: str, request: web.Request) -> web.StreamResponse:
        route = self._route_name(kind, request.method)
        params = {k: v for k, v in request.match_info.items() if k != "tail"}
        raw = await request.read() if request.can_read_body else b""
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                bad_json = True
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        faulted = await self._outbound_fault(request, route, params, body, headers)  # delivery
        if faulted is not None:
            return faulted
        with self._lock:
            if bad_json:
                status, payload, extra = self._error(400, "BadSyntax", "Invalid JSON body")
            else:
                status, payload, extra = self._dispatch(
                    route, request.method, params, dict(request.query), body, headers
                )
            self.calls.append(
                ConnectorCall(
                    request.method,
                    request.path,
                    body if isinstance(body, dict) else None,
                    headers,
                    route,
                    params,
                    dict(request.query),
                    status,
                    copy.deepcopy(payload),
                    time.monotonic(),
                )
            )
        if payload is None:
            return web.Response(status=status, headers=extra)
        return web.json_response(payload, status=status, headers=extra)

    @staticmethod
    def _error(status: int, code: str, message: str, **headers: str) -> Response:
        return status, {"error": {"code": code, "message": message}}, dict(headers)

    def _dispatch(
        self,
        route: str,
        method: str,
        params: dict[str, str],
        query: dict[str, str],
        body: Any,
        headers: Mapping[str, str],
    ) -> Response:
        if self.require_auth and not headers.get("Authorization", "").startswith("Bearer "):
            return 401, {"message": "Authorization has been denied for this request."}, {}
        for index, failure in enumerate(self._failures):
            if route_matches(failure.selector, route):
                del self._failures[index]
                extra = {}
                if failure.retry_after is not None:
                    extra["Retry-After"] = f"{failure.retry_after:g}"
                return self._error(failure.status, failure.code, failure.message, **extra)
        if route == "unknown":
            return self._error(404, "NotFound", f"No route for {method}")
        conversation_id = params.get("conversation_id", "")
        if route in WRITE_ROUTES:
            blocked = self._blocked_user(conversation_id)
            if blocked is not None:
                return self._blocked_error()
            if self._rate is not None:
                now = time.monotonic()
                recent = self._recent.setdefault(conversation_id, deque())
                while recent and now - recent[0] >= 1.0:
                    recent.popleft()
                if len(recent) >= self._rate:
                    self.rate_violations += 1
                    return self._error(
                        429,
                        "Throttled",
                        "Too many requests to this conversation.",
                        **{"Retry-After": "1"},
                    )
                recent.append(now)
        handler: Callable[..., Response] = getattr(self, "_r_" + route)
        return handler(params, query, body)

    def _blocked_user(self, conversation_id: str) -> str | None:
        user = self._personal.get(conversation_id)
        return user if user is not None and user in self._blocked else None

    def _blocked_error(self) -> Response:
        return self._error(
            403, "ConversationBlockedByUser", "User blocked the conversation with the bot."
        )

    def _next_id(self) -> str:
        return str(next(self._ids))

    # -- routes: conversations -------------------------------------------------------------

    def _r_create_conversation(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        if not isinstance(body, dict):
            return self._error(400, "BadSyntax", "Incorrect conversation creation parameters")
        channel_data = body.get("channelData") or {}
        channel = channel_data.get("channel") or {}
        tenant = (
            body.get("tenantId")
            or body.get("tenantID")
            or (channel_data.get("tenant") or {}).get("id")
        )
        members = [m for m in body.get("members") or [] if isinstance(m, dict)]
        activity = body.get("activity") if isinstance(body.get("activity"), dict) else None
        if channel.get("id"):
            activity_id = self._next_id()
            conversation_id = f"{channel['id']};messageid={activity_id}"
        else:
            if len(members) != 1 or body.get("isGroup") or not members[0].get("id"):
                return self._error(400, "BadSyntax", "Incorrect conversation creation parameters")
            if not tenant:
                return self._error(400, "BadSyntax", "Could not parse tenant id")
            user_id = str(members[0]["id"])
            if user_id in self._blocked:
                return self._blocked_error()
            conversation_id = self.personal_chat(str(tenant), user_id)
            self._personal[conversation_id] = user_id
            self._conversation_members[conversation_id] = [self._known_member(members[0])]
            activity_id = self._next_id() if activity is not None else None
        if activity is not None and activity_id is not None:
            self._store(conversation_id, activity_id, activity, None)
        self._created.append(
            {**copy.deepcopy(body), "id": conversation_id, "activityId": activity_id}
        )
        response: JsonDict = {"id": conversation_id, "serviceUrl": self.url}
        if activity_id is not None:
            response["activityId"] = activity_id
        return 201, response, {}

    def _store(
        self, conversation_id: str, activity_id: str, body: JsonDict, reply_to: str | None
    ) -> JsonDict:
        activity = copy.deepcopy(body)
        activity["id"] = activity_id
        activity["conversation"] = {**(activity.get("conversation") or {}), "id": conversation_id}
        if reply_to is not None:
            activity.setdefault("replyToId", reply_to)
        self._sent.append(activity)
        self._messages[(conversation_id, activity_id)] = copy.deepcopy(activity)
        return activity

    def _r_send_to_conversation(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        return self._post_activity(params["conversation_id"], body, None)

    def _r_reply_to_activity(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        return self._post_activity(params["conversation_id"], body, params["activity_id"])

    def _post_activity(self, conversation_id: str, body: Any, reply_to: str | None) -> Response:
        if not isinstance(body, dict) or not body.get("type"):
            return self._error(400, "BadArgument", "Activity type is required")
        activity_id = self._next_id()
        self._store(conversation_id, activity_id, body, reply_to)
        return 201, {"id": activity_id}, {}

    def _r_update_activity(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        key = (params["conversation_id"], params["activity_id"])
        if not isinstance(body, dict) or not body.get("type"):
            return self._error(400, "BadArgument", "Activity type is required")
        if key not in self._messages:
            return self._error(404, "ActivityNotFound", "Activity not found")
        updated = copy.deepcopy(body)
        updated["id"] = key[1]
        updated["conversation"] = {**(updated.get("conversation") or {}), "id": key[0]}
        self._updated.append(updated)
        self._messages[key] = {**self._messages[key], **copy.deepcopy(updated)}
        return 200, {"id": key[1]}, {}

    def _r_delete_activity(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        key = (params["conversation_id"], params["activity_id"])
        if self._messages.pop(key, None) is None:
            return self._error(404, "ActivityNotFound", "Activity not found")
        self._deleted.append(key)
        return 200, None, {}

    # -- routes: rosters and teams ---------------------------------------------------------

    def _known_member(self, member: Mapping[str, Any]) -> JsonDict:
        for listed in self._rosters.values():
            for known in listed:
                if known["id"] == member.get("id"):
                    return dict(known)
        return {"tenantId": self.tenant_id, "userRole": "user", **dict(member)}

    def _members_of(self, conversation_id: str) -> list[JsonDict] | None:
        base = base_conversation_id(conversation_id)
        for key in (conversation_id, base):
            if key in self._rosters:
                return self._rosters[key]
        team = self._channel_team.get(base)
        if team is not None and team in self._rosters:
            return self._rosters[team]
        return self._conversation_members.get(conversation_id)

    def _not_found_conversation(self) -> Response:
        return self._error(404, "ConversationNotFound", "Conversation not found.")

    def _r_get_members(self, params: dict[str, str], query: dict[str, str], body: Any) -> Response:
        members = self._members_of(params["conversation_id"])
        if members is None:
            return self._not_found_conversation()
        return 200, copy.deepcopy(members), {}

    def _r_get_paged_members(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        members = self._members_of(params["conversation_id"])
        if members is None:
            return self._not_found_conversation()
        try:
            size = int(query.get("pageSize") or DEFAULT_PAGE_SIZE)
            token = query.get("continuationToken")
            offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return self._error(400, "BadArgument", "Invalid pageSize or continuationToken")
        if size <= 0 or offset < 0:
            return self._error(400, "BadArgument", "Invalid pageSize or continuationToken")
        page = copy.deepcopy(members[offset : offset + size])
        result: JsonDict = {"members": page}
        if offset + size < len(members):
            result["continuationToken"] = base64.urlsafe_b64encode(
                str(offset + size).encode()
            ).decode()
        return 200, result, {}

    def _r_get_member(self, params: dict[str, str], query: dict[str, str], body: Any) -> Response:
        members = self._members_of(params["conversation_id"])
        if members is None:
            # TeamsActivityHandler tolerates this code (and only this one) when it looks up
            # the members of a conversationUpdate.
            return self._not_found_conversation()
        wanted = params["member_id"]
        for member in members:
            if wanted in (member.get("id"), member.get("aadObjectId")):
                return 200, copy.deepcopy(member), {}
        return self._error(
            404, "MemberNotFoundInConversation", "The member is not part of the conversation."
        )

    def _r_get_team_channels(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        channels = self._channels.get(params["team_id"])
        if channels is None:
            return self._error(404, "NotFound", "Team not found")
        return 200, {"conversations": copy.deepcopy(channels)}, {}

    def _r_get_team_details(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Response:
        team = self._teams.get(params["team_id"])
        if team is None:
            return self._error(404, "NotFound", "Team not found")
        return 200, {k: v for k, v in team.items() if v is not None}, {}

    # == Outbound faults (delivery tests) ===================================================
    # Hangs, and answers a gateway gives that are not the Bot Connector's JSON: 429 with a
    # text/plain body and Retry-After, 5xx HTML pages. Self-contained: state lives in
    # ``_outbound`` (created on first use); the only hook is one call in ``_handle``.

    @property
    def _outbound(self) -> OutboundFaults:
        with self._lock:
            faults = self.__dict__.get("_outbound_faults")
            if faults is None:
                faults = self.__dict__["_outbound_faults"] = OutboundFaults()
            return faults  # type: ignore[no-any-return]

    def hang_next(
        self,
        route: str,
        seconds: float,
        *,
        conversation: str | None = None,
        member: str | None = None,
        count: int = 1,
    ) -> None:
        """The next ``count`` calls to ``route`` (a name or group; to ``conversation`` only,
        or creating a conversation with ``member`` only, if given) wait ``seconds`` — or until
        :meth:`release_hangs` — then are served as usual."""
        _check_selector(route)
        fault = _RawFault(route, conversation, hang=seconds, member=member)
        with self._lock:
            self._outbound.queue.extend([fault] * count)

    def release_hangs(self) -> None:
        """End the hangs under way now (they are then served as usual)."""
        with self._lock:
            self._outbound.released += 1

    @property
    def hanging(self) -> int:
        with self._lock:
            return self._outbound.hanging

    def rate_limit_plain_next(self, route: str, retry_after: int = 1, count: int = 1) -> None:
        """The next ``count`` calls answer 429 ``text/plain`` with ``Retry-After``."""
        _check_selector(route)
        fault = _RawFault(
            route,
            status=429,
            body="Too Many Requests",
            content_type="text/plain",
            headers={"Retry-After": str(retry_after)},
        )
        with self._lock:
            self._outbound.queue.extend([fault] * count)

    def fail_http_next(
        self,
        route: str,
        status: int = 503,
        count: int = 1,
        *,
        body: str = "<html><body><h1>503 Service Unavailable</h1></body></html>",
        content_type: str = "text/html",
    ) -> None:
        """The next ``count`` calls answer ``status`` with a non-JSON body (an HTML page)."""
        _check_selector(route)
        fault = _RawFault(route, status=status, body=body, content_type=content_type)
        with self._lock:
            self._outbound.queue.extend([fault] * count)

    async def _outbound_fault(
        self,
        request: web.Request,
        route: str,
        params: dict[str, str],
        body: Any,
        headers: Mapping[str, str],
    ) -> web.Response | None:
        conversation = params.get("conversation_id")
        with self._lock:
            faults = self._outbound
            members = body.get("members") if isinstance(body, dict) else None
            member_ids = {m.get("id") for m in members or [] if isinstance(m, dict)}
            for index, fault in enumerate(faults.queue):
                if (
                    route_matches(fault.selector, route)
                    and fault.conversation in (None, conversation)
                    and (fault.member is None or fault.member in member_ids)
                ):
                    del faults.queue[index]
                    break
            else:
                return None
            if fault.hang:
                faults.hanging += 1
                released = faults.released
        if fault.hang:
            deadline = time.monotonic() + fault.hang
            try:
                while time.monotonic() < deadline:
                    with self._lock:
                        if faults.released != released:
                            break
                    await asyncio.sleep(0.02)
            finally:
                with self._lock:
                    faults.hanging -= 1
            return None  # then served as usual
        with self._lock:
            self.calls.append(
                ConnectorCall(
                    request.method,
                    request.path,
                    body if isinstance(body, dict) else None,
                    headers,
                    route,
                    params,
                    dict(request.query),
                    fault.status,
                    fault.body,
                    time.monotonic(),
                )
            )
        return web.Response(
            status=fault.status,
            body=fault.body.encode(),
            headers={"Content-Type": fault.content_type, **fault.headers},
        )


@dataclass(frozen=True)
class _RawFault:
    selector: str
    conversation: str | None = None
    hang: float = 0.0
    status: int = 200
    body: str = ""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    member: str | None = None


@dataclass
class OutboundFaults:
    queue: list[_RawFault] = field(default_factory=list)
    released: int = 0
    hanging: int = 0
