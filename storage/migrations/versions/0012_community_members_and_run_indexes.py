"""reads that do not grow with history: community members, runs by status and by cycle

The roster, a member's communities and a community's active count read the activity history
(a full scan at a million rows); a community's runs were found through ``community_id`` alone.
``communitymember`` keeps one row per member and community (still there? last seen when?),
filled here from the history and then with every activity record.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: each member's latest activity in each community decides whether they are still there
BACKFILL = """
INSERT INTO communitymember (workspace_id, community_id, user_id, present, last_seen_at)
SELECT workspace_id, community_id, user_id, kind <> 'member_left', occurred_at
FROM (
    SELECT workspace_id, community_id, user_id, kind, occurred_at,
           ROW_NUMBER() OVER (
               PARTITION BY community_id, user_id ORDER BY occurred_at DESC, id DESC
           ) AS latest
    FROM activityrecord
    WHERE community_id IS NOT NULL
) ranked
WHERE latest = 1
"""


def upgrade() -> None:
    op.create_table(
        "communitymember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "user_id"),
    )
    op.create_index(
        "ix_communitymember_user", "communitymember", ["workspace_id", "user_id"], unique=False
    )
    op.create_index(
        "ix_communitymember_seen", "communitymember", ["community_id", "last_seen_at"], unique=False
    )
    op.create_index("ix_run_community_status", "run", ["community_id", "status"], unique=False)
    op.create_index(
        "ix_run_community_started", "run", ["community_id", "playbook", "created_at"], unique=False
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_run_community_started", table_name="run")
    op.drop_index("ix_run_community_status", table_name="run")
    op.drop_index("ix_communitymember_seen", table_name="communitymember")
    op.drop_index("ix_communitymember_user", table_name="communitymember")
    op.drop_table("communitymember")
