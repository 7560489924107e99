"""How a Bot Connector failure should be handled (status code and error code → outcome).

The reason kept is what the service answered (``http 503``, ``http 403 Forbidden``,
``ratelimited``, ``timeout``), never an exception's text: it can quote the answer or the message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from bot.vocabulary.ports import SendOutcome

RETRIED = {412, 500, 502, 503, 504}
BLOCKED_CODES = {"ConversationBlockedByUser", "MessageWritesBlocked", "BotDisabledByAdmin"}
#: Exception types (requests, urllib3) that mean no answer in time / no connection.
TIMEOUTS = {"Timeout", "ReadTimeout", "ConnectTimeout", "ReadTimeoutError"}
UNREACHABLE = {"ConnectionError", "NewConnectionError", "ConnectionRefusedError"}
MAX_RETRY_AFTER = 3600.0


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    for attribute in ("status_code", "status"):
        value = getattr(response, attribute, None)
        if isinstance(value, int):
            return value
    return None


def code_of(exc: BaseException) -> str:
    error: Any = getattr(exc, "error", None)
    inner = getattr(error, "error", None)
    code = getattr(inner, "code", None) or getattr(error, "code", None)
    if code:
        return "".join(c for c in str(code) if c.isalnum())[:60]
    text = str(getattr(getattr(exc, "response", None), "text", "") or exc)
    return next((c for c in BLOCKED_CODES if c in text), "")


def retry_after_of(
    exc: BaseException, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """Seconds the answer's Retry-After asks for: a number of seconds or an HTTP date."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        value = headers.get("Retry-After")
    except (TypeError, AttributeError):
        return None
    if value is None:
        return None
    try:
        seconds: float | None = float(value)
    except (TypeError, ValueError):
        seconds = _seconds_until(str(value), now())
    if seconds is None or seconds != seconds:  # unreadable, NaN
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _seconds_until(date: str, now: datetime) -> float | None:
    """An HTTP date (``Wed, 21 Oct 2026 07:28:00 GMT``) as seconds from ``now``."""
    try:
        when = parsedate_to_datetime(date.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (msrest keeps the requests error aside)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 8:
        found.append(current)
        inner = getattr(current, "inner_exception", None)
        current = inner if isinstance(inner, BaseException) else current.__cause__
    return found


def network_error(exc: BaseException) -> str:
    """``timeout`` when the service did not answer in time, else ``unreachable`` /
    ``network error`` (the names of the exception types say which)."""
    names = {type(cause).__name__ for cause in _causes(exc)}
    if any(isinstance(c, TimeoutError) for c in _causes(exc)) or names & TIMEOUTS:
        return "timeout"
    if names & UNREACHABLE:
        return "unreachable"
    return "network error"


def classify(exc: BaseException) -> SendOutcome:
    status, code = status_of(exc), code_of(exc)
    if status is None:
        return SendOutcome("retry", error=network_error(exc))
    error = f"http {status} {code}".strip()[:100]
    if status == 429:
        # refused before any work: not an attempt; come back when the service says
        return SendOutcome("deferred", retry_after=retry_after_of(exc) or 1.0, error="ratelimited")
    if status == 403 and code in BLOCKED_CODES:
        return SendOutcome("blocked", error=error)
    if status == 401:
        # our own credentials (an expired secret), not the tenant's: retried, and visible
        return SendOutcome("retry", error=error)
    if status in RETRIED:
        return SendOutcome("retry", retry_after=retry_after_of(exc), error=error)
    return SendOutcome("permanent", error=error)
