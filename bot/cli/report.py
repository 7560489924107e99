"""``animateur report``: a community's pulse at a moment, as text, JSON or CSV."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import get_args

from sqlalchemy.exc import SQLAlchemyError

from bot.app import message_link_book
from bot.cli.serving import CONNECT_TIMEOUT, _database_problem, _schema_problem
from bot.runtime.pulse_render import as_csv, as_text
from bot.runtime.pulse_report import (
    MAX_WEEKS,
    CommunityReport,
    UnknownCommunity,
    UnknownWorkspace,
    community_report,
)
from bot.settings import Settings
from bot.vocabulary.events import Platform, WorkspaceRef
from playbooks.loader import PlaybookError, load_library
from storage.database import DatabaseUrlError, make_engine
from storage.store import Store

PLATFORMS: tuple[str, ...] = get_args(Platform)


def _workspace(value: str) -> WorkspaceRef:
    platform, sep, external_id = value.partition(":")
    if not sep or not external_id or platform not in PLATFORMS:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give platform:id, the platform one of {', '.join(PLATFORMS)} "
            "(e.g. slack:T042ABC, teams:<tenant id>, local:demo)"
        )
    return WorkspaceRef(platform, external_id)  # type: ignore[arg-type]


def _moment(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give an ISO 8601 moment, e.g. 2026-11-30T12:00:00Z or 2026-11-30"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _weeks(value: str) -> int:
    try:
        weeks = int(value)
    except ValueError:
        weeks = -1
    if not 0 <= weeks <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of weeks, 0 to {MAX_WEEKS}")
    return weeks


def add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report",
        help="a community's pulse: members, activity, questions, newcomers, rituals, trends",
    )
    report.add_argument(
        "--workspace",
        type=_workspace,
        required=True,
        help="platform:id of the workspace, e.g. slack:T042ABC or local:demo",
    )
    report.add_argument(
        "--community", required=True, help="the community's channel id (Teams: its team id)"
    )
    report.add_argument(
        "--at", type=_moment, help="the moment to report on, ISO 8601 (default: now)"
    )
    report.add_argument(
        "--weeks",
        type=_weeks,
        default=12,
        help=f"how many past weeks to show for trends (default 12, at most {MAX_WEEKS})",
    )
    report.add_argument("--format", choices=("text", "json", "csv"), default="text")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    try:
        problem = asyncio.run(_schema_problem(url))
    except DatabaseUrlError as exc:
        print(f"cannot report: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(f"cannot report: {problem}", file=sys.stderr)
        return 1
    try:
        # the rituals that ask something have a response rate; the others are left out
        asking = {
            name
            for name, playbook in load_library().items()
            if any(step.kind == "ask" for step in playbook.steps)
        }
    except PlaybookError as exc:
        print(f"cannot report: a bundled playbook is invalid\n{exc}", file=sys.stderr)
        return 1
    at = args.at or datetime.now(UTC)

    async def read() -> CommunityReport:
        store = Store(make_engine(url))
        try:
            report = await asyncio.wait_for(
                community_report(
                    store,
                    args.workspace,
                    args.community,
                    at,
                    weeks=args.weeks,
                    links=True,  # the operator's command: a facilitator's view
                    rituals=asking,
                ),
                CONNECT_TIMEOUT,
            )
            # where each unanswered question is opened, as its platform spells it
            links = message_link_book(settings, store)
            await links.add_urls(args.workspace, report.indicators.figures)
            return report
        finally:
            await store.close()

    label = f"{args.workspace.platform}:{args.workspace.external_id}"
    try:
        report = asyncio.run(read())
    except UnknownWorkspace:
        print(f"cannot report: no workspace {label} in this database", file=sys.stderr)
        return 2
    except UnknownCommunity as exc:
        known = ", ".join(f"{channel} ({name})" for channel, name in exc.known[:20]) or "none"
        print(
            f"cannot report: no community on channel {args.community} in {label} "
            f"(its communities: {known})",
            file=sys.stderr,
        )
        return 2
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(f"cannot report: {_database_problem(url, exc)}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        print(as_csv(report), end="")
    else:
        print(as_text(report), end="")
    return 0
