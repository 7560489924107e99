"""The member's home: for facilitators, each community they facilitate at a glance
(``bot.runtime.home_health``); for everyone, their communities, the rituals they get with
opt-out toggles, and their own contributions (``bot.runtime.home_contributions``). Neutral
content: the adapters render it (Slack App Home, Teams card)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.runtime.dashboard.links import DashboardLinks
from bot.runtime.home_contributions import CONTRIBUTION_DAYS, Contributions, own_contributions
from bot.runtime.home_health import (
    MAX_GLANCES,
    Glance,
    health_section,
    more_facilitated,
    read_glances,
)
from bot.runtime.preferences import set_opted
from bot.runtime.texts import text
from bot.vocabulary.actions import HomeButton, HomeSection, PublishHome
from bot.vocabulary.events import MessageRef
from playbooks.schema import Playbook
from storage.store import Transaction
from storage.tables import Member, Workspace

OPTOUT, OPTIN = "optout:", "optin:"
#: the value of the home's own toggles: a click on one shows the home again, in place (on
#: Teams the home is a card in the chat); a ritual DM's stop button has none
FROM_HOME = "home"
#: Communities of the member shown with their rituals at most: more would overflow Slack's
#: App Home (100 blocks); the others are named by a line saying how to reach them.
MAX_JOINED = 8


async def build_home(
    tx: Transaction,
    workspace: Workspace,
    member: Member,
    playbooks: Mapping[str, Playbook],
    locale: str,
    now: datetime,
    links: DashboardLinks | None = None,
    glances: Mapping[int, Glance] | None = None,
    replacing: MessageRef | None = None,
) -> PublishHome:
    """``replacing``: the home card this one takes the place of (Teams, after a toggle).
    ``links``: signs the dashboard button's link (None: no dashboard, no button).
    ``glances``: the pulse of the communities the member facilitates, read beforehand outside
    the write transaction (``read_glances``); None: read here, in ``tx``."""
    assert workspace.id is not None
    sections = [HomeSection(title="", text=text("home_intro", locale))]
    # the communities they are in: not those they left (their toggles no longer matter there)
    joined = set(await tx.activity.community_ids_for(workspace.id, member.user_id, not_left=True))
    communities = await tx.directory.communities(workspace.id)
    if glances is None:
        glances = await read_glances(
            tx, workspace.id, member.user_id, now, asking_rituals(playbooks)
        )
    facilitated = [c for c in communities if member.user_id in c.facilitators]
    shown = 0
    for community in facilitated:
        glance = glances.get(community.id) if community.id is not None else None
        if glance is not None and shown < MAX_GLANCES:
            shown += 1
            sections.append(
                health_section(workspace, community, glance, member.user_id, locale, links)
            )
    if len(facilitated) > shown and shown == MAX_GLANCES:
        more = len(facilitated) - shown
        sections.append(more_facilitated(workspace, member.user_id, more, locale, links))
    mine = [c for c in communities if c.id in joined]
    ids = [c.id for c in mine if c.id is not None]
    enabled = await tx.directory.enabled_playbooks_of(ids)
    contributed = await own_contributions(tx, ids, member.user_id, now)
    if member.opted_out_all:
        sections.append(
            HomeSection(
                title="",
                text=text("home_all_paused", locale),
                buttons=(HomeButton(text("button_optin_all", locale), f"{OPTIN}all", FROM_HOME),),
            )
        )
    if not mine:
        sections.append(HomeSection(title="", text=text("home_no_community", locale)))
    for community in mine[:MAX_JOINED]:
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
            callback = f"{OPTIN if off else OPTOUT}{name}"
            buttons.append(HomeButton(text(key, locale, title=title), callback, FROM_HOME))
        sections.append(
            HomeSection(
                title=community.name,
                text="\n".join(
                    [
                        *(lines or [text("home_no_ritual", locale)]),
                        contributions_line(contributed.get(community.id, Contributions()), locale),
                    ]
                ),
                buttons=tuple(buttons),
            )
        )
    if len(mine) > MAX_JOINED:
        sections.append(
            HomeSection(
                title="", text=text("home_more_joined", locale, count=len(mine) - MAX_JOINED)
            )
        )
    if mine and not member.opted_out_all:
        sections.append(
            HomeSection(
                title="",
                text="",
                buttons=(
                    HomeButton(
                        text("button_optout_all", locale), f"{OPTOUT}all", FROM_HOME, "danger"
                    ),
                ),
            )
        )
    return PublishHome(
        user_id=member.user_id,
        title=text("home_title", locale),
        sections=tuple(sections),
        shortened=text("home_shortened", locale),
        message=replacing,
    )


def asking_rituals(playbooks: Mapping[str, Playbook]) -> set[str]:
    """The rituals that ask something (the others have no response rate)."""
    return {n for n, p in playbooks.items() if any(s.kind == "ask" for s in p.steps)}


def contributions_line(mine: Contributions, locale: str) -> str:
    """The member's own figures (shown only to them: no group threshold applies)."""
    return text(
        "home_contributions",
        locale,
        days=CONTRIBUTION_DAYS,
        posts=mine.posts,
        replies=mine.replies,
        reactions=mine.reactions,
        kudos=mine.kudos,
    )


def toggle_of(callback: str) -> tuple[str, bool] | None:
    """``(ritual or "all", out)`` for an opt-out or opt-in button's callback, else None."""
    if callback.startswith(OPTOUT):
        return callback.removeprefix(OPTOUT), True
    if callback.startswith(OPTIN):
        return callback.removeprefix(OPTIN), False
    return None


def apply_toggle(member: Member, callback: str) -> bool:
    """Opt the member out of (or back into) one ritual or all, as ``optout``/``optin`` do;
    False if not a toggle."""
    toggle = toggle_of(callback)
    if toggle is None:
        return False
    set_opted(member, *toggle)
    return True
