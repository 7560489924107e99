"""platform ids as long as Teams makes them

Teams user ids (``29:…``) run to about 120 characters and its 1:1 conversation ids further:
the 64-character columns refused real Teams members on PostgreSQL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table → (column, old length, new length, nullable)
WIDENED: dict[str, list[tuple[str, int, int, bool]]] = {
    "member": [("user_id", 64, 255, False)],
    "community": [("channel_id", 64, 255, False)],
    "run": [("subject", 64, 255, False)],
    "delivery": [("recipient", 64, 255, False)],
    "activityrecord": [("user_id", 64, 255, False), ("channel", 64, 255, True)],
    "answer": [("user_id", 64, 255, False)],
    "processedevent": [("key", 255, 600, False)],
    "conversationreference": [("key", 200, 300, False)],
    "rituallaunch": [("requested_by", 64, 255, True), ("cursor", 64, 255, False)],
}


def _alter(widen: bool) -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old, new, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=old if widen else new),
                    type_=sa.String(length=new if widen else old),
                    existing_nullable=nullable,
                )


def upgrade() -> None:
    _alter(widen=True)


def downgrade() -> None:
    _alter(widen=False)
