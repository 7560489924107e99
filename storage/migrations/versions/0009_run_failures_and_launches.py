"""run failures, failed runs, and ritual launches (durable "run now")

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_RUN = "status IN ('waiting_answer', 'waiting_timer')"
NOT_DONE = "status != 'done'"


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
    # a failed run no longer counts as one still going for its subject
    op.drop_index("uq_run_active", table_name="run")
    op.create_index(
        "uq_run_active",
        "run",
        ["community_id", "playbook", "subject"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN),
        postgresql_where=sa.text(ACTIVE_RUN),
    )
    op.create_table(
        "rituallaunch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("zones", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=False),
        sa.Column("asked_now", sa.Integer(), nullable=False),
        sa.Column("asked_later", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rituallaunch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rituallaunch_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index("ix_rituallaunch_due", ["status", "lease_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rituallaunch", schema=None) as batch_op:
        batch_op.drop_index("ix_rituallaunch_due")
        batch_op.drop_index(batch_op.f("ix_rituallaunch_community_id"))
    op.drop_table("rituallaunch")
    op.execute("UPDATE run SET status = 'done' WHERE status = 'failed'")
    op.drop_index("uq_run_active", table_name="run")
    op.create_index(
        "uq_run_active",
        "run",
        ["community_id", "playbook", "subject"],
        unique=True,
        sqlite_where=sa.text(NOT_DONE),
        postgresql_where=sa.text(NOT_DONE),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("failures")
