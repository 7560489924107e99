"""Rituals taking part in the conversation: a reply in a thread moves the runs waiting on it
(``wait_reply``), a question at the top of the channel starts the rituals triggered by one
(``on: question``). A top-level message that is no question costs nothing here, and a question
costs a statement only when some loaded ritual is triggered by questions.

The rituals' work is done in a savepoint: a run that fails never takes the message's own
record (the activity, the question flag) down with it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.runtime.rituals import Rituals
from bot.runtime.turn import Turn
from bot.vocabulary.events import MessagePosted, ThreadReplied
from playbooks.engine import Engine
from playbooks.schema import QUESTION
from storage.tables import Community, Member, Run

log = logging.getLogger(__name__)


async def message_posted(
    turn: Turn,
    engine: Engine,
    rituals: Rituals,
    event: MessagePosted,
    member: Member,
    community: Community,
) -> None:
    """Route a person's message in ``community``'s channel to the rituals it concerns."""
    if event.is_direct:
        return
    if event.thread is not None and event.thread != event.message_id:
        await _replied(turn, rituals, event, member, community)
    elif event.is_question and event.message_id and _asked_for(engine):
        question = event.message_id

        asking = await rituals.triggered(turn, community, "question")
        if not asking:  # none switched on here: no savepoint either
            return

        async def start() -> None:
            started = await rituals.start_triggered(
                turn,
                community,
                member,
                "question",
                variables={QUESTION: question},
                occasion=question,
                only=asking,
            )
            if started:
                log.info("a question started rituals", extra={"runs": started})

        await isolated(turn, start, "starting the rituals of a question failed")


async def isolated(turn: Turn, work: Callable[[], Awaitable[None]], failed: str) -> None:
    """Do ``work`` in a savepoint: if it raises, only what it did is undone (logged), the
    event's own records stay."""
    try:
        async with turn.tx.session.begin_nested():
            await work()
    except Exception:
        log.exception(failed)


def _asked_for(engine: Engine) -> bool:
    """Whether any loaded ritual starts on a question (no statement when none does)."""
    return any(p.trigger.on == "question" for p in engine.playbooks.values())


async def _replied(
    turn: Turn, rituals: Rituals, event: MessagePosted, member: Member, community: Community
) -> None:
    assert community.id is not None and event.thread is not None
    waiting = await turn.tx.runs.waiting_on_thread(community.id, event.thread)
    for run in waiting:
        reply = ThreadReplied(
            workspace=event.workspace,
            key=f"{event.key}:{run.id}",
            occurred_at=event.occurred_at,
            run_id=run.id,
            thread=event.thread,
            user_id=member.user_id,
            name=member.display_name or member.user_id,
            message_id=event.message_id,
        )

        async def resume(run: Run = run, reply: ThreadReplied = reply) -> None:
            await rituals.resume_run(turn, run, reply, None)

        await isolated(turn, resume, "a reply could not move the run waiting on its thread")
