"""member groups: the rounds of rituals that group members (intros) — each member's group and
their answer to "did you meet?"

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "membergroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("answer", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "playbook", "round", "user_id"),
    )
    op.create_index("ix_membergroup_workspace_id", "membergroup", ["workspace_id"])
    op.create_index("ix_membergroup_user", "membergroup", ["workspace_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_membergroup_user", table_name="membergroup")
    op.drop_index("ix_membergroup_workspace_id", table_name="membergroup")
    op.drop_table("membergroup")
