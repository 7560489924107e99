"""Working time in a person's own timezone: nothing is sent at night, on weekends or holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from playbooks.calendar import Calendar, parse_at, parse_hours

PARIS = Calendar("Europe/Paris", holidays=frozenset({date(2026, 12, 25)}))


def paris(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS.tz)


@pytest.mark.parametrize(
    ("at", "expected", "why"),
    [
        (paris(25, 17), paris(25, 17), "Wednesday 17:00 is working time"),
        (paris(25, 3), paris(25, 9), "3 a.m. waits for 09:00 the same day"),
        (paris(25, 18), paris(26, 9), "18:00 is the end of the day"),
        (paris(27, 20), paris(30, 9), "Friday evening waits for Monday"),
        (paris(28, 11), paris(30, 9), "Saturday waits for Monday"),
        (paris(24, 19, month=12), paris(28, 9, month=12), "Christmas is skipped"),
    ],
)
def test_next_open_moves_into_working_time(at: datetime, expected: datetime, why: str) -> None:
    assert PARIS.next_open(at.astimezone(UTC)) == expected, why


def test_the_same_instant_is_night_for_someone_else() -> None:
    instant = paris(25, 10)  # 04:00 in New York
    new_york = Calendar("America/New_York")
    assert PARIS.next_open(instant) == instant
    assert new_york.next_open(instant) == datetime(2026, 11, 25, 9, tzinfo=new_york.tz)


def test_next_at_finds_the_next_moment_of_the_week() -> None:
    monday = paris(23, 9, 30)
    assert PARIS.next_at("fri 15:00", monday) == paris(27, 15)
    assert PARIS.next_at("mon 09:30", monday) == paris(30, 9, 30), "strictly after"
    assert PARIS.next_at("08:00", monday) == paris(24, 8)


def test_an_unknown_timezone_falls_back_to_utc() -> None:
    assert Calendar("Mars/Olympus").tz.key == "UTC"


@pytest.mark.parametrize("bad", ["9-18", "18:00-09:00", "25:00-26:00", ""])
def test_bad_working_hours_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="working"):
        parse_hours(bad)


@pytest.mark.parametrize("bad", ["friday 15:00", "fri", "15h"])
def test_bad_moments_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a moment of the week"):
        parse_at(bad)


def test_a_member_with_an_unknown_timezone_follows_the_communitys() -> None:
    from bot.runtime.context import calendar_for
    from storage.tables import Community

    community = Community(workspace_id=1, channel_id="C", name="x", timezone="America/Los_Angeles")
    assert calendar_for(community, "Mars/Olympus").timezone == "America/Los_Angeles"
    assert calendar_for(community, "America").timezone == "America/Los_Angeles"
    assert calendar_for(community, "Asia/Tokyo").timezone == "Asia/Tokyo"
