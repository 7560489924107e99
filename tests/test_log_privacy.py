"""At DEBUG, the logs never hold what members wrote: not their messages, not their answers,
not the values of a statement the database refused."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from bot import logs
from storage.tables import Answer, Member
from tests.conftest import LiveServer, wait_for

#: What members wrote; it must appear in no log line.
SECRET = "Zanzibar-quokka-7731"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The bot's real log set-up at DEBUG, writing into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    logs.configure("DEBUG", stream=buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)


async def test_debug_logs_hold_no_message_nor_answer_text(
    live_server: LiveServer, debug_log: io.StringIO
) -> None:
    status, _ = await live_server.post_event(
        type="message_posted", channel="C-data", user="U-dan", text=f"hello {SECRET}"
    )
    assert status == 202
    join = {"type": "member_joined", "channel": "C-data", "user": "U-bob", "id": "join-1"}
    assert (await live_server.post_event(**join))[0] == 202

    async def asked(kind: str) -> list[dict[str, object]]:
        return [m for m in await live_server.messages(user="U-bob") if m[kind]]

    [charter] = await wait_for(lambda: asked("choices"))
    await live_server.post_event(
        type="button_clicked", user="U-bob", message_id=charter["id"], value="accept"
    )
    [question] = await wait_for(lambda: asked("free_text"))
    status, _ = await live_server.post_event(
        type="answer_submitted", user="U-bob", message_id=question["id"], answer=SECRET
    )
    assert status == 202

    async def stored() -> list[str]:
        async with live_server.bot.store.transaction() as tx:
            rows = await tx.session.execute(select(Answer))
            return [a.value for a in rows.scalars() if a.value == SECRET]

    assert await wait_for(stored), "the answer was processed and stored"
    await live_server.bot.worker.drain()
    logging.getLogger("bot.probe").debug("debug is on")
    text = debug_log.getvalue()
    assert "DEBUG bot.probe: debug is on" in text
    processed = [line for line in text.splitlines() if "event processed" in line]
    assert any("event_type=MessagePosted" in line for line in processed), text
    assert any("event_type=FormSubmitted" in line for line in processed), text
    assert SECRET not in text


async def test_a_refused_statement_is_logged_without_its_values(
    live_server: LiveServer, debug_log: io.StringIO
) -> None:
    """The database refuses a row (no workspace): the error is logged, never the member's text."""
    store = live_server.bot.store
    with pytest.raises(DBAPIError):
        async with store.transaction() as tx:
            await tx.session.execute(
                insert(Member).values(workspace_id=None, user_id="U-x", display_name=SECRET)
            )
    try:
        async with store.transaction() as tx:
            await tx.session.execute(
                insert(Member).values(workspace_id=None, user_id="U-x", display_name=SECRET)
            )
    except DBAPIError:
        logging.getLogger("bot.runtime.scheduler").exception("scheduler pass failed")
    text = debug_log.getvalue()
    assert "IntegrityError" in text and "scheduler pass failed" in text, text
    assert "parameters hidden" in text
    assert SECRET not in text
