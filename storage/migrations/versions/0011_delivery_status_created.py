"""deliveries by status and age

``/metrics`` (oldest pending delivery, outbox depth) and ``animateur deliveries status``
(recent deliveries by status, latest dead letters) read the outbox by status then creation
time: one index makes each of those reads a short range instead of a scan of the history.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 01:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_status_created", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_status_created")
