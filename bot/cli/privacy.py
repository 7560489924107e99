"""``animateur privacy export|erase``: everything stored about a person, or its erasure."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.app import secret_keys
from bot.cli.report import _workspace
from bot.cli.serving import CONNECT_TIMEOUT, _database_problem, _schema_problem
from bot.runtime.person_keys import PersonKeys
from bot.runtime.privacy import (
    LastFacilitator,
    OptOutNotKept,
    StillOptedOut,
    UnknownPerson,
    UnknownSuccessor,
    UnknownWorkspace,
    erase_person,
    export_person,
)
from bot.settings import Settings
from storage.database import DatabaseUrlError, describe_failure, make_engine, safe_url
from storage.outbox import conflicted
from storage.privacy import Erasure
from storage.store import Store

T = TypeVar("T")


def add_privacy(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    privacy = commands.add_parser(
        "privacy", help="a person's data: export it (GDPR art. 15) or erase it (art. 17)"
    ).add_subparsers(dest="privacy", required=True)
    export = privacy.add_parser("export", help="print everything stored about a person, as JSON")
    erase = privacy.add_parser(
        "erase", help="remove a person's data; only counts that name nobody remain"
    )
    for sub in (export, erase):
        sub.add_argument(
            "--workspace",
            type=_workspace,
            required=True,
            help="platform:id of the workspace, e.g. slack:T042ABC or local:demo",
        )
        sub.add_argument("--user", required=True, help="the person's platform user id")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.add_argument(
        "--force",
        action="store_true",
        help="erase someone who opted out though they are still in a community's channel "
        "(their opt-out is kept under a keyed hash naming no one in clear: no ritual writes "
        "to them again until they opt back in)",
    )
    erase.add_argument(
        "--facilitator",
        metavar="USER",
        help="the member (platform user id) who takes over the communities the person was the "
        "last facilitator of; required then",
    )
    export.set_defaults(handler=_export)
    erase.set_defaults(handler=_erase)


def _run(
    verb: str, args: argparse.Namespace, settings: Settings, work: Callable[[Store], Awaitable[T]]
) -> T | int:
    """``work`` on the database, or the exit code after saying why it could not be done."""
    url = settings.database_url
    try:
        problem = asyncio.run(_schema_problem(url))
    except DatabaseUrlError as exc:
        print(f"cannot {verb}: ANIMATEUR_DATABASE_URL: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(f"cannot {verb}: {problem}", file=sys.stderr)
        return 1

    async def go() -> T:
        store = Store(make_engine(url))
        try:
            return await asyncio.wait_for(work(store), CONNECT_TIMEOUT * 10)
        finally:
            await store.close()

    label = f"{args.workspace.platform}:{args.workspace.external_id}"
    try:
        return asyncio.run(go())
    except UnknownWorkspace:
        print(f"cannot {verb}: no workspace {label} in this database", file=sys.stderr)
        return 2
    except UnknownPerson:
        print(f"cannot {verb}: nothing is stored about {args.user} in {label}", file=sys.stderr)
        return 2
    except UnknownSuccessor as exc:
        print(f"cannot {verb}: {exc} is not another member of {label}", file=sys.stderr)
        return 2
    except StillOptedOut:
        print(
            f"not erased: {args.user} opted out and is still in a community's channel; remove "
            "them from the channel first, or erase anyway with --force (their opt-out is kept "
            "under a keyed hash: no ritual writes to them again until they opt back in)",
            file=sys.stderr,
        )
        return 1
    except OptOutNotKept:
        print(
            f"not erased: {args.user} opted out, and there is no key to keep their opt-out "
            "under (erased, the bot could write to them again): set ANIMATEUR_SECRET_KEY, or "
            "make ANIMATEUR_DASHBOARD_KEY_FILE writable",
            file=sys.stderr,
        )
        return 1
    except LastFacilitator as exc:
        names = ", ".join(f"{name} ({channel})" for channel, name in exc.communities)
        print(
            f"not erased: {args.user} is the last facilitator of {names}; name who takes over "
            "with --facilitator <user id> (nobody else could run it)",
            file=sys.stderr,
        )
        return 1
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        print(f"cannot {verb}: {_work_problem(url, exc)}", file=sys.stderr)
        return 1


#: SQLite's and PostgreSQL's words for a lock held by someone else (55P03: lock not available)
_LOCKED = ("database is locked", "database table is locked", "55P03")


def _work_problem(url: str, exc: BaseException) -> str:
    """What went wrong once the database was reached (it was: the schema was read), told as it
    is: a lock, a conflict, a timeout or another error — not a connection failure."""
    undone = "nothing was changed; try again"
    where = safe_url(url)
    if isinstance(exc, TimeoutError):
        return (
            f"the database at {where} did not finish within {CONNECT_TIMEOUT * 10:.0f} s "
            f"(another process may hold a lock on it): {undone}"
        )
    said = f"{exc} {getattr(getattr(exc, 'orig', None), 'sqlstate', '')}"
    if conflicted(exc) or any(word in said for word in _LOCKED):
        return (
            f"the database at {where} is busy: another transaction holds a lock or conflicted "
            f"({describe_failure(exc)}): {undone}"
        )
    if isinstance(exc, SQLAlchemyError) and not isinstance(exc.__cause__ or exc, OSError):
        return f"the database at {where} refused the work ({describe_failure(exc)}): {undone}"
    return _database_problem(url, exc)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    found = _run(
        "export", args, settings, lambda store: export_person(store, args.workspace, args.user)
    )
    if isinstance(found, int):
        return found
    print(json.dumps(found, ensure_ascii=False, indent=2))
    return 0


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    label = f"{args.workspace.platform}:{args.workspace.external_id}"
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                f"not erased: confirm with --yes to erase {args.user} from {label}",
                file=sys.stderr,
            )
            return 1
        answer = input(f"Erase everything stored about {args.user} in {label}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not erased")
            return 1
    now = datetime.now(UTC)
    done = _run(
        "erase",
        args,
        settings,
        lambda store: erase_person(
            store,
            args.workspace,
            args.user,
            now,
            args.facilitator,
            args.force,
            PersonKeys(secret_keys(settings)),
        ),
    )
    if isinstance(done, int):
        return done
    print(summary(args.user, label, done, args.facilitator), end="")
    return 0


def summary(user: str, label: str, erasure: Erasure, successor: str | None = None) -> str:
    lines = [f"Erased {user} from {label}. Rows removed or made anonymous, per table:"]
    width = max(len(t) for t in erasure.counts)
    lines += [f"  {t:<{width}}  {n}" for t, n in sorted(erasure.counts.items())]
    for channel, name in erasure.handed:
        lines.append(f"{name} ({channel}) is now run by {successor}, its facilitator.")
    return "\n".join(lines) + "\n"
