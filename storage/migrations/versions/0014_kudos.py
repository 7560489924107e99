"""kudos: public thanks between members, counted per giver and day and per community and season

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kudos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("giver", sa.String(length=255), nullable=False),
        sa.Column("receiver", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_kudos_giver_time", "kudos", ["workspace_id", "giver", "created_at"], unique=False
    )
    op.create_index(
        "ix_kudos_community_giver", "kudos", ["community_id", "created_at", "giver"], unique=False
    )
    op.create_index(
        "ix_kudos_community_receiver",
        "kudos",
        ["community_id", "created_at", "receiver"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_kudos_community_receiver", table_name="kudos")
    op.drop_index("ix_kudos_community_giver", table_name="kudos")
    op.drop_index("ix_kudos_giver_time", table_name="kudos")
    op.drop_table("kudos")
