"""Check, list and simulate playbooks."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import logs
from bot.runtime.simulation import synthetic_members
from bot.runtime.timeline import simulate
from bot.settings import Settings
from playbooks.calendar import valid_zone
from playbooks.loader import LIBRARY, PlaybookError, load_library, load_playbook


def _expand(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files += (
            sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
        )
    return files


def _playbooks_check(args: argparse.Namespace, _settings: Settings) -> int:
    files = _expand(args.paths or [str(LIBRARY)])
    if not files:
        print("no playbook files found", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        try:
            load_playbook(path)
        except PlaybookError as exc:
            failed += 1
            for problem in exc.problems:
                print(problem)
    if failed:
        print(f"{failed} of {len(files)} playbook(s) invalid", file=sys.stderr)
        return 1
    print(f"{len(files)} playbook(s) valid")
    return 0


def _simulate(args: argparse.Namespace, _settings: Settings) -> int:
    try:
        playbook = load_playbook(Path(args.playbook))
    except PlaybookError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot read {args.playbook}: {exc.strerror}", file=sys.stderr)
        return 1
    logs.configure("WARNING")  # the report is the output; per-event logs would drown it
    zones = [z.strip() for z in args.timezones.split(",") if z.strip()]
    if not zones:
        print("--timezones needs at least one timezone (e.g. Europe/Paris)", file=sys.stderr)
        return 2
    for name in zones:
        if valid_zone(name) is None:
            print(f"unknown timezone {name!r} (e.g. Europe/Paris)", file=sys.stderr)
            return 2
    start = args.start or _next_monday(zones[0])
    members = synthetic_members(args.members, zones, args.locale, args.answer_rate)

    def progress(week: int, weeks: int) -> None:
        print(f"simulated week {week}/{weeks}", file=sys.stderr)

    lines = asyncio.run(
        simulate(
            playbook,
            members,
            start,
            args.weeks,
            timezone=zones[0],
            locale=args.locale,
            holidays=args.holiday,
            seed=args.seed,
            progress=progress,
        )
    )
    print("\n".join(lines))
    return 0


def _next_monday(timezone: str) -> datetime:
    """The coming Monday, 08:00 in ``timezone``."""
    today = datetime.now(ZoneInfo(timezone)).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return datetime.combine(monday, time(8), ZoneInfo(timezone))


def _start(value: str) -> datetime:
    """``2026-11-30`` or ``2026-11-30T08:00+01:00`` (a date alone: 00:00 UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (e.g. 2026-11-30)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= 10_000:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number from 1 to 10000")
    return int(value)


def _day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (e.g. 2026-12-25)") from exc


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give a probability between 0 and 1")
    return rate


def _playbooks_list(_args: argparse.Namespace, _settings: Settings) -> int:
    try:
        library = load_library()
    except PlaybookError as exc:
        print(exc, file=sys.stderr)
        return 1
    for name, playbook in sorted(library.items()):
        trigger = playbook.trigger
        how = getattr(trigger, "command", None) or getattr(trigger, "cron", None) or ""
        print(f"{name:<20} {trigger.on:<14} {how:<16} {playbook.title.en} / {playbook.title.fr}")
    return 0
