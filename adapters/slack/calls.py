"""Web API calls made while Slack waits for the answer to an inbound request.

Slack gives an app 3 seconds to acknowledge a request, and a modal's ``trigger_id`` lasts 3
seconds from the click. Every call made meanwhile (auth.test, users.info, views.open) is bounded
by what is left of that window, whatever slack_sdk's own timeout, and what went wrong is named in
Slack's words (``invalid_auth``, ``http 502``, ``not json``, ``timeout``) for the logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, MutableMapping
from contextvars import ContextVar
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError

T = TypeVar("T")

#: Slack's deadline to acknowledge a request, and a modal trigger's lifetime (seconds).
ACK_WINDOW = 3.0
#: What the answer needs once the calls are done (the dispatch transaction, the response).
ANSWER_MARGIN = 0.6
#: The shortest call worth trying.
SHORTEST_CALL = 0.2
#: Bolt context key: when the request arrived (event loop time).
RECEIVED_AT = "animateur_received_at"

#: When the answer to the request this task handles is due (event loop time): aiohttp runs each
#: request in a task of its own, so this never outlives the request.
_ANSWER_DUE: ContextVar[float | None] = ContextVar("animateur_slack_answer_due", default=None)

#: Slack errors that another try will not change.
PERMANENT = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "user_not_found",
        "user_not_visible",
        "users_not_found",
        "invalid_arguments",
        "expired_trigger_id",
        "exchanged_trigger_id",
        "invalid_trigger_id",
        "trigger_expired",
        "view_too_large",
    }
)


def now() -> float:
    return asyncio.get_running_loop().time()


def received_at(context: MutableMapping[str, Any]) -> float:
    """When the request being answered arrived (now, the first time it is asked). From then on,
    calls made further down while answering it (answer_time_left) are bounded too."""
    arrived = context.get(RECEIVED_AT)
    if not isinstance(arrived, float):
        arrived = context[RECEIVED_AT] = now()
    _ANSWER_DUE.set(arrived + ACK_WINDOW - ANSWER_MARGIN)  # in this task (Bolt may use several)
    return arrived


def answer_time_left(cap: float) -> float:
    """Seconds a call may still take before the answer to the request being handled (in this
    task) is due, at most ``cap`` — ``cap`` outside any request (a background job)."""
    due = _ANSWER_DUE.get()
    return cap if due is None else max(0.0, min(cap, due - now()))


def time_left(context: MutableMapping[str, Any], cap: float) -> float:
    """Seconds a call may still take before the answer is due (at most ``cap``)."""
    due = received_at(context) + ACK_WINDOW - ANSWER_MARGIN
    return max(0.0, min(cap, due - now()))


async def bounded(call: Awaitable[T], seconds: float) -> T:
    """``call``, or TimeoutError after ``seconds``."""
    return await asyncio.wait_for(call, seconds)


def failure(error: BaseException) -> str:
    """What went wrong with a call, in the platform's words (never a body or a token)."""
    if isinstance(error, SlackApiError):
        response = error.response
        data = getattr(response, "data", None)
        status = getattr(response, "status_code", 200)
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            return str(data["error"])
        if status != 200:
            return f"http {status}"
        return "not json"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientError | OSError):
        return "unreachable"
    return type(error).__name__


def permanent(error: BaseException) -> bool:
    """Whether trying the same call again cannot help."""
    return failure(error) in PERMANENT
