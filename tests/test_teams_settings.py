"""Teams credentials: new Azure Bots are single-tenant (multi-tenant creation ended 2025-07-31)."""

from __future__ import annotations

import pytest

from bot.app import ConfigurationError, build
from bot.settings import Settings, TeamsSettings

APP_ID = "00000000-0000-0000-0000-000000000001"


def test_single_tenant_is_the_default_and_needs_the_tenant_id() -> None:
    settings = Settings(_env_file=None)
    with pytest.raises(ConfigurationError, match="MICROSOFT_APP_TENANT_ID is required"):
        build(settings, teams=TeamsSettings(id=APP_ID, password="pw", _env_file=None))
    teams = TeamsSettings(id=APP_ID, password="pw", tenant_id="tid-1", _env_file=None)
    bot = build(settings, teams=teams)
    assert bot.teams is not None
    assert (bot.teams.config.app_type, bot.teams.config.tenant_id) == ("SingleTenant", "tid-1")


def test_a_bot_registered_as_multi_tenant_before_2025_still_runs() -> None:
    teams = TeamsSettings(id=APP_ID, password="pw", type="multitenant", _env_file=None)
    bot = build(Settings(_env_file=None), teams=teams)
    assert bot.teams is not None and bot.teams.config.app_type == "MultiTenant"


def test_an_unknown_app_type_names_the_ones_that_exist() -> None:
    teams = TeamsSettings(id=APP_ID, password="pw", type="Multi", _env_file=None)
    with pytest.raises(ConfigurationError, match="SingleTenant, MultiTenant, UserAssignedMSI"):
        build(Settings(_env_file=None), teams=teams)
