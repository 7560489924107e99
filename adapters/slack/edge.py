"""The HTTP edge of ``/slack/events``: what reaches Bolt is signed, well formed and clean.

Bolt trusts the shape of Slack's payloads: a signed request whose fields have other types than
Slack documents makes it (or the listeners) raise, and the request is answered 500 — which
Slack retries. So every request is checked here first, in this order:

1. its signature and timestamp (401);
2. that it parses: UTF-8, a JSON object or a form, not nested absurdly deep (400, or 415 for
   another content type);
3. NUL characters are removed (PostgreSQL refuses them in text; nothing Slack means uses them);
4. its kind: events we do not handle, and interactions we never ask for, are acknowledged
   (200: Slack would retry anything else) without going further; an unknown kind is refused;
5. the fields Bolt and the normalizers read have the types Slack documents, ids look like ids
   and keys are bounded (400 naming the field — never its value).

Bolt then gets the payload as JSON whatever the content type it came in, which also spares it
its own form parsing (it reads a slash command whose text contains "payload" as an empty body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from adapters.slack.manifest import COMMAND as OUR_COMMAND

#: Slack refuses a request signed more than 5 minutes ago (replays).
MAX_AGE_SECONDS = 5 * 60
#: Deeper than this is no Slack payload (a modal's state is about 5 levels deep).
MAX_DEPTH = 32

#: Interactive payload types Slack may send that the bot never asks for: acknowledged, ignored.
IGNORED_INTERACTIONS = frozenset(
    {
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    }
)


@dataclass(frozen=True, slots=True)
class Answered:
    """The request is answered at once, without Bolt: ``status`` and why (never a value of the
    payload)."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request for Bolt: its payload (checked and clean) as JSON."""

    body: dict[str, Any]

    def as_json(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


class Invalid(Exception):
    def __init__(self, path: str, expected: str) -> None:
        super().__init__(f"{path or 'the payload'}: expected {expected}")


# -- 1. signature -------------------------------------------------------------------------


def signed(secret: str, timestamp: str, signature: str, raw: bytes, now: float) -> bool:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:<timestamp>:<body>``."""
    if not secret or not (timestamp.isascii() and timestamp.isdigit()):
        return False  # "²" is a digit to isdigit(), not to int()
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return hmac.compare_digest("v0=" + mac.hexdigest(), signature)


# -- 2. parsing ---------------------------------------------------------------------------


def parse(raw: bytes, content_type: str) -> dict[str, Any] | Answered:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Answered(400, "the body is not UTF-8")
    try:
        if content_type == "application/json":
            body: Any = json.loads(text)
        elif content_type == "application/x-www-form-urlencoded":
            fields = dict(parse_qsl(text, keep_blank_values=True))
            body = json.loads(fields["payload"]) if "payload" in fields else fields
        else:
            return Answered(415, f"unsupported content type {content_type[:60]!r}")
    except (ValueError, RecursionError):
        return Answered(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        return Answered(400, "the payload is not a JSON object")
    return body


# -- 3. NUL characters --------------------------------------------------------------------


def without_nul(value: Any, depth: int = 0) -> Any:
    """``value`` with every NUL character removed from its strings (keys too)."""
    if depth > MAX_DEPTH:
        raise Invalid("", f"at most {MAX_DEPTH} levels of nesting")
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(k, depth): without_nul(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v, depth + 1) for v in value]
    return value


# -- 5. shapes ----------------------------------------------------------------------------


class Spec:
    expected = "a value"

    def check(self, value: Any, path: str) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Spec):
    longest: int | None = None
    pattern: re.Pattern[str] | None = None
    expected: str = "a string"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise Invalid(path, self.expected)
        if self.longest is not None and len(value) > self.longest:
            raise Invalid(path, f"{self.expected} of at most {self.longest} characters")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise Invalid(path, self.expected)


@dataclass(frozen=True)
class Kind(Spec):
    types: tuple[type, ...]
    expected: str = "a value"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, self.types) or (
            isinstance(value, bool) and bool not in self.types
        ):
            raise Invalid(path, self.expected)


@dataclass(frozen=True)
class Nullable(Spec):
    inner: Spec

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"{self.inner.expected} or null"

    def check(self, value: Any, path: str) -> None:
        if value is not None:
            self.inner.check(value, path)


@dataclass(frozen=True)
class Either(Spec):
    options: tuple[Spec, ...]

    @property
    def expected(self) -> str:  # type: ignore[override]
        return " or ".join(o.expected for o in self.options)

    def check(self, value: Any, path: str) -> None:
        for option in self.options:
            try:
                option.check(value, path)
                return
            except Invalid:
                continue
        raise Invalid(path, self.expected)


@dataclass(frozen=True)
class Obj(Spec):
    """An object whose listed fields, when present, are as specified (others are let be)."""

    fields: Mapping[str, Spec]
    required: frozenset[str] = field(default_factory=frozenset)
    expected: str = "an object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(path, self.expected)
        for name in self.required:
            if name not in value or value[name] in (None, ""):
                raise Invalid(_join(path, name), "a value (it is required)")
        for name, spec in self.fields.items():
            if name in value:
                spec.check(value[name], _join(path, name))

    def extended(self, fields: Mapping[str, Spec], required: Iterable[str] = ()) -> Obj:
        return Obj({**self.fields, **fields}, self.required | frozenset(required))


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    fewest: int = 0
    expected: str = "a list"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or len(value) < self.fewest:
            raise Invalid(path, self.expected if not self.fewest else "a non-empty list")
        for index, item in enumerate(value):
            self.item.check(item, f"{path}[{index}]")


@dataclass(frozen=True)
class MapOf(Spec):
    value: Spec
    expected: str = "an object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(path, self.expected)
        for key, item in value.items():
            self.value.check(item, _join(path, str(key)[:40]))


class Recursive(Spec):
    """A spec defined later (a message inside a message…)."""

    def __init__(self) -> None:
        self.inner: Spec = Obj({})

    @property
    def expected(self) -> str:  # type: ignore[override]
        return self.inner.expected

    def check(self, value: Any, path: str) -> None:
        self.inner.check(value, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


#: Slack ids (T…, U…, C…, E…, A…, B…): short words, no spaces or control characters.
ID = Text(64, re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*"), "an id")
#: null or "" (Slack sends both for "none")
BLANK = Nullable(Text(0, expected="empty"))
OPTIONAL_ID = Either((ID, BLANK))
#: Keys Slack gives a request (trigger_id, event_id, timestamps): bounded strings.
KEY = Text(255, expected="a key")
STRING = Text()
#: Slack's limits for block and action ids, callback ids and a modal's private metadata.
BLOCK_ID = Text(255)
METADATA = Text(3000)
FLAG = Kind((bool,), "a boolean")
FLAG_OR_TEXT = Either((FLAG, Text(8)))
NUMBER = Kind((int, float), "a number")
TS = Either((KEY, NUMBER))

_MESSAGE = Recursive()
#: What Bolt reads on any payload, and again inside ``event``, ``message``, ``item``…
CONTEXT = Obj(
    {
        "type": Text(100),
        "token": STRING,
        "api_app_id": OPTIONAL_ID,
        "enterprise": Nullable(Either((ID, Obj({"id": OPTIONAL_ID})))),
        "enterprise_id": OPTIONAL_ID,
        "team": Nullable(
            Either((ID, Obj({"id": OPTIONAL_ID, "enterprise_id": OPTIONAL_ID, "domain": STRING})))
        ),
        "team_id": OPTIONAL_ID,
        "user_team": OPTIONAL_ID,
        "context_team_id": OPTIONAL_ID,
        "context_enterprise_id": OPTIONAL_ID,
        "user": Either(
            (
                ID,
                BLANK,
                Obj(
                    {
                        "id": ID,
                        "team_id": OPTIONAL_ID,
                        "profile": Nullable(Obj({})),
                        "is_bot": Nullable(FLAG),
                    },
                    frozenset({"id"}),
                ),
            )
        ),
        "user_id": OPTIONAL_ID,
        "channel": Nullable(Either((ID, Obj({"id": OPTIONAL_ID})))),
        "channel_id": OPTIONAL_ID,
        "thread_ts": Nullable(TS),
        "ts": Nullable(TS),
        # a reply's thread author, a reaction's message author, a deleted message
        "parent_user_id": OPTIONAL_ID,
        "item_user": OPTIONAL_ID,
        "deleted_ts": Nullable(TS),
        "event_ts": Nullable(TS),
        "trigger_id": KEY,
        "authorizations": ListOf(
            Obj(
                {
                    "enterprise_id": OPTIONAL_ID,
                    "team_id": OPTIONAL_ID,
                    "user_id": OPTIONAL_ID,
                    "is_bot": Nullable(FLAG),
                    "is_enterprise_install": Nullable(FLAG),
                }
            )
        ),
        "is_enterprise_install": Nullable(FLAG_OR_TEXT),
        "is_ext_shared_channel": Nullable(FLAG),
        "response_url": STRING,
        "response_urls": ListOf(Obj({"response_url": STRING})),
        "function_execution_id": Nullable(STRING),
        "bot_access_token": Nullable(STRING),
        "function_data": Nullable(Obj({"execution_id": Nullable(STRING)})),
        "item": Nullable(Obj({"type": STRING, "channel": OPTIONAL_ID, "ts": Nullable(TS)})),
        "message": Nullable(_MESSAGE),
        "previous_message": Nullable(_MESSAGE),
        "assistant_thread": Nullable(Obj({"channel_id": OPTIONAL_ID, "thread_ts": Nullable(TS)})),
        "subtype": Nullable(STRING),
        "bot_id": Nullable(ID),
        "text": Nullable(STRING),
    }
)
_MESSAGE.inner = CONTEXT

EVENT = CONTEXT.extended(
    {"tab": Nullable(STRING), "reaction": STRING, "channel_type": Nullable(STRING)},
    required={"type"},
)
#: What the handled events need to mean anything (beyond ``CONTEXT``).
_MEMBER_IN_CHANNEL = Obj({"user": ID, "channel": ID}, frozenset({"user", "channel"}))
_REACTION = Obj({"user": ID, "reaction": Text(100)}, frozenset({"user", "reaction", "item"}))
EVENT_NEEDS: Mapping[str, Spec] = {
    "member_joined_channel": _MEMBER_IN_CHANNEL,
    "member_left_channel": _MEMBER_IN_CHANNEL,
    "team_join": Obj({}, frozenset({"user"})),
    "app_home_opened": Obj({"user": ID}, frozenset({"user"})),
    "reaction_added": _REACTION,
    "reaction_removed": _REACTION,
    "message": Obj({"channel": ID}, frozenset({"channel"})),
}
EVENT_CALLBACK = CONTEXT.extended(
    {"event": EVENT, "event_id": KEY, "event_time": NUMBER, "event_context": STRING},
    required={"event", "event_id", "team_id"},
)
URL_VERIFICATION = Obj({"challenge": Text(500)}, frozenset({"challenge"}))
COMMAND = Obj(
    {
        name: OPTIONAL_ID
        for name in ("team_id", "user_id", "channel_id", "enterprise_id", "api_app_id")
    }
    | {"trigger_id": KEY, "command": Text(100), "text": STRING, "response_url": STRING},
    frozenset({"command", "team_id", "user_id", "channel_id", "trigger_id"}),
)
USER = Obj({"id": ID, "team_id": OPTIONAL_ID}, frozenset({"id"}))
ACTION = Obj(
    {
        "action_id": BLOCK_ID,
        "block_id": BLOCK_ID,
        "value": Nullable(Text(2000)),
        "type": STRING,
        "text": Nullable(Obj({"text": Nullable(STRING)})),
        "action_ts": Nullable(TS),
    },
    frozenset({"action_id"}),
)
VIEW = Obj(
    {
        "id": ID,
        "type": STRING,
        "callback_id": BLOCK_ID,
        "private_metadata": Nullable(METADATA),
        "team_id": OPTIONAL_ID,
        "app_installed_team_id": OPTIONAL_ID,
        "state": Nullable(Obj({"values": MapOf(MapOf(Obj({"value": Nullable(STRING)})))})),
    },
)
BLOCK_ACTIONS = CONTEXT.extended(
    {
        "user": USER,
        "actions": ListOf(ACTION, fewest=1),
        "container": Nullable(
            Obj(
                {
                    "type": STRING,
                    "channel_id": OPTIONAL_ID,
                    "message_ts": Nullable(TS),
                    "is_ephemeral": Nullable(FLAG),
                }
            )
        ),
        "view": Nullable(VIEW),
        "state": Nullable(Obj({})),
    },
    required={"user", "actions", "trigger_id"},
)
VIEW_SUBMISSION = CONTEXT.extended(
    {"user": USER, "view": VIEW.extended({}, required={"id", "type", "callback_id"})},
    required={"user", "view", "trigger_id"},
)


def _check_event_callback(body: dict[str, Any], handled: Collection[str]) -> str | None:
    """None when the event is to go on; else why it is acknowledged and ignored."""
    event = body.get("event")
    kind = event.get("type") if isinstance(event, dict) else None
    if isinstance(kind, str) and kind not in handled:
        return f"event {kind[:60]!r} not handled"
    EVENT_CALLBACK.check(body, "")
    needs = EVENT_NEEDS.get(str(kind))
    if needs is not None:
        needs.check(event, "event")
    return None


def admit(body: dict[str, Any], handled: Collection[str]) -> Admitted | Answered:
    """The payload for Bolt, or the answer to give at once."""
    try:
        body = without_nul(body)
        kind = body.get("type") if isinstance(body.get("type"), str) else None
        if "command" in body:
            COMMAND.check(body, "")
            if body["command"] != OUR_COMMAND:
                return Answered(400, "unknown command")
        elif "ssl_check" in body:
            pass
        elif kind == "url_verification":
            URL_VERIFICATION.check(body, "")
        elif kind == "event_callback":
            ignored = _check_event_callback(body, handled)
            if ignored:
                return Answered(200, ignored)
        elif kind == "app_rate_limited":
            return Answered(200, "noted: Slack rate-limited the events sent to the app")
        elif kind == "block_actions":
            BLOCK_ACTIONS.check(body, "")
        elif kind == "view_submission":
            VIEW_SUBMISSION.check(body, "")
        elif kind in IGNORED_INTERACTIONS:
            return Answered(200, "")
        else:
            return Answered(400, "unknown request type")
    except Invalid as problem:
        return Answered(400, f"malformed Slack payload: {problem}")
    return Admitted(body)


def check(
    secret: str,
    headers: Mapping[str, str],
    raw: bytes,
    content_type: str,
    handled: Collection[str],
) -> Admitted | Answered:
    """Everything above, for one HTTP request (``handled``: the event types acted on)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not signed(secret, timestamp, signature, raw, time.time()):
        return Answered(401, "invalid or missing signature")
    body = parse(raw, content_type)
    if isinstance(body, Answered):
        return body
    return admit(body, handled)
