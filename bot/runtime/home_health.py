"""A facilitator's home: each community they facilitate at a glance — active share against
the target with its trend, open warnings, the three most pressing things to do, and a button
opening the dashboard (a signed link, as ``/animateur dashboard`` makes). Group figures only,
withheld (with the reason) under five members."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import cast

from bot.runtime.dashboard.links import DashboardLinks, Grant
from bot.runtime.indicators import compute
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


def trend_arrow(weekly: list[float | None]) -> str:
    """↗, ↘ or → from the last two weeks' active share; "" without two weeks to compare."""
    known = [share for share in weekly if share is not None][-2:]
    if len(known) < 2:
        return ""
    before, last = known
    return "↗" if last > before else "↘" if last < before else "→"


def _pct(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


async def health_section(
    tx: Transaction,
    workspace: Workspace,
    community: Community,
    user_id: str,
    locale: str,
    now: datetime,
    links: DashboardLinks | None,
    asking: Collection[str],
) -> HomeSection:
    """``asking``: the rituals that ask something (the others have no response rate)."""
    assert community.id is not None
    data = await read_pulse(tx, community, now, WEEKS, asking)
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
    lines.append(text("home_running", locale, running=await tx.runs.count_active(community.id)))
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
        ref = WorkspaceRef(cast(Platform, workspace.platform), workspace.external_id)
        url = links.link(Grant(ref, user_id, community.channel_id))
        buttons = (HomeButton(text("button_dashboard", locale), "", url=url, style="primary"),)
    return HomeSection(
        title=text("home_facilitating", locale, name=community.name),
        text="\n".join(lines),
        buttons=buttons,
    )
