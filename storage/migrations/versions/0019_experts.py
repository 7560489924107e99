"""experts: the topics members know (per workspace), the experts a question matched at ingest
(never its text), the experts asked (the daily cap), and whether a question was solved

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experttopic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("head", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "user_id", "topic"),
    )
    op.create_index("ix_experttopic_head", "experttopic", ["workspace_id", "head"])
    op.create_table(
        "questionmatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("expert", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "message_id", "expert", "topic"),
    )
    op.create_index("ix_questionmatch_expert", "questionmatch", ["expert"])
    op.create_table(
        "expertask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("expert", sa.String(length=255), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "message_id", "expert"),
    )
    op.create_index("ix_expertask_expert_time", "expertask", ["workspace_id", "expert", "asked_at"])
    # new columns only (no table rebuild on SQLite)
    op.add_column(
        "pulsequestion",
        sa.Column("solved", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "pulsequestion", sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("pulsequestion") as batch_op:
        batch_op.drop_column("solved_at")
        batch_op.drop_column("solved")
    op.drop_index("ix_expertask_expert_time", table_name="expertask")
    op.drop_table("expertask")
    op.drop_index("ix_questionmatch_expert", table_name="questionmatch")
    op.drop_table("questionmatch")
    op.drop_index("ix_experttopic_head", table_name="experttopic")
    op.drop_table("experttopic")
