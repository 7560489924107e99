"""The animateur command: clear refusals instead of tracebacks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.vocabulary.events import WorkspaceRef
from storage.database import make_engine
from storage.store import Store
from storage.tables import Delivery


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


# --- animateur deliveries status (metrics area) ---

#: What every seeded message says: it must never be printed.
PRIVATE = "PRIVATE-TEXT-42 about my salary"


async def _seed_outbox(url: str) -> None:
    """A welcome fan-out under way in the demo workspace (one dead letter), a check-in that
    failed two days ago in Acme's, and older sends outside the default window."""
    now = datetime.now(UTC)
    store = Store(make_engine(url))
    try:
        async with store.transaction() as tx:
            demo = await tx.directory.ensure_workspace(WorkspaceRef("local", "demo"), now, "Demo")
            acme = await tx.directory.ensure_workspace(WorkspaceRef("slack", "T1"), now, "Acme")
            assert demo.id is not None and acme.id is not None
            rows = [
                *[(demo.id, "welcome", "sent", 10, None)] * 3,
                (demo.id, "welcome", "pending", 5, None),
                (demo.id, "welcome", "in_flight", 2, None),
                (demo.id, "welcome", "dead", 8, "platform answered 500 six times"),
                (demo.id, None, "sent", 20, None),
                (acme.id, "checkin", "failed", 48 * 60, "channel_not_found"),
                *[(acme.id, "checkin", "sent", 30 * 60, None)] * 2,
            ]
            for workspace_id, playbook, status, minutes_ago, error in rows:
                created = now - timedelta(minutes=minutes_ago)
                tx.session.add(
                    Delivery(
                        workspace_id=workspace_id,
                        playbook=playbook,
                        recipient="U-bob",
                        action={"kind": "send_dm", "user": "U-bob", "text": {"en": PRIVATE}},
                        status=status,
                        attempts=6 if status == "dead" else 1,
                        next_attempt_at=created,
                        lease_until=now + timedelta(minutes=1) if status == "in_flight" else None,
                        last_error=error,
                        created_at=created,
                    )
                )
    finally:
        await store.close()


def _line(out: str, starting: str, bar: bool = False) -> list[str]:
    """The words after ``starting`` on the line that starts so (a fan-out's bar, or not)."""
    [found] = [
        line for line in out.splitlines() if line.startswith(starting) and ("[" in line) == bar
    ]
    return found.removeprefix(starting).split()


def test_deliveries_status_counts_per_workspace_and_ritual_and_shows_why_dead_letters_died(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_seed_outbox(database_url))
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", database_url)
    assert main(["deliveries", "status"]) == 0
    out = capsys.readouterr().out

    header = _line(out, "WORKSPACE  RITUAL")
    assert header == ["PENDING", "IN", "FLIGHT", "SENT", "DEAD", "FAILED", "SKIPPED", "BLOCKED"]
    assert _line(out, "local:demo (Demo)  welcome ") == ["1", "1", "3", "1", "0", "0", "0"]
    assert _line(out, "local:demo (Demo)  (no ritual) ") == ["0", "0", "1", "0", "0", "0", "0"]
    fanout = _line(out, "local:demo (Demo)  welcome  ", bar=True)
    assert fanout == ["[#############-------]", "4/6", "66%"], (
        "3 sent and 1 dead of 6 created in the last hour"
    )
    dead, failed = [line for line in out.splitlines() if line.startswith("#")]
    assert " dead " in dead and "6 attempts: platform answered 500 six times" in dead
    assert "slack:T1 (Acme)  checkin" in failed and failed.endswith(": channel_not_found")
    assert "slack:T1 (Acme)  checkin " not in out.replace(failed, ""), "older than 24 h"
    assert PRIVATE not in out and "PRIVATE" not in out


def test_deliveries_status_refuses_a_database_that_is_not_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert main(["deliveries", "status"]) == 1
    problem = capsys.readouterr().err.splitlines()[-1]
    assert problem.startswith("cannot read deliveries: database at revision None")
    assert problem.endswith("run `animateur db upgrade`")


def test_deliveries_status_watch_refreshes_until_ctrl_c(database_url: str, tmp_path: Path) -> None:
    asyncio.run(_seed_outbox(database_url))
    watching = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "deliveries", "status", "--watch", "0.2"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
        | {"ANIMATEUR_DATABASE_URL": database_url},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watching.stdout is not None
        refreshes = 0
        for line in watching.stdout:
            refreshes += line.startswith("Deliveries at ")
            if refreshes == 3:
                break
        assert refreshes == 3, "refreshed by itself"
        watching.send_signal(signal.SIGINT)
        _, err = watching.communicate(timeout=30)
    finally:
        if watching.poll() is None:
            watching.kill()
    assert watching.returncode == 0
    assert "Traceback" not in err
