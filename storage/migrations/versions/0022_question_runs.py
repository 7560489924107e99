"""one run per question: a run's occasion (a question-triggered run's question), part of the
rule "one run going per ritual and subject" — a member's questions each get their run

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_RUN = "status IN ('waiting_answer', 'waiting_timer')"


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("occasion", sa.String(length=255), nullable=False, server_default="")
        )
    op.drop_index("uq_run_active", table_name="run")
    op.create_index(
        "uq_run_active",
        "run",
        ["community_id", "playbook", "subject", "occasion"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN),
        postgresql_where=sa.text(ACTIVE_RUN),
    )


def downgrade() -> None:
    # one run going per ritual and subject again: the extra question runs end
    op.execute(
        sa.text(
            f"UPDATE run SET status = 'done', wake_at = NULL, waiting_thread = NULL "
            f"WHERE occasion != '' AND {ACTIVE_RUN} AND EXISTS (SELECT 1 FROM run AS other "
            "WHERE other.community_id = run.community_id AND other.playbook = run.playbook "
            "AND other.subject = run.subject AND other.occasion != '' "
            f"AND other.status IN ('waiting_answer', 'waiting_timer') AND other.id < run.id)"
        )
    )
    op.drop_index("uq_run_active", table_name="run")
    op.create_index(
        "uq_run_active",
        "run",
        ["community_id", "playbook", "subject"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN),
        postgresql_where=sa.text(ACTIVE_RUN),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("occasion")
