"""How a Bot Connector failure should be handled (status code and error code → outcome)."""

from __future__ import annotations

from typing import Any

from bot.vocabulary.ports import SendOutcome

RETRIED = {429, 412, 500, 502, 503, 504}
BLOCKED_CODES = {"ConversationBlockedByUser", "MessageWritesBlocked", "BotDisabledByAdmin"}


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
        return str(code)
    text = str(getattr(getattr(exc, "response", None), "text", "") or exc)
    return next((c for c in BLOCKED_CODES if c in text), "")


def retry_after_of(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        value = headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify(exc: BaseException) -> SendOutcome:
    status, code = status_of(exc), code_of(exc)
    error = f"http {status} {code}".strip() if status else f"{type(exc).__name__}: {exc}"[:300]
    if status is None:
        return SendOutcome("retry", error=error)  # network trouble
    if status == 403 and code in BLOCKED_CODES:
        return SendOutcome("blocked", error=error)
    if status == 401:
        # our own credentials (an expired secret), not the tenant's: retried, and visible
        return SendOutcome("retry", error=error)
    if status in RETRIED:
        return SendOutcome("retry", retry_after=retry_after_of(exc), error=error)
    return SendOutcome("permanent", error=error)
