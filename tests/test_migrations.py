"""The Alembic migrations build exactly the schema the models describe, on every database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from bot.cli import main
from storage.database import current_revision, head_revision, make_engine
from storage.slack_tables import SLACK_METADATA


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, [SQLModel.metadata, SLACK_METADATA]))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


def test_cli_db_upgrade_creates_a_fresh_sqlite_database(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "fresh.db"
    monkeypatch.setenv("ANIMATEUR_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0, "upgrading twice is harmless"
    assert f"database at revision {head_revision()}" in capsys.readouterr().out
    assert db.exists()
