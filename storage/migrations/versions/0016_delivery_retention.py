"""delivery retention: when a finished delivery's text was erased (retention or a person's
erasure), and an index of the finished deliveries whose text is still kept

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = "text_erased_at IS NULL AND status IN ('sent', 'failed', 'dead', 'blocked', 'skipped')"


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("text_erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_delivery_text_kept",
        "delivery",
        ["created_at"],
        unique=False,
        sqlite_where=sa.text(KEPT),
        postgresql_where=sa.text(KEPT),
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_text_kept", table_name="delivery")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("text_erased_at")
