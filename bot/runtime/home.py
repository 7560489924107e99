"""The member's home: their communities, the rituals they get with opt-out toggles, and, for
facilitators, the status of the communities they facilitate."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.runtime.texts import text
from bot.vocabulary.actions import HomeButton, HomeSection, PublishHome
from playbooks.schema import Playbook
from storage.store import Transaction
from storage.tables import Member, Workspace

#: Group figures are shown only for groups at least this large (privacy).
MIN_GROUP = 5
OPTOUT, OPTIN = "optout:", "optin:"


async def build_home(
    tx: Transaction,
    workspace: Workspace,
    member: Member,
    playbooks: Mapping[str, Playbook],
    locale: str,
    now: datetime,
) -> PublishHome:
    assert workspace.id is not None
    sections = [HomeSection(title="", text=text("home_intro", locale))]
    joined = set(await tx.activity.community_ids_for(workspace.id, member.user_id))
    communities = await tx.directory.communities(workspace.id)
    mine = [c for c in communities if c.id in joined]
    enabled = await tx.directory.enabled_playbooks_of([c.id for c in mine if c.id is not None])
    if member.opted_out_all:
        sections.append(
            HomeSection(
                title="",
                text=text("home_all_paused", locale),
                buttons=(HomeButton(text("button_optin_all", locale), f"{OPTIN}all"),),
            )
        )
    if not mine:
        sections.append(HomeSection(title="", text=text("home_no_community", locale)))
    for community in mine:
        assert community.id is not None
        lines: list[str] = []
        buttons: list[HomeButton] = []
        for name in enabled.get(community.id, []):
            playbook = playbooks.get(name)
            if playbook is None:
                continue
            title = playbook.title.get(locale)
            off = name in member.opted_out
            lines.append(text("home_ritual_off" if off else "home_ritual_on", locale, title=title))
            key = "button_optin" if off else "button_optout"
            buttons.append(
                HomeButton(text(key, locale, title=title), f"{OPTIN if off else OPTOUT}{name}")
            )
        sections.append(
            HomeSection(
                title=community.name,
                text="\n".join(lines) or text("home_no_ritual", locale),
                buttons=tuple(buttons),
            )
        )
    if mine and not member.opted_out_all:
        sections.append(
            HomeSection(
                title="",
                text="",
                buttons=(
                    HomeButton(text("button_optout_all", locale), f"{OPTOUT}all", style="danger"),
                ),
            )
        )
    facilitated = [c for c in communities if member.user_id in c.facilitators and c.id is not None]
    actives = await tx.activity.active_counts(
        [c.id for c in facilitated if c.id is not None], now - timedelta(days=30)
    )
    for community in facilitated:
        assert community.id is not None
        active = actives.get(community.id, 0)
        running = await tx.runs.count_active(community.id)
        shown = str(active) if active >= MIN_GROUP else text("home_small_group", locale)
        sections.append(
            HomeSection(
                title=text("home_facilitating", locale, name=community.name),
                text=text(
                    "home_status",
                    locale,
                    active=shown,
                    target=community.target_engagement,
                    running=running,
                ),
            )
        )
    return PublishHome(
        user_id=member.user_id, title=text("home_title", locale), sections=tuple(sections)
    )


def toggle_of(callback: str) -> tuple[str, bool] | None:
    """``(ritual or "all", out)`` for an opt-out or opt-in button's callback, else None."""
    if callback.startswith(OPTOUT):
        return callback.removeprefix(OPTOUT), True
    if callback.startswith(OPTIN):
        return callback.removeprefix(OPTIN), False
    return None


def apply_toggle(member: Member, callback: str) -> bool:
    """Opt the member out of (or back into) one ritual or all; False if not a toggle."""
    toggle = toggle_of(callback)
    if toggle is None:
        return False
    target, out = toggle
    if target == "all":
        member.opted_out_all = out
    else:
        chosen = set(member.opted_out)
        chosen = chosen | {target} if out else chosen - {target}
        member.opted_out = sorted(chosen)
    return True
