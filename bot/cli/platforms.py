"""Slack and Teams set-up: the manifest, the app package, the key of stored tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from tempfile import mkdtemp

import yaml
from sqlalchemy.exc import SQLAlchemyError

from adapters.slack.manifest import build_manifest
from adapters.slack.secrets import (
    SecretKeyError,
    TokenCipher,
    new_key,
    reseal_all,
)
from adapters.teams.package import write_package
from bot.cli.serving import _database_problem
from bot.settings import Settings
from storage.database import (
    DatabaseUrlError,
    make_engine,
)


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
