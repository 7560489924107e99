"""A ritual's digest as messages: what its members answered in the last cycle, posted to the
community and sent to each facilitator, each in their language."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.runtime.context import community_context, resolve_locale
from bot.runtime.schedules import ZONE_SPREAD
from bot.vocabulary import actions as act
from playbooks import schema
from playbooks.digest import RunAnswers, gather, render_digest
from playbooks.templates import RenderError
from storage.store import Transaction
from storage.tables import Community, Run, Workspace

log = logging.getLogger(__name__)


async def digest_actions(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    playbook: schema.Playbook,
    fire_at: datetime,
) -> tuple[list[act.Action], list[str]]:
    """The digest's messages (none for a text that renders empty) and the members they may
    name (for a person's export and erasure). Members who opted out are not named."""
    assert playbook.digest is not None and workspace.id is not None
    rows, named = await _rows(tx, workspace, community, playbook, fire_at)
    context = community_context(community)
    readers: list[tuple[str | None, schema.LocalizedText | None]] = [
        (None, playbook.digest.community)
    ]
    readers += [(f, playbook.digest.facilitators) for f in community.facilitators]
    out: list[act.Action] = []
    for user_id, template in readers:
        if template is None:
            continue
        reader = await tx.directory.member(workspace.id, user_id) if user_id else None
        locale = resolve_locale(reader, community, workspace)
        try:
            body = render_digest(template, gather(playbook, rows, locale), context, locale)
        except RenderError:
            log.exception("a digest text cannot be rendered", extra={"playbook": playbook.name})
            continue
        if not body:
            continue
        if user_id is None:
            out.append(act.PostToCommunity(channel=community.channel_id, text=body))
        else:
            out.append(act.SendDirectMessage(user_id=user_id, text=body))
    return out, named


async def _rows(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    playbook: schema.Playbook,
    fire_at: datetime,
) -> tuple[list[RunAnswers], list[str]]:
    """One row per member for the cycle before the digest: its window ends where the current
    cycle began (members ahead of the community may already be in it), and a member asked
    twice counts once, with their latest run."""
    assert community.id is not None and workspace.id is not None and playbook.digest is not None
    name = playbook.name
    began = await tx.runs.first_occurrence(community.id, name, fire_at - ZONE_SPREAD, fire_at)
    end = began or fire_at
    start = end - playbook.digest.window_delta - ZONE_SPREAD  # members whose week began earlier
    latest: dict[str, Run] = {}
    for run in await tx.runs.started_between(community.id, name, start, end):
        if run.subject:
            latest[run.subject] = run
    values: dict[str, dict[str, str]] = {}
    for found in await tx.runs.answers_of([r.id for r in latest.values()]):
        values.setdefault(found.run_id, {})[found.key] = found.value
    members = await tx.directory.members_by_user_id(workspace.id, list(latest))
    rows, named = [], []
    for subject, run in latest.items():
        member = members.get(subject)
        if member is None:
            continue
        shown = not member.opted_out_all and name not in member.opted_out
        rows.append(RunAnswers(member.display_name or subject, shown, values.get(run.id, {})))
        named.append(subject)  # their answers may show, even unnamed
    return rows, named
