"""What a run in the conversation needs of its threads beyond the engine: a reply recorded in
a thread before the run could wait on it (its post's id came back from delivery a moment
before the scheduler moved the run to its ``wait_reply``), and who a run's texts name."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import cast

from bot.runtime.turn import Turn
from bot.vocabulary import actions as act
from bot.vocabulary.events import Platform, ThreadReplied, WorkspaceRef
from playbooks.engine import Engine, RunState
from storage.tables import Run

log = logging.getLogger(__name__)


async def reply_meanwhile(
    turn: Turn, engine: Engine, run: Run, state: RunState
) -> ThreadReplied | None:
    """The earliest reply by someone else than its member recorded in the thread ``run`` just
    began to wait on, since its step began waiting (one indexed lookup), as the event that
    moves it; None when there is none."""
    since = engine.waiting_since(state)
    if since is None or run.waiting_thread is None or turn.workspace.id is None:
        return None
    found = await turn.tx.threads.first_reply(
        run.community_id, run.waiting_thread, since, run.subject
    )
    if found is None:
        return None
    replier = await turn.tx.directory.member(turn.workspace.id, found.user_id)
    log.info("a reply recorded before the run waited on its thread moves it")
    return ThreadReplied(
        workspace=WorkspaceRef(cast(Platform, turn.workspace.platform), turn.workspace.external_id),
        key=f"meanwhile:{found.message_id}:{run.id}",
        occurred_at=turn.now,
        run_id=run.id,
        thread=run.waiting_thread,
        user_id=found.user_id,
        name=(replier.display_name if replier else "") or found.user_id,
        message_id=found.message_id,
    )


def naming(action: act.Action, people: Mapping[str, str]) -> list[str]:
    """Who of ``people`` (user id → name) ``action``'s text names: by their id or their name
    (recorded with the delivery, so that their export and erasure find it)."""
    said = str(act.action_to_dict(action).get("text") or "")
    return [uid for uid, name in people.items() if _word(uid, said) or (name and _word(name, said))]


def _word(needle: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", text) is not None
