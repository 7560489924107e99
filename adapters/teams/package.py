"""The Teams app package: manifest.json and its two icons, zipped for upload to Teams.

The manifest declares one bot (the Azure Bot's Microsoft App ID doubles as the app id) with
its commands, and asks the team's owner, when the app is added to a team, for the
resource-specific consent ``ChannelMessage.Read.Group``: with it the bot receives every message
of the team's channels (and their edits, deletions and reactions), not only those that
@mention it — which it needs to see whether the community lives. It keeps their metadata, never
their text. RSC needs ``webApplicationInfo`` (the bot's app id; its ``resource`` is unused by
RSC but must be set) and manifest schema 1.12 or later.
"""

from __future__ import annotations

import json
import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any, TypedDict, Unpack

from adapters.teams.icons import BRAND, color_icon, outline_icon

#: Generally available manifest schema the package is written against.
MANIFEST_VERSION = "1.27"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)

#: Schema limits (characters).
SHORT_NAME_MAX, FULL_NAME_MAX, DEVELOPER_NAME_MAX = 30, 100, 32
SHORT_DESCRIPTION_MAX, FULL_DESCRIPTION_MAX = 80, 4000
COMMAND_TITLE_MAX, COMMAND_DESCRIPTION_MAX = 32, 128

COLOR_ICON, OUTLINE_ICON, MANIFEST = "color.png", "outline.png", "manifest.json"

#: What the bot answers to (by @mention in a team, directly in a personal chat). Only commands
#: the bot handles today: more are added here as they are built.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "List what Animateur can do here and the commands you can use."),
    ("community", "community show: this team's purpose, charter and people (setup: facilitators)."),
    ("rituals", "rituals list: the rituals here and whether they are on."),
    ("checkin", "checkin now: facilitators run the weekly check-in at once."),
    ("health", "health: facilitators see the community's pulse and what needs attention."),
    ("optout", "Stop receiving a ritual, or all of them: optout <ritual> or optout all."),
    ("optin", "Receive a ritual again: optin <ritual> or optin all."),
    ("snooze", "Pause all rituals for a while: snooze 2w (snooze off to resume)."),
    ("language", "Choose the language Animateur speaks with you: language en or language fr."),
)
#: Resource-specific consent the app asks for in a team: read its channels' messages.
RSC_PERMISSIONS: tuple[dict[str, str], ...] = (
    {"name": "ChannelMessage.Read.Group", "type": "Application"},
)
COMMAND_SCOPES = ("personal", "team")
BOT_SCOPES = ("personal", "team", "groupChat")

#: Only what the bot does today (the bundled rituals).
SHORT_DESCRIPTION = "Welcomes, weekly check-ins, sharing challenges and intros for communities."
FULL_DESCRIPTION = (
    "Animateur helps facilitators run communities of practice in Microsoft Teams. A "
    "facilitator declares a team as a community, with its objective, charter and "
    "facilitators, then switches on rituals that the bot runs: a welcome journey for every "
    "newcomer (a welcome message, the charter to accept, a few questions over their first "
    "week) and a weekly check-in (each member's objective on Monday, how it went on Friday, "
    "and a summary for the community) and a weekly knowledge-sharing challenge (a prompt in "
    "the channel, answered in its thread, and a recap thanking each contributor), intros "
    "(every two weeks, members who rarely cross paths are introduced in pairs, each in their "
    "own chat, and asked a week later whether they met), a gentle, private nudge with "
    "something useful for members silent for 30 days, and a monthly note to each sponsor "
    "with concrete acts that lead by example. "
    "Facilitators receive digests of the answers.\n\n"
    "Mention Animateur with help to see the commands. Each member chooses which rituals they "
    "receive, can pause them, and speaks with the bot in English or French.\n\n"
    "To show facilitators whether their community lives (who takes part, which questions get "
    "an answer), Animateur reads the messages of the team's channels, with the team owner's "
    "consent: it keeps who posted, replied or reacted, where and when, and whether a post "
    "asked a question — never the text of channel messages, only the answers given to its "
    "rituals."
)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SEMVER = re.compile(r"^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$")


class ManifestOptions(TypedDict, total=False):
    """The optional arguments of :func:`build_manifest`."""

    name: str
    version: str
    developer_name: str
    website: str | None
    privacy: str | None
    terms: str | None


def build_manifest(
    app_id: str,
    domain: str,
    *,
    name: str = "Animateur",
    version: str = "1.0.0",
    developer_name: str = "Animateur",
    website: str | None = None,
    privacy: str | None = None,
    terms: str | None = None,
) -> dict[str, Any]:
    """The manifest.json of the bot ``app_id`` served on ``domain`` (a bare hostname).

    Developer URLs default to https://{domain}/, /privacy and /terms.
    Raises ValueError, saying what to fix, on an argument Teams would refuse.
    """
    app_id = _check_app_id(app_id)
    domain = _check_domain(domain)
    _check_length("name", name, SHORT_NAME_MAX)
    _check_length("developer_name", developer_name, DEVELOPER_NAME_MAX)
    if not _SEMVER.match(version):
        raise ValueError(
            f"version must be MAJOR.MINOR.PATCH like '1.0.0' (Teams wants semver), got {version!r}"
        )
    base = f"https://{domain}"
    full_name = f"{name}: community facilitation rituals"
    commands = [{"title": title, "description": description} for title, description in COMMANDS]
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": developer_name,
            "websiteUrl": _check_https("website", website or f"{base}/"),
            "privacyUrl": _check_https("privacy", privacy or f"{base}/privacy"),
            "termsOfUseUrl": _check_https("terms", terms or f"{base}/terms"),
        },
        "name": {"short": name, "full": full_name if len(full_name) <= FULL_NAME_MAX else name},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*BRAND),
        "bots": [
            {
                "botId": app_id,
                "scopes": list(BOT_SCOPES),
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": [scope], "commands": commands} for scope in COMMAND_SCOPES
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain],
        # RSC: every channel message of the team, not only @mentions (no SSO: resource unused)
        "webApplicationInfo": {"id": app_id, "resource": f"{base}/"},
        "authorization": {
            "permissions": {"resourceSpecific": [dict(p) for p in RSC_PERMISSIONS]},
        },
    }


def build_package(app_id: str, domain: str, **kw: Unpack[ManifestOptions]) -> bytes:
    """The app package (zip) to upload to Teams: manifest.json, color.png and outline.png."""
    manifest = build_manifest(app_id, domain, **kw)
    files = {
        MANIFEST: (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        COLOR_ICON: color_icon(),
        OUTLINE_ICON: outline_icon(),
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in files.items():
            entry = zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return buffer.getvalue()


def write_package(path: Path, app_id: str, domain: str, **kw: Unpack[ManifestOptions]) -> Path:
    """Write the app package to ``path`` (a directory gets ``animateur-teams.zip``); return it."""
    if path.is_dir():
        path = path / "animateur-teams.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_package(app_id, domain, **kw))
    return path


def _check_app_id(app_id: str) -> str:
    value = app_id.strip()
    if not _GUID.match(value):
        raise ValueError(
            "app_id must be the bot's Microsoft App ID, a GUID like "
            f"'00000000-0000-0000-0000-000000000000', got {app_id!r}"
        )
    return value


def _check_domain(domain: str) -> str:
    value = domain.strip().lower()
    if "://" in value:
        raise ValueError(
            f"domain must be a bare hostname like 'bot.example.com', without a scheme: "
            f"got {domain!r}"
        )
    if any(sign in value for sign in "/?#@:"):
        raise ValueError(
            f"domain must be a bare hostname like 'bot.example.com', without a path or port: "
            f"got {domain!r}"
        )
    labels = value.split(".")
    if not value or len(value) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"domain must be a valid hostname like 'bot.example.com', got {domain!r}")
    return value


def _check_length(field: str, value: str, limit: int) -> None:
    if not value.strip() or len(value) > limit:
        raise ValueError(
            f"{field} must be 1 to {limit} characters (Teams' limit), got {len(value)}: {value!r}"
        )


def _check_https(field: str, url: str) -> str:
    if not url.startswith("https://") or len(url) > 2048:
        raise ValueError(f"{field} must be an https:// URL (Teams requires it), got {url!r}")
    return url
