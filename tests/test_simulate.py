"""``animateur simulate``: a facilitator previews a ritual before launching it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main
from playbooks.loader import LIBRARY

EXPECTED = Path(__file__).parent / "fixtures" / "simulate" / "checkin-2-weeks.txt"
CHECKIN = str(LIBRARY / "checkin.yaml")


def test_the_bundled_checkin_over_two_weeks_matches_the_reviewed_timeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["simulate", CHECKIN, "--members", "9", "--weeks", "2"]
    assert main([*argv, "--start", "2026-11-30T07:00+01:00", "--seed", "7"]) == 0
    out, err = capsys.readouterr()
    if os.environ.get("ANIMATEUR_REGOLD"):
        EXPECTED.write_text(out, "utf-8")
    assert out == EXPECTED.read_text("utf-8")
    assert "simulated week 2/2" in err, "progress goes to stderr, the report to stdout"


def test_french_members_get_french_texts(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", CHECKIN, "--members", "2", "--weeks", "1", "--locale", "fr"]
    assert main([*argv, "--start", "2026-11-30T07:00+01:00", "--timezones", "Europe/Paris"]) == 0
    out = capsys.readouterr().out
    assert "Bonjour Member 1 ! Quel est votre objectif cette semaine" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--timezones", "Mars/Olympus"], "unknown timezone 'Mars/Olympus'"),
        (["--answer-rate", "2"], "give a probability between 0 and 1"),
        (["--start", "next monday"], "is not a date"),
        (["--members", "-3"], "give a whole number from 1 to 10000"),
        (["--weeks", "0"], "give a whole number from 1 to 10000"),
        (["--holiday", "christmas"], "'christmas' is not a date"),
        (["--timezones", "America"], "unknown timezone 'America'"),
        (["--timezones", " , "], "--timezones needs at least one timezone"),
    ],
)
def test_bad_arguments_say_what_is_wrong(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["simulate", CHECKIN, *extra])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err


def test_an_invalid_playbook_is_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(Path(CHECKIN).read_text("utf-8").replace("until: fri 15:00", "until: soon"))
    assert main(["simulate", str(broken)]) == 1
    assert f"{broken}:" in capsys.readouterr().err
