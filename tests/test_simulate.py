"""``animateur simulate``: a facilitator previews a ritual before launching it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main
from playbooks.loader import LIBRARY

EXPECTED = Path(__file__).parent / "fixtures" / "simulate" / "checkin-2-weeks.txt"
CHECKIN = str(LIBRARY / "checkin.yaml")
CHALLENGE_EXPECTED = Path(__file__).parent / "fixtures" / "simulate" / "challenge-2-weeks.txt"


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


def test_a_challenge_week_shows_the_prompt_the_replies_and_the_recap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Members reply in the prompt's thread and react to one another's replies with their
    answer rate; the recap at Thursday's close counts them."""
    argv = ["simulate", str(LIBRARY / "challenge.yaml"), "--members", "40", "--weeks", "2"]
    assert main([*argv, "--start", "2026-11-30T07:00+01:00", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    if os.environ.get("ANIMATEUR_REGOLD"):
        CHALLENGE_EXPECTED.write_text(out, "utf-8")
    assert out == CHALLENGE_EXPECTED.read_text("utf-8")
    lines = out.splitlines()
    assert sum(" replies  (in the thread)" in line for line in lines) == 60
    assert "members: 60 replies in the rituals' threads, 84 reactions" in lines
    assert "29 contributions and 37 reactions in all." in out

    quiet = ["--answer-rate", "0", "--members", "3", "--weeks", "1"]
    assert main([*argv[:2], *quiet, "--start", "2026-11-30T07:00+01:00"]) == 0
    out = capsys.readouterr().out
    assert "U-facilitator  dm       Nobody answered this week's sharing challenge" in out
    assert " thread " not in out, "no recap in public when nobody took part"


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
