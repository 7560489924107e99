"""A facilitator's home: each community they facilitate at a glance — active share against
the target with its trend, open warnings, the three most pressing things to do, and a button
opening the dashboard (a signed link, as ``/animateur dashboard`` makes). Group figures only,
withheld (with the reason) under five members."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from bot.runtime.dashboard.links import DashboardLinks, Grant, Unavailable
from bot.runtime.indicators import PulseData, compute
from bot.runtime.pulse_report import read_pulse
from bot.runtime.pulse_warnings import warnings
from bot.runtime.texts import text
from bot.vocabulary.actions import HomeButton, HomeSection
from bot.vocabulary.events import Platform, WorkspaceRef
from storage.store import Transaction
from storage.tables import Community, Workspace

#: Weeks read for the trend and the warnings (a fall must last three weeks).
WEEKS = 4
#: Suggested actions shown at most.
TOP_ACTIONS = 3
#: Communities shown at a glance at most: a facilitator of more is sent to the dashboard
#: (Slack's App Home holds 100 blocks; a glance takes four).
MAX_GLANCES = 5


def trend_arrow(weekly: list[float | None]) -> str:
    """↗, ↘ or → from the last two weeks' active share; "" without two weeks to compare."""
    known = [share for share in weekly if share is not None][-2:]
    if len(known) < 2:
        return ""
    before, last = known
    return "↗" if last > before else "↘" if last < before else "→"


def _pct(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


@dataclass(frozen=True)
class Glance:
    """What a facilitator's home reads of one community they facilitate."""

    data: PulseData
    running: int


async def read_glances(
    tx: Transaction, workspace_id: int, user_id: str, now: datetime, asking: Collection[str]
) -> dict[int, Glance]:
    """The pulse of the (first MAX_GLANCES) communities ``user_id`` facilitates, by community
    id — a long read,
    done in a read transaction of its own (``Store.read``), outside any event's write one.
    ``asking``: the rituals that ask something (the others have no response rate)."""
    glances: dict[int, Glance] = {}
    for community in await tx.directory.communities(workspace_id):
        if user_id not in community.facilitators or community.id is None:
            continue
        if len(glances) == MAX_GLANCES:
            break
        data = await read_pulse(tx, community, now, WEEKS, asking)
        glances[community.id] = Glance(data, await tx.runs.count_active(community.id))
    return glances


def dashboard_button(
    workspace: Workspace, user_id: str, channel: str | None, locale: str, links: DashboardLinks
) -> tuple[HomeButton, ...]:
    """The button opening the dashboard (at ``channel``'s page, else its index); none without
    a key to sign the link."""
    ref = WorkspaceRef(cast(Platform, workspace.platform), workspace.external_id)
    try:
        url = links.link(Grant(ref, user_id, channel))
    except Unavailable:  # logged once by links: the home goes without the button
        return ()
    return (HomeButton(text("button_dashboard", locale), "", url=url, style="primary"),)


def more_facilitated(
    workspace: Workspace, user_id: str, more: int, locale: str, links: DashboardLinks | None
) -> HomeSection:
    """The line standing for the facilitated communities not shown at a glance."""
    buttons = () if links is None else dashboard_button(workspace, user_id, None, locale, links)
    return HomeSection(
        title="", text=text("home_more_facilitated", locale, count=more), buttons=buttons
    )


def health_section(
    workspace: Workspace,
    community: Community,
    glance: Glance,
    user_id: str,
    locale: str,
    links: DashboardLinks | None,
) -> HomeSection:
    data = glance.data
    indicators = compute(data, WEEKS, links=False)
    figures = indicators.figures
    share = figures.get("active_28d_pct")
    target = community.target_engagement
    if share is None:
        lines = [text("home_active_withheld", locale, target=target, min=5)]
    else:
        arrow = trend_arrow([w["active_pct"] for w in figures["weeks"]])
        shown = f"{_pct(share)} %" + (f" {arrow}" if arrow else "")
        lines = [text("home_active", locale, active=shown, target=target)]
    lines.append(text("home_running", locale, running=glance.running))
    found = warnings(indicators, data)
    if found:
        lines.append(text("home_warnings", locale, count=len(found)))
        kinds = list(dict.fromkeys(w.kind for w in found))[:TOP_ACTIONS]
        lines.append(text("home_next_steps", locale))
        lines += [f"• {text(f'action_{kind}', locale)}" for kind in kinds]
    else:
        lines.append(text("home_no_warning", locale))
    buttons: tuple[HomeButton, ...] = ()
    if links is not None:
        buttons = dashboard_button(workspace, user_id, community.channel_id, locale, links)
    return HomeSection(
        title=text("home_facilitating", locale, name=community.name),
        text="\n".join(lines),
        buttons=buttons,
    )
