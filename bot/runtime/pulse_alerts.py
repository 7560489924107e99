"""Early warnings (issue 11 §3) by DM to a community's facilitators: each kind present in the
pulse goes out at most once a week per community — claimed in the same transaction as the
messages, so two processes, a restart or the next hourly look never send it twice — in each
facilitator's language, with what to do and where (the unanswered threads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.runtime.context import resolve_locale
from bot.runtime.pulse_warnings import PulseWarning, describe
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from storage.store import Transaction
from storage.tables import Community, Workspace

#: A warning of one kind goes to a community's facilitators at most this often.
QUIET = timedelta(days=7)


def week_of(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02}"


async def warning_messages(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    found: Sequence[PulseWarning],
    now: datetime,
) -> list[act.Action]:
    """One DM per facilitator with the warnings whose kind was not sent in the last week
    (claimed now); none when every kind present went out within the week."""
    assert community.id is not None and workspace.id is not None
    due: list[PulseWarning] = []
    for kind in dict.fromkeys(w.kind for w in found):  # most pressing first, as found
        if await tx.pulse_notices.claim(
            community.id, kind, week_of(now), now, quiet_since=now - QUIET
        ):
            due += [w for w in found if w.kind == kind]
    if not due:
        return []
    out: list[act.Action] = []
    for facilitator in community.facilitators:
        reader = await tx.directory.member(workspace.id, facilitator)
        locale = resolve_locale(reader, community, workspace)
        lines = [text("alert_title", locale, name=community.name)]
        lines += ["⚠ " + describe(warning, locale) for warning in due]
        lines.append(text("alert_footer", locale))
        out.append(act.SendDirectMessage(user_id=facilitator, text="\n".join(lines)))
    return out
