"""``rituals run <ritual>`` (and its alias ``checkin now``): a facilitator runs a scheduled
ritual now instead of waiting for its next fire.

The run is recorded as a fire of the ritual (a cycle begins now: its digest counts from it) and
as a durable launch, in the command's own transaction, so it happens even if the bot stops right
after answering. The scheduler executes the launch as it executes a scheduled fire's: for each
member (in chunks, each within their working hours) or once for the community as a whole; then
the facilitator is told what was started (bot.runtime.notices).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.runtime.invocation import Invocation, Refused, Usage, title
from bot.runtime.texts import text
from playbooks.schema import Playbook, ScheduleTrigger


def is_scheduled(playbook: Playbook) -> bool:
    """A ritual that fires on a schedule (for the community, or for each member)."""
    return isinstance(playbook.trigger, ScheduleTrigger)


def scheduled_names(playbooks: Mapping[str, Playbook]) -> list[str]:
    return sorted(name for name, playbook in playbooks.items() if is_scheduled(playbook))


async def runnable(inv: Invocation) -> list[str]:
    """The scheduled rituals switched on in the invocation's community."""
    community = inv.require_community()
    assert community.id is not None
    on = set(await inv.tx.directory.enabled_playbooks(community.id))
    return [name for name in scheduled_names(inv.playbooks) if name in on]


async def run_ritual(inv: Invocation, name: str) -> None:
    """Run the scheduled ritual ``name`` now in the invocation's community (facilitators)."""
    community = inv.require_facilitator()
    assert community.id is not None
    playbook = inv.playbooks.get(name)
    if playbook is None or not is_scheduled(playbook):
        listed = ", ".join(await runnable(inv)) or text("none", inv.locale)
        if playbook is None:
            raise Usage(text("run_unknown", inv.locale, ritual=name, runnable=listed))
        said = {"ritual": name, "title": title(inv, name), "runnable": listed}
        raise Refused(text("run_not_scheduled", inv.locale, **said))
    if name not in await inv.tx.directory.enabled_playbooks(community.id):
        raise Refused(
            text("run_off", inv.locale, ritual=name, title=title(inv, name), name=community.name)
        )
    await inv.tx.runs.record_fire(community.id, name, inv.now)
    await inv.tx.runs.request_launch(community.id, name, inv.now, requested_by=inv.member.user_id)
    inv.run_now = name  # the scheduler executes it once the answer is committed
    key = "run_started_members" if playbook.has_member_subject else "run_started_community"
    inv.say(key, title=title(inv, name), name=community.name)
