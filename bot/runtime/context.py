"""Build the engine's view of a run's world from stored rows, and resolve its language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from playbooks.calendar import Calendar, zone_name
from playbooks.engine import CommunityContext, MemberContext, RunContext
from storage.tables import Community, Member, Workspace

SUPPORTED_LOCALES = ("en", "fr")


def normalize_locale(value: str | None) -> str | None:
    """``fr-FR``, ``fr_CA``, ``FR`` → ``fr``; unsupported or empty → None."""
    if not value:
        return None
    language = value.replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def resolve_locale(member: Member | None, community: Community | None, workspace: Workspace) -> str:
    """The member's language, else the community's, else the workspace's, else English."""
    community_locale = community.locale if community else None
    chosen = (member.language or member.locale) if member else None
    for candidate in (chosen, community_locale, workspace.locale):
        locale = normalize_locale(candidate)
        if locale:
            return locale
    return "en"


def community_context(community: Community) -> CommunityContext:
    return CommunityContext(
        channel=community.channel_id,
        name=community.name,
        objective=community.objective,
        charter=community.charter,
        facilitators=tuple(community.facilitators),
        sponsors=tuple(community.sponsors),
        target_engagement=community.target_engagement,
        timezone=community.timezone,
        resources=community.resources,
    )


def calendar_for(community: Community, timezone: str | None = None) -> Calendar:
    """The community's working time, read in ``timezone`` (a member's) or the community's."""
    holidays = set()
    for day in community.holidays:
        try:
            holidays.add(date.fromisoformat(day))
        except ValueError:
            continue  # validated on input; an old bad row must not stop rituals
    return Calendar(
        timezone=zone_name(timezone, community.timezone),
        hours=community.working_hours,
        workdays=tuple(community.working_days),
        holidays=frozenset(holidays),
    )


def run_context(
    run_id: str,
    community: Community,
    member: Member | None,
    workspace: Workspace,
    overrides: Mapping[str, Any] | None = None,
) -> RunContext:
    return RunContext(
        overrides=MappingProxyType(dict(overrides or {})),
        calendar=calendar_for(community, member.timezone if member else None),
        run_id=run_id,
        community=community_context(community),
        member=MemberContext(member.user_id, member.display_name or member.user_id)
        if member
        else None,
        locale=resolve_locale(member, community, workspace),
    )
