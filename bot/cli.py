"""``animateur`` — serve the bot, migrate its database, check, list and simulate playbooks,
watch its deliveries."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from tempfile import mkdtemp
from zoneinfo import ZoneInfo

import yaml
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from adapters.slack.manifest import build_manifest
from adapters.slack.secrets import (
    SecretKeyError,
    TokenCipher,
    new_key,
    reseal_all,
    unreadable_tokens,
)
from adapters.teams.package import write_package
from bot import logs
from bot.app import ConfigurationError, build, web_app
from bot.runtime.outbox_status import read_status, render
from bot.runtime.simulation import synthetic_members
from bot.runtime.timeline import simulate
from bot.settings import Settings
from playbooks.calendar import valid_zone
from playbooks.loader import LIBRARY, PlaybookError, load_library, load_playbook
from storage.database import (
    DatabaseUrlError,
    current_revision,
    describe_failure,
    head_revision,
    make_engine,
    safe_url,
    upgrade,
)
from storage.store import Store

#: How long a database may take to answer before the command gives up.
CONNECT_TIMEOUT = 20.0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    try:
        problem = asyncio.run(_schema_problem(settings.database_url))
    except DatabaseUrlError as exc:
        print(f"cannot start: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    try:
        bot = build(settings)
    except PlaybookError as exc:
        print(f"cannot start: a bundled playbook is invalid\n{exc}", file=sys.stderr)
        return 1
    except ConfigurationError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    if bot.slack is not None and bot.slack.installations is not None:
        problem = asyncio.run(
            _sealed_problem(settings.database_url, bot.slack.installations.cipher)
        )
        if problem:
            print(f"cannot start: {problem}", file=sys.stderr)
            return 2
    if bot.inbox is not None:
        print(f"Animateur playground: http://{settings.host}:{settings.port}/playground")
    try:
        web.run_app(web_app(bot), host=settings.host, port=settings.port, print=None)
    except OSError as exc:  # raised while binding, before anything was served
        problem = _listen_problem(exc, settings.host, settings.port)
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    return 0


async def _sealed_problem(url: str, cipher: TokenCipher) -> str | None:
    """Why stored Slack tokens cannot be read with ANIMATEUR_SECRET_KEY, or None."""
    engine = make_engine(url)
    try:
        unreadable = await unreadable_tokens(engine, cipher)
    finally:
        await engine.dispose()
    if not unreadable:
        return None
    if not cipher.enabled:
        return (
            f"{unreadable} stored Slack installation(s) are encrypted and ANIMATEUR_SECRET_KEY "
            "is not set: set it to the key they were encrypted with"
        )
    return (
        f"{unreadable} stored Slack installation(s) were encrypted with a key that is not in "
        'ANIMATEUR_SECRET_KEY: put it after the new one ("new,old")'
    )


def _listen_problem(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use (another animateur?): stop it, or choose another "
            "port with --port or ANIMATEUR_PORT"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where}: choose a port above 1024 with --port"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {where} ({reason}): check --host/--port (ANIMATEUR_HOST, _PORT)"


def _database_problem(url: str, exc: BaseException) -> str:
    return (
        f"cannot connect to the database at {safe_url(url)} ({describe_failure(exc)}): check "
        "ANIMATEUR_DATABASE_URL and that the database is running"
    )


async def _schema_problem(url: str) -> str | None:
    """Why the database cannot serve (unreachable, not migrated), or None.

    Raises DatabaseUrlError for a URL that is neither SQLite nor PostgreSQL.
    """
    engine = make_engine(url)
    try:
        revision = await asyncio.wait_for(current_revision(engine), CONNECT_TIMEOUT)
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        return _database_problem(url, exc)
    finally:
        await engine.dispose()
    head = head_revision()
    if revision != head:
        return f"database at revision {revision}, code expects {head}: run `animateur db upgrade`"
    return None


class _Unreachable(Exception):
    """The database did not answer; the message says what to check."""


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    try:
        engine = make_engine(url)
    except DatabaseUrlError as exc:
        print(f"cannot upgrade: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2

    async def run() -> str | None:
        try:
            try:
                await asyncio.wait_for(current_revision(engine), CONNECT_TIMEOUT)
            except (OSError, TimeoutError, SQLAlchemyError) as exc:
                raise _Unreachable(_database_problem(url, exc)) from exc
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    try:
        revision = asyncio.run(run())
    except _Unreachable as exc:
        print(f"cannot upgrade: {exc}", file=sys.stderr)
        return 1
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(
            f"cannot upgrade the database at {safe_url(url)}: {describe_failure(exc)}",
            file=sys.stderr,
        )
        return 1
    print(f"database at revision {revision}")
    return 0


def _deliveries_status(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    try:
        problem = asyncio.run(_schema_problem(url))
    except DatabaseUrlError as exc:
        print(f"cannot read deliveries: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(f"cannot read deliveries: {problem}", file=sys.stderr)
        return 1
    window = timedelta(hours=args.hours)
    clear = sys.stdout.isatty()

    async def show() -> None:
        store = Store(make_engine(url))
        try:
            while True:
                status = await asyncio.wait_for(
                    read_status(store, datetime.now(UTC), window, args.dead), CONNECT_TIMEOUT
                )
                if clear and args.watch:
                    print("\033[H\033[2J", end="")
                print("\n".join(render(status)), flush=True)
                if not args.watch:
                    return
                print(f"\n(every {args.watch:g} s; Ctrl-C to stop)", flush=True)
                await asyncio.sleep(args.watch)
        finally:
            await store.close()

    try:
        asyncio.run(show())
    except KeyboardInterrupt:
        return 0
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(f"cannot read deliveries: {_database_problem(url, exc)}", file=sys.stderr)
        return 1
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r}: give seconds, more than 0 and up to 3600")
    return seconds


def _hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 31:
        raise argparse.ArgumentTypeError(f"{value!r}: give hours, more than 0 and up to 744")
    return hours


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


def _slack_manifest(args: argparse.Namespace, _settings: Settings) -> int:
    if not args.socket_mode and not args.url:
        print("give --url https://your-bot.example.com, or --socket-mode", file=sys.stderr)
        return 2
    if args.url and not args.url.startswith("https://"):
        print("--url must be an https:// address Slack can reach", file=sys.stderr)
        return 2
    manifest = build_manifest(args.url, socket_mode=args.socket_mode, name=args.name)
    if args.format == "yaml":
        print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")
    else:
        print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


def _secret_key(_args: argparse.Namespace, _settings: Settings) -> int:
    print(new_key())
    return 0


def _slack_reseal(_args: argparse.Namespace, settings: Settings) -> int:
    keys = settings.secret_key.get_secret_value() if settings.secret_key else None
    try:
        cipher = TokenCipher(keys)
        engine = make_engine(settings.database_url)
    except (SecretKeyError, DatabaseUrlError) as exc:
        print(f"cannot reseal: {exc}", file=sys.stderr)
        return 2

    async def run() -> int:
        try:
            return await reseal_all(engine, cipher)
        finally:
            await engine.dispose()

    try:
        count = asyncio.run(run())
    except SecretKeyError as exc:
        print(f"cannot reseal (nothing changed): {exc}", file=sys.stderr)
        return 1
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(f"cannot reseal: {_database_problem(settings.database_url, exc)}", file=sys.stderr)
        return 1
    print(f"{count} stored Slack token row(s) encrypted with the first key of ANIMATEUR_SECRET_KEY")
    return 0


def _teams_package(args: argparse.Namespace, _settings: Settings) -> int:
    # Never the current folder by default: run from a checkout, that is the repository.
    output = Path(args.output) if args.output else Path(mkdtemp(prefix="animateur-teams-"))
    try:
        path = write_package(
            output,
            args.app_id,
            args.domain,
            name=args.name,
            privacy=args.privacy_url,
            terms=args.terms_url,
        )
    except ValueError as exc:
        print(f"cannot build the package: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {path.resolve()}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="animateur", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the bot (HTTP server, worker, scheduler)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    deliveries = commands.add_parser("deliveries", help="the outbox").add_subparsers(
        dest="deliveries", required=True
    )
    status = deliveries.add_parser(
        "status",
        help="deliveries per workspace and ritual, fan-outs under way, dead letters and why",
    )
    status.add_argument(
        "--watch",
        type=_seconds,
        nargs="?",
        const=5.0,
        metavar="SECONDS",
        help="refresh every SECONDS (default 5) until Ctrl-C",
    )
    status.add_argument(
        "--hours",
        type=_hours,
        default=24.0,
        help="count finished deliveries created within this many hours (default 24)",
    )
    status.add_argument(
        "--dead", type=_count, default=10, help="how many dead letters to show (default 10)"
    )
    status.set_defaults(handler=_deliveries_status)

    pb = commands.add_parser("playbooks", help="playbooks").add_subparsers(dest="pb", required=True)
    check = pb.add_parser("check", help="validate playbook files (file:line for each problem)")
    check.add_argument("paths", nargs="*", help="files or folders (default: the bundled library)")
    check.set_defaults(handler=_playbooks_check)
    pb.add_parser("list", help="list the bundled playbooks").set_defaults(handler=_playbooks_list)

    sim = commands.add_parser(
        "simulate", help="run a playbook on a synthetic community with a virtual clock"
    )
    sim.add_argument("playbook", help="the playbook file (YAML)")
    sim.add_argument("--members", type=_count, default=40, help="how many members (default 40)")
    sim.add_argument("--weeks", type=_count, default=6, help="how many weeks (default 6)")
    sim.add_argument("--locale", choices=("en", "fr"), default="en")
    sim.add_argument(
        "--timezones",
        default="Europe/Paris,America/New_York,Asia/Singapore",
        help="members' timezones, in turn; the first one is the community's",
    )
    sim.add_argument("--answer-rate", type=_rate, default=0.7, help="chance of each answer")
    sim.add_argument("--start", type=_start, help="first moment (default: next Monday 08:00)")
    sim.add_argument(
        "--holiday", type=_day, action="append", default=[], help="a holiday (YYYY-MM-DD)"
    )
    sim.add_argument("--seed", type=int, default=1, help="the same seed gives the same run")
    sim.set_defaults(handler=_simulate)

    slack = commands.add_parser("slack", help="Slack").add_subparsers(dest="slack", required=True)
    manifest = slack.add_parser("manifest", help="print the Slack app manifest to create the app")
    manifest.add_argument("--url", help="public https base URL of the bot")
    manifest.add_argument("--socket-mode", action="store_true", help="no public URL needed")
    manifest.add_argument("--name", default="Animateur", help="app and bot display name")
    manifest.add_argument("--format", choices=("json", "yaml"), default="json")
    manifest.set_defaults(handler=_slack_manifest)
    slack.add_parser(
        "reseal-tokens",
        help="encrypt every stored OAuth token with the first key of ANIMATEUR_SECRET_KEY",
    ).set_defaults(handler=_slack_reseal)

    commands.add_parser("secret-key", help="print a new key for ANIMATEUR_SECRET_KEY").set_defaults(
        handler=_secret_key
    )

    teams = commands.add_parser("teams", help="Microsoft Teams").add_subparsers(
        dest="teams", required=True
    )
    package = teams.add_parser("package", help="write the Teams app package (zip) to upload")
    package.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID")
    package.add_argument(
        "--domain", required=True, help="the bot's host name, e.g. bot.example.com"
    )
    package.add_argument("--name", default="Animateur", help="app name (30 characters at most)")
    package.add_argument(
        "--privacy-url",
        help="privacy statement (default: https://DOMAIN/privacy, served by the bot)",
    )
    package.add_argument(
        "--terms-url", help="terms of use (default: https://DOMAIN/terms, the bot's)"
    )
    package.add_argument(
        "-o",
        "--output",
        help="zip file or folder to write (default: a new temporary folder, never this one)",
    )
    package.set_defaults(handler=_teams_package)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = "ANIMATEUR_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"configuration error: {name}: {error['msg']}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    code: int = args.handler(args, settings)
    return code


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
