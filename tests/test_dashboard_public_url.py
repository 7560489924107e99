"""A dashboard link only helps if it opens where people are: with Slack or Teams configured
and ANIMATEUR_PUBLIC_URL left at a loopback address, the bot warns at start-up and the
``dashboard`` command tells the facilitator (in their language) the link opens nowhere else."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from bot.app import build
from bot.settings import Settings, SlackSettings, TeamsSettings
from tests.conftest import Harness
from tests.test_dashboard import command

SLACK = SlackSettings(bot_token="xoxb-1", signing_secret="s", _env_file=None)
NO_TEAMS = TeamsSettings(_env_file=None)
#: with Slack the key also encrypts stored tokens: a Fernet key
KEY = Fernet.generate_key().decode()


def settings(public_url: str) -> Settings:
    return Settings(public_url=public_url, secret_key=KEY, playground=False, _env_file=None)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:3000", True),
        ("http://localhost:3000", True),
        ("http://[::1]:3000", True),
        ("https://animateur.example.org", False),
        ("http://10.0.0.4:3000", False),
    ],
)
def test_loopback_public_urls_are_recognised(url: str, loopback: bool) -> None:
    assert settings(url).public_url_is_loopback is loopback


async def test_with_slack_and_a_loopback_url_the_start_warns_and_the_command_says_so(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        bot = build(settings("http://127.0.0.1:3000"), slack=SLACK, teams=NO_TEAMS)
    assert any("ANIMATEUR_PUBLIC_URL is a loopback" in r.getMessage() for r in caplog.records)
    harness.dispatcher.dashboard = bot.dispatcher.dashboard
    said = await command(harness, "U-dan")
    assert "/dashboard/open?token=" in said and "only opens on the bot's own machine" in said
    french = await command(harness, "U-dan", locale="fr-FR")
    assert "ne s'ouvre que sur la machine du bot" in french
    await bot.store.engine.dispose()


async def test_with_a_public_url_or_in_the_playground_nothing_is_said(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        public = build(settings("https://animateur.example.org"), slack=SLACK, teams=NO_TEAMS)
        playground = build(
            Settings(secret_key=KEY, playground=True, _env_file=None), slack=None, teams=NO_TEAMS
        )
    assert not any("loopback" in r.getMessage() for r in caplog.records)
    harness.dispatcher.dashboard = public.dispatcher.dashboard
    said = await command(harness, "U-dan")
    assert said.startswith("Your dashboard (Data & IA): https://animateur.example.org/dashboard/")
    assert "only opens" not in said
    harness.dispatcher.dashboard = playground.dispatcher.dashboard
    said = await command(harness, "U-dan", locale="de")
    assert "http://127.0.0.1:3000/dashboard/open?token=" in said and "only opens" not in said
    for bot in (public, playground):
        await bot.store.engine.dispose()
