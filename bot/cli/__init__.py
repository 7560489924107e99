"""``animateur`` — serve the bot, migrate its database, check, list and simulate playbooks,
watch its deliveries, report on a community's pulse, export or erase a person's data."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot import logs
from bot.cli.deliveries import _deliveries_status, _hours, _seconds
from bot.cli.platforms import _secret_key, _slack_manifest, _slack_reseal, _teams_package
from bot.cli.privacy import add_privacy
from bot.cli.report import add_report
from bot.cli.rituals import (
    _count,
    _day,
    _playbooks_check,
    _playbooks_list,
    _rate,
    _simulate,
    _start,
)
from bot.cli.serving import (
    _db_upgrade,
    _serve,
)
from bot.settings import Settings


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

    add_report(commands)
    add_privacy(commands)

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
