"""community working time, holidays and resources

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "working_hours",
                sa.String(length=16),
                nullable=False,
                server_default="09:00-18:00",
            )
        )
        batch_op.add_column(
            sa.Column("working_days", sa.JSON(), nullable=False, server_default="[0,1,2,3,4]")
        )
        batch_op.add_column(sa.Column("holidays", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("resources", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("resources")
        batch_op.drop_column("holidays")
        batch_op.drop_column("working_days")
        batch_op.drop_column("working_hours")
