"""opt-out suppressions: an erased person's opt-out, kept under a keyed hash (no one named in
clear) so that rituals never write to them again should they be seen again

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "optoutsuppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("opted_out_all", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "person_key"),
    )


def downgrade() -> None:
    op.drop_table("optoutsuppression")
