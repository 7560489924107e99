"""The Teams app package: what an admin uploads must pass Teams' validation."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.manifest import build_manifest as build_slack_manifest
from adapters.teams.icons import color_icon, outline_icon
from adapters.teams.package import (
    FULL_DESCRIPTION,
    SHORT_DESCRIPTION,
    build_manifest,
    build_package,
    write_package,
)
from bot.cli import main
from playbooks.loader import load_library

APP_ID = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
DOMAIN = "animateur.example.com"
REQUIRED = (
    "manifestVersion",
    "version",
    "id",
    "developer",
    "name",
    "description",
    "icons",
    "accentColor",
)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGBA pixels of an 8-bit RGBA PNG, checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC on {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, colour, compression, filtering, interlace) == (8, 6, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * 4 + 1
    assert len(raw) == stride * height
    assert all(raw[row * stride] == 0 for row in range(height))  # filter 0 on every row
    pixels = b"".join(raw[row * stride + 1 : (row + 1) * stride] for row in range(height))
    return width, height, pixels


def rgba(pixels: bytes) -> list[tuple[int, ...]]:
    return [tuple(pixels[i : i + 4]) for i in range(0, len(pixels), 4)]


@pytest.fixture
def manifest() -> dict[str, Any]:
    return build_manifest(APP_ID, DOMAIN)


def test_the_package_holds_exactly_the_manifest_and_both_icons() -> None:
    files = unzip(build_package(APP_ID, DOMAIN))

    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(files["manifest.json"].decode("utf-8"))
    assert manifest == build_manifest(APP_ID, DOMAIN)
    assert files["manifest.json"].startswith(b"{\n  ")  # indented, readable
    assert files["color.png"] == color_icon()
    assert files["outline.png"] == outline_icon()


def test_the_package_is_reproducible() -> None:
    assert build_package(APP_ID, DOMAIN) == build_package(APP_ID, DOMAIN)


def test_the_manifest_has_every_required_key_and_names_its_schema(
    manifest: dict[str, Any],
) -> None:
    for key in REQUIRED:
        assert key in manifest
    version = manifest["manifestVersion"]
    assert tuple(int(part) for part in version.split(".")) >= (1, 17)
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )
    assert manifest["version"] == "1.0.0"
    assert re.fullmatch(r"#[0-9A-F]{6}", manifest["accentColor"])
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_package_asks_to_read_every_channel_message_of_a_team() -> None:
    """Resource-specific consent: without ChannelMessage.Read.Group a bot only gets the channel
    messages that @mention it. It needs webApplicationInfo (the bot's id, some resource) and
    schema 1.12 or later; the description says what is read and kept."""
    manifest = json.loads(unzip(build_package(APP_ID, DOMAIN))["manifest.json"])
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "ChannelMessage.Read.Group", "type": "Application"}
    ]
    assert manifest["webApplicationInfo"]["id"] == APP_ID == manifest["bots"][0]["botId"]
    assert manifest["webApplicationInfo"]["resource"]
    version = tuple(int(part) for part in manifest["manifestVersion"].split("."))
    assert version >= (1, 12)
    assert "never the text of channel messages" in manifest["description"]["full"]


def test_the_manifest_declares_the_bot_with_its_commands(manifest: dict[str, Any]) -> None:
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is False and bot["isNotificationOnly"] is False
    assert [lst["scopes"] for lst in bot["commandLists"]] == [["personal"], ["team"]]
    for command_list in bot["commandLists"]:
        titles = [command["title"] for command in command_list["commands"]]
        assert titles == [
            "help",
            "community",
            "rituals",
            "checkin",
            "health",
            "optout",
            "optin",
            "snooze",
            "language",
        ]
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["validDomains"] == [DOMAIN]


def test_the_manifest_respects_the_schema_limits(manifest: dict[str, Any]) -> None:
    assert 0 < len(manifest["name"]["short"]) <= 30
    assert 0 < len(manifest["name"]["full"]) <= 100
    assert 0 < len(manifest["developer"]["name"]) <= 32
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert 0 < len(manifest["description"]["full"]) <= 4000
    assert manifest["description"]["full"] != manifest["description"]["short"]
    for command_list in manifest["bots"][0]["commandLists"]:
        assert len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert 0 < len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128


def test_developer_urls_default_to_the_domain_and_can_be_overridden() -> None:
    default = build_manifest(APP_ID, DOMAIN)["developer"]
    assert default == {
        "name": "Animateur",
        "websiteUrl": f"https://{DOMAIN}/",
        "privacyUrl": f"https://{DOMAIN}/privacy",
        "termsOfUseUrl": f"https://{DOMAIN}/terms",
    }

    custom = build_manifest(
        APP_ID,
        DOMAIN,
        name="Rituels",
        version="2.3.4",
        developer_name="Contoso IT",
        website="https://contoso.example/animateur",
        privacy="https://contoso.example/privacy",
        terms="https://contoso.example/terms",
    )
    assert custom["name"]["short"] == "Rituels"
    assert custom["version"] == "2.3.4"
    assert custom["developer"] == {
        "name": "Contoso IT",
        "websiteUrl": "https://contoso.example/animateur",
        "privacyUrl": "https://contoso.example/privacy",
        "termsOfUseUrl": "https://contoso.example/terms",
    }


def test_the_color_icon_is_a_192_pixel_png_in_the_brand_colour() -> None:
    width, height, pixels = decode_png(color_icon())

    assert (width, height) == (192, 192)
    colours = set(rgba(pixels))
    assert (0x3B, 0x3F, 0x99, 255) in colours  # the background
    assert (255, 255, 255, 255) in colours  # the mark
    assert color_icon() == color_icon()


def test_the_outline_icon_is_32_pixels_of_white_on_transparent() -> None:
    width, height, pixels = decode_png(outline_icon())

    assert (width, height) == (32, 32)
    colours = rgba(pixels)
    assert all(alpha == 0 or (r, g, b) == (255, 255, 255) for r, g, b, alpha in colours)
    assert any(alpha == 255 for *_, alpha in colours)  # a visible mark
    assert colours[0][3] == 0  # on a transparent background


def test_write_package_writes_the_zip(tmp_path: Path) -> None:
    written = write_package(tmp_path / "out" / "teams.zip", APP_ID, DOMAIN, version="1.2.0")

    assert written == tmp_path / "out" / "teams.zip"
    manifest = json.loads(unzip(written.read_bytes())["manifest.json"])
    assert manifest["version"] == "1.2.0"
    assert write_package(tmp_path, APP_ID, DOMAIN).parent == tmp_path


@pytest.mark.parametrize("app_id", ["", "my-bot", "1b2c3d4e5f604a7b8c9d0e1f2a3b4c5d", APP_ID + "0"])
def test_an_app_id_that_is_not_a_guid_is_refused(app_id: str) -> None:
    with pytest.raises(ValueError, match="app_id must be the bot's Microsoft App ID, a GUID"):
        build_manifest(app_id, DOMAIN)


@pytest.mark.parametrize(
    "domain", ["https://animateur.example.com", "http://animateur.example.com"]
)
def test_a_domain_with_a_scheme_is_refused(domain: str) -> None:
    with pytest.raises(ValueError, match=r"bare hostname .* without a scheme"):
        build_package(APP_ID, domain)


@pytest.mark.parametrize(
    "domain", ["animateur.example.com/bot", "animateur.example.com:8443", "", "bad_host.example"]
)
def test_a_domain_that_is_not_a_hostname_is_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="domain must be a"):
        build_manifest(APP_ID, domain)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "A" * 31}, "name must be 1 to 30 characters"),
        ({"developer_name": "D" * 33}, "developer_name must be 1 to 32 characters"),
        ({"version": "1.0"}, "version must be MAJOR.MINOR.PATCH"),
        ({"privacy": "http://example.com/privacy"}, "privacy must be an https:// URL"),
    ],
)
def test_values_teams_would_refuse_are_refused_early(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build_manifest(APP_ID, DOMAIN, **kwargs)


def test_the_cli_writes_into_a_fresh_temporary_folder_by_default_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # as if run from a checkout
    assert main(["teams", "package", "--app-id", APP_ID, "--domain", DOMAIN]) == 0
    assert list(tmp_path.iterdir()) == [], "nothing written into the current folder"
    said = capsys.readouterr().out
    written = Path(said.split("wrote ", 1)[1].split(":", 1)[0])
    assert written.is_absolute() and written.name == "animateur-teams.zip"
    assert written.parent.name.startswith("animateur-teams-")
    manifest = json.loads(unzip(written.read_bytes())["manifest.json"])
    assert manifest["developer"]["privacyUrl"] == f"https://{DOMAIN}/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == f"https://{DOMAIN}/terms"


def test_the_cli_takes_privacy_and_terms_urls_and_an_explicit_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "teams.zip"
    argv = ["teams", "package", "--app-id", APP_ID, "--domain", DOMAIN, "-o", str(out)]
    urls = [
        "--privacy-url",
        "https://contoso.example/p",
        "--terms-url",
        "https://contoso.example/t",
    ]
    assert main([*argv, *urls]) == 0
    assert f"wrote {out}:" in capsys.readouterr().out
    developer = json.loads(unzip(out.read_bytes())["manifest.json"])["developer"]
    assert (developer["privacyUrl"], developer["termsOfUseUrl"]) == (
        "https://contoso.example/p",
        "https://contoso.example/t",
    )
    assert main([*argv, "--privacy-url", "http://contoso.example/p"]) == 2
    assert "privacy must be an https:// URL" in capsys.readouterr().err


def test_the_descriptions_promise_only_the_bundled_rituals() -> None:
    library = load_library()
    assert sorted(library) == [
        "challenge",
        "checkin",
        "experts",
        "intros",
        "nudge",
        "sponsor",
        "welcome",
    ], (  # fmt: skip
        "update the descriptions with the library"
    )
    slack = build_slack_manifest("https://bot.example.com", socket_mode=False)
    texts = [SHORT_DESCRIPTION, FULL_DESCRIPTION, slack["display_information"]["description"]]
    for description in texts:
        assert "welcome" in description.lower() and "check-in" in description.lower()
        assert "sharing challenge" in description.lower()
        assert "intros" in description.lower()
        assert not re.search(r"recogni|celebrat|kudos|engagement over time", description, re.I)
    assert "silent for 30 days" in FULL_DESCRIPTION and "each sponsor" in FULL_DESCRIPTION
