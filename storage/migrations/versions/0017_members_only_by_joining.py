"""members only by joining: on the local platform (no roster), someone who only posted, reacted
or typed a command in a community was made a member by the history (0012, 0013); only a join
makes one now, so they are seen there but no member. On Slack and Teams the daily roster read
decides (it takes off anyone not on it whose stay began before the read).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: present without a join as their latest membership fact (none, or a leave since): not there
NEVER_JOINED = """
UPDATE communitymember SET
    present = false,
    present_since = NULL,
    left_at = (
        SELECT MAX(occurred_at) FROM activityrecord
        WHERE activityrecord.community_id = communitymember.community_id
          AND activityrecord.user_id = communitymember.user_id
          AND activityrecord.kind = 'member_left'
    )
WHERE present
  AND joined_at IS NULL
  AND community_id IN (
      SELECT community.id FROM community JOIN workspace ON workspace.id = community.workspace_id
      WHERE workspace.platform = 'local'
  )
"""


def upgrade() -> None:
    op.execute(NEVER_JOINED)


def downgrade() -> None:
    """Nothing to undo: who was made a member by acting is not known any more."""
