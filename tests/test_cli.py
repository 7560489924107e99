"""The animateur command: clear refusals instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_serve_refuses_a_database_that_is_not_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert main(["serve"]) == 1
    assert "run `animateur db upgrade`" in capsys.readouterr().err


def test_serve_says_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    assert main(["serve"]) == 1
    assert "database unreachable" in capsys.readouterr().err


def test_a_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_TICK_SECONDS", "-1")
    assert main(["db", "upgrade"]) == 2
    assert "configuration error: ANIMATEUR_TICK_SECONDS" in capsys.readouterr().err
