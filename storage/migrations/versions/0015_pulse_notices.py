"""pulse notices: when each community's pulse is next checked, and the early warnings and
weekly digests last sent to its facilitators (at most once a week per kind)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulsecheck",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_index("ix_pulsecheck_due", "pulsecheck", ["due_at"])
    op.create_table(
        "pulsenotice",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("community_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("pulsenotice")
    op.drop_index("ix_pulsecheck_due", table_name="pulsecheck")
    op.drop_table("pulsecheck")
