"""delivery ids never given twice: on SQLite the table is made again with AUTOINCREMENT (a
deleted last row's id went to the next row, whose first claim then had the deleted row's claim
number: a late outcome of the deleted delivery was recorded on the new one)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _remake(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's sequences never give an id twice
    with op.batch_alter_table(
        "delivery", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ) as batch_op:
        # (a batch with no operation is not run at all, whatever ``recreate`` says)
        batch_op.alter_column("id", existing_type=sa.Integer(), autoincrement=True)


def upgrade() -> None:
    _remake(True)


def downgrade() -> None:
    _remake(False)
