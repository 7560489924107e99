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
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from adapters.slack.manifest import COMMAND as OUR_COMMAND
from adapters.slack.payload_shapes import (
    BLOCK_ACTIONS,
    COMMAND,
    EVENT_CALLBACK,
    EVENT_NEEDS,
    URL_VERIFICATION,
    VIEW_SUBMISSION,
)
from adapters.slack.payload_specs import Invalid

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


# -- 4. and 5. kind and shapes (adapters/slack/payload_shapes.py) -------------------------


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
