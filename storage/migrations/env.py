"""Alembic environment: migrations run on a connection handed over by storage.database."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on the metadata)
from storage.slack_tables import SLACK_METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `animateur db upgrade` (storage.database.upgrade)")

context.configure(
    connection=connection,
    target_metadata=[SQLModel.metadata, SLACK_METADATA],
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
