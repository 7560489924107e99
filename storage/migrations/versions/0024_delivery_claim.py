"""delivery claim: each claim of a delivery takes a number never used before for it, and a
worker's writes are fenced by it (attempts come back down after a deferral, so they repeat);
the index of due rows ends with the id, so a claim reads them in its order and stops early

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim", sa.Integer(), nullable=False, server_default="0"))
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.create_index("ix_delivery_due", "delivery", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.create_index("ix_delivery_due", "delivery", ["status", "next_attempt_at"])
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("claim")
