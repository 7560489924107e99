"""rituals in the conversation: a run may wait for a reply in a thread (``wait_reply``: found by
``ix_run_waiting_thread`` when a reply comes), and a ritual keeps a season's state per
community (``ritualseason``: tallies by person, list items picked).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "waiting_thread IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("waiting_thread", sa.String(length=255), nullable=True))
    op.create_index(
        "ix_run_waiting_thread",
        "run",
        ["community_id", "waiting_thread"],
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )
    op.create_table(
        "ritualseason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=False),
        sa.Column("season", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "playbook", "season"),
    )


def downgrade() -> None:
    op.drop_table("ritualseason")
    op.drop_index("ix_run_waiting_thread", table_name="run")
    with op.batch_alter_table("run") as batch:
        batch.drop_column("waiting_thread")
