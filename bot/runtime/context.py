"""Build the engine's view of a run's world from stored rows, and resolve its language."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from bot.vocabulary.events import MemberProfile
from playbooks.calendar import Calendar, valid_zone, zone_name
from playbooks.engine import CommunityContext, MemberContext, RunContext
from storage.tables import Community, Member, Workspace

log = logging.getLogger(__name__)

SUPPORTED_LOCALES = ("en", "fr")
#: (member, what, value) already reported: an unknown value is logged once per process.
_REPORTED: set[tuple[str, str, str]] = set()
_REPORTED_MAX = 10_000


def normalize_locale(value: str | None) -> str | None:
    """``fr-FR``, ``fr_CA``, ``FR`` → ``fr``; unsupported or empty → None."""
    if not value:
        return None
    language = value.replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def known_profile(profile: MemberProfile) -> MemberProfile:
    """``profile`` without a timezone or locale the bot does not know (``Mars/Olympus``,
    ``tlh``): those are not stored, so the member follows the community's (then UTC / en).
    Each is logged once with the member's id, not at every event or tick."""
    unknown = {}
    if profile.timezone and valid_zone(profile.timezone) is None:
        unknown["timezone"] = profile.timezone
    if profile.locale and normalize_locale(profile.locale) is None:
        unknown["locale"] = profile.locale
    for what, value in unknown.items():
        seen = (profile.user_id, what, value)
        if seen in _REPORTED:
            continue
        if len(_REPORTED) >= _REPORTED_MAX:
            _REPORTED.clear()
        _REPORTED.add(seen)
        log.warning(
            "unknown %s from the platform ignored; the community's is used",
            what,
            extra={"member": profile.user_id, "value": value[:64]},
        )
    if not unknown:
        return profile
    return replace(
        profile,
        timezone=None if "timezone" in unknown else profile.timezone,
        locale=None if "locale" in unknown else profile.locale,
    )


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
