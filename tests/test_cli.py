"""The animateur command: clear refusals instead of tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main


def animateur(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``animateur`` command in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])} | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_serve_refuses_a_database_that_is_not_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert main(["serve"]) == 1
    assert "run `animateur db upgrade`" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"]])
def test_an_unreachable_postgresql_is_one_line_saying_what_to_check(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", "postgresql+asyncpg://bob:s3cret@127.0.0.1:1/db")
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "cannot connect to the database at postgresql+asyncpg://bob:***@127.0.0.1:1/db" in err
    assert "check ANIMATEUR_DATABASE_URL" in err
    assert "s3cret" not in err


@pytest.mark.parametrize("url", ["mysql://root@localhost/animateur", "foo://", "not a url"])
@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"]])
def test_an_unsupported_database_url_names_the_ones_that_work(
    url: str, command: list[str], tmp_path: Path
) -> None:
    done = animateur(*command, env={"ANIMATEUR_DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("cannot ") and "ANIMATEUR_DATABASE_URL" in line
    assert "sqlite+aiosqlite:///" in line and "postgresql+asyncpg://" in line
    assert done.stdout == ""


def test_a_url_without_the_async_driver_says_which_driver(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", "postgresql://bob@db.example.com/animateur")
    assert main(["db", "upgrade"]) == 2
    assert "write postgresql+asyncpg://" in capsys.readouterr().err


def test_serve_on_a_busy_port_says_so_and_exits(tmp_path: Path, busy_port: int) -> None:
    env = {"ANIMATEUR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    assert animateur("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    done = animateur("serve", "--port", str(busy_port), env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    problems = [line for line in done.stderr.splitlines() if "cannot start" in line]
    assert problems == [
        f"cannot start: 127.0.0.1:{busy_port} is already in use (another animateur?): stop it, "
        "or choose another port with --port or ANIMATEUR_PORT"
    ]


def test_a_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_TICK_SECONDS", "-1")
    assert main(["db", "upgrade"]) == 2
    assert "configuration error: ANIMATEUR_TICK_SECONDS" in capsys.readouterr().err
