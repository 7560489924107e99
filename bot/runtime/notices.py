"""What the bot tells people about rituals' lifecycle: a launch's count to the facilitator who
asked for it, a failed run to the community's facilitators, a click on a run that is over to
its member. Each in the reader's language; never a member's message text."""

from __future__ import annotations

from collections.abc import Mapping

from bot.runtime.context import resolve_locale
from bot.runtime.texts import text
from bot.vocabulary import actions as act
from playbooks.schema import Playbook
from storage.store import Transaction
from storage.tables import Community, Member, RitualLaunch, Run, Workspace


def _title(playbooks: Mapping[str, Playbook], name: str, locale: str) -> str:
    found = playbooks.get(name)
    return found.title.get(locale) if found is not None else name


async def _locale(tx: Transaction, workspace: Workspace, community: Community, user_id: str) -> str:
    assert workspace.id is not None
    return resolve_locale(await tx.directory.member(workspace.id, user_id), community, workspace)


async def launch_counted(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    launch: RitualLaunch,
    playbooks: Mapping[str, Playbook],
) -> list[act.Action]:
    """How many members a launch asked now and later, for the facilitator who asked for it;
    for a ritual of the community as a whole, whether it started or was under way already."""
    counts = {"now": launch.asked_now, "later": launch.asked_later}
    key = "launch_counted"
    found = playbooks.get(launch.playbook)
    if found is not None and not found.has_member_subject:
        key = "launch_started_community" if launch.asked_now else "launch_under_way"
    return await _to_requester(tx, workspace, community, launch, playbooks, key, counts)


async def launch_failed(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    launch: RitualLaunch,
    playbooks: Mapping[str, Playbook],
) -> list[act.Action]:
    """Why a launch was given up, and how many it asked before, for who asked for it."""
    why = {"done": launch.asked_now + launch.asked_later, "reason": launch.error or ""}
    return await _to_requester(tx, workspace, community, launch, playbooks, "launch_failed", why)


async def _to_requester(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    launch: RitualLaunch,
    playbooks: Mapping[str, Playbook],
    key: str,
    values: Mapping[str, object],
) -> list[act.Action]:
    """A DM about ``launch`` to who asked for it (none for a scheduled one)."""
    if launch.requested_by is None:
        return []
    locale = await _locale(tx, workspace, community, launch.requested_by)
    title = _title(playbooks, launch.playbook, locale)
    said = text(key, locale, title=title, name=community.name, **values)
    return [act.SendDirectMessage(user_id=launch.requested_by, text=said)]


async def run_failed(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    run: Run,
    playbooks: Mapping[str, Playbook],
) -> list[act.Action]:
    """Which ritual stopped, for whom, where and why, for each facilitator of the community."""
    notices: list[act.Action] = []
    for facilitator in community.facilitators:
        locale = await _locale(tx, workspace, community, facilitator)
        said = text(
            "run_failed",
            locale,
            title=_title(playbooks, run.playbook, locale),
            ritual=run.playbook,
            who=run.subject or text("run_failed_community", locale),
            name=community.name,
            reason=run.error or "",
        )
        notices.append(act.SendDirectMessage(user_id=facilitator, text=said))
    return notices


async def post_undelivered(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    run: Run,
    playbooks: Mapping[str, Playbook],
) -> list[act.Action]:
    """A ritual's post was never delivered, so the thread it counts could not be: the round
    was not counted (not a round nobody answered), for each facilitator of the community."""
    notices: list[act.Action] = []
    for facilitator in community.facilitators:
        locale = await _locale(tx, workspace, community, facilitator)
        said = text(
            "ritual_post_undelivered",
            locale,
            title=_title(playbooks, run.playbook, locale),
            name=community.name,
        )
        notices.append(act.SendDirectMessage(user_id=facilitator, text=said))
    return notices


def stale_click(
    member: Member, run: Run, workspace: Workspace, playbooks: Mapping[str, Playbook]
) -> act.Action:
    """The answer to a click on a button of a run that is over: stopped by the member, or done."""
    locale = resolve_locale(member, None, workspace)
    stopped = member.opted_out_all or run.playbook in member.opted_out
    key = "run_stopped_click" if stopped else "run_over_click"
    said = text(key, locale, title=_title(playbooks, run.playbook, locale), ritual=run.playbook)
    return act.SendDirectMessage(user_id=member.user_id, text=said)
