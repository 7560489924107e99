"""Settings from the environment, with the defaults a first run expects."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults_are_the_embedded_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANIMATEUR_DATABASE_URL", "ANIMATEUR_PORT", "ANIMATEUR_PLAYGROUND"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./animateur.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.playground_enabled(slack_configured=False, teams_configured=False)
    assert not settings.playground_enabled(slack_configured=True, teams_configured=False)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", "postgresql+asyncpg://bot@db/animateur")
    monkeypatch.setenv("ANIMATEUR_PORT", "8080")
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.port == 8080


def test_production_has_no_playground_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANIMATEUR_ENV", "production")
    monkeypatch.delenv("ANIMATEUR_PLAYGROUND", raising=False)
    assert not Settings(_env_file=None).playground_enabled(False, False)
    monkeypatch.setenv("ANIMATEUR_PLAYGROUND", "true")
    assert Settings(_env_file=None).playground_enabled(False, False)


def test_a_bad_port_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANIMATEUR_PORT", "99999")
    with pytest.raises(ValueError, match="port"):
        Settings(_env_file=None)


def test_delivery_lease_and_concurrency_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANIMATEUR_DELIVERY_LEASE_SECONDS", "2.5")
    monkeypatch.setenv("ANIMATEUR_DELIVERY_CONCURRENCY", "4")
    settings = Settings(_env_file=None)
    assert (settings.delivery_lease_seconds, settings.delivery_concurrency) == (2.5, 4)
    monkeypatch.setenv("ANIMATEUR_DELIVERY_LEASE_SECONDS", "0.1")  # renewed every 33 ms: no
    with pytest.raises(ValueError, match="delivery_lease_seconds"):
        Settings(_env_file=None)


def test_delivery_retention_is_30_days_unless_set_and_at_least_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANIMATEUR_DELIVERY_RETENTION_DAYS", raising=False)
    assert Settings(_env_file=None).delivery_retention_days == 30
    monkeypatch.setenv("ANIMATEUR_DELIVERY_RETENTION_DAYS", "7")
    assert Settings(_env_file=None).delivery_retention_days == 7
    monkeypatch.setenv("ANIMATEUR_DELIVERY_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="delivery_retention_days"):
        Settings(_env_file=None)
