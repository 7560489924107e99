"""community pulse: the conversation's metadata, membership stays, daily rollups, questions

Activity records keep, from metadata only, each message's platform id, its thread and the
parent's author, reactions' names, targets and their authors, the question flag and whether the
message was deleted. ``communitymember`` learns when each member joined, since when they are
there and when they left (and may be only on the roster: no activity yet). Reports read the
rollups kept at ingest — per member and day, per interacting pair and day, one row per
question — filled here from the history there is.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 03:46:05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A member's stay, from the history: first seen, latest join, latest leave.
STAYS = """
UPDATE communitymember SET
    joined_at = CASE
        WHEN stays.last_leave IS NULL OR stays.last_join > stays.last_leave
             OR NOT communitymember.present
        THEN stays.last_join END,
    present_since = CASE
        WHEN stays.last_leave IS NULL OR NOT communitymember.present THEN stays.first_seen
        WHEN stays.last_join IS NOT NULL AND stays.last_join > stays.last_leave
        THEN stays.last_join
        ELSE stays.last_leave END,
    left_at = CASE WHEN communitymember.present THEN NULL ELSE communitymember.last_seen_at END
FROM (
    SELECT community_id, user_id, MIN(occurred_at) AS first_seen,
           MAX(CASE WHEN kind = 'member_joined' THEN occurred_at END) AS last_join,
           MAX(CASE WHEN kind = 'member_left' THEN occurred_at END) AS last_leave
    FROM activityrecord
    WHERE community_id IS NOT NULL
    GROUP BY community_id, user_id
) AS stays
WHERE stays.community_id = communitymember.community_id
  AND stays.user_id = communitymember.user_id
"""

#: Each member's posts and reactions per day (the history has no replies nor deletions).
MEMBER_DAYS = """
INSERT INTO pulsememberday (community_id, user_id, day, posts, replies, reactions)
SELECT community_id, user_id, {day},
       SUM(CASE WHEN kind = 'message_posted' THEN 1 ELSE 0 END), 0,
       SUM(CASE WHEN kind = 'reaction_added' THEN 1 ELSE 0 END)
FROM activityrecord
WHERE community_id IS NOT NULL AND kind IN ('message_posted', 'reaction_added')
GROUP BY community_id, user_id, {day}
"""
DAY = {"sqlite": "date(occurred_at)", "postgresql": "CAST(occurred_at AT TIME ZONE 'UTC' AS date)"}


def upgrade() -> None:
    id_column = sa.String(length=255)
    op.create_table(
        "pulsememberday",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", id_column, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("community_id", "user_id", "day"),
    )
    op.create_index("ix_pulsememberday_day", "pulsememberday", ["community_id", "day"])
    op.create_table(
        "pulsepair",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("member_a", id_column, nullable=False),
        sa.Column("member_b", id_column, nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("community_id", "day", "member_a", "member_b"),
    )
    op.create_index("ix_pulsepair_day", "pulsepair", ["community_id", "day"])
    op.create_table(
        "pulsequestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("message_id", id_column, nullable=False),
        sa.Column("channel", id_column, nullable=False),
        sa.Column("asker", id_column, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_answer_by", id_column, nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "message_id"),
    )
    op.create_index("ix_pulsequestion_asked", "pulsequestion", ["community_id", "asked_at"])
    op.create_table(
        "rostersync",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_index("ix_rostersync_due", "rostersync", ["due_at"])

    # new columns only (no table rebuild on SQLite: the history may be large)
    for name, column_type in (
        ("message_id", id_column),
        ("thread_id", id_column),
        ("parent_author", id_column),
        ("reaction", sa.String(length=100)),
        ("target_id", id_column),
        ("target_author", id_column),
        ("deleted_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("activityrecord", sa.Column(name, column_type, nullable=True))
    for name in ("is_reply", "is_question"):
        op.add_column(
            "activityrecord",
            sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    op.create_index("ix_activity_message", "activityrecord", ["community_id", "message_id"])
    for index, column in (("ix_activity_thread", "thread_id"), ("ix_activity_target", "target_id")):
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            index,
            "activityrecord",
            ["community_id", column],
            sqlite_where=where,
            postgresql_where=where,
        )

    with op.batch_alter_table("communitymember") as batch_op:
        batch_op.add_column(sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("present_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
    op.execute(STAYS)
    dialect = op.get_bind().dialect.name
    op.execute(MEMBER_DAYS.format(day=DAY.get(dialect, DAY["postgresql"])))


def downgrade() -> None:
    op.execute("DELETE FROM communitymember WHERE last_seen_at IS NULL")  # only on a roster
    # the bot's own posts, deleted messages and reactions taken back were never history before
    op.execute("DELETE FROM activityrecord WHERE kind = 'bot_post' OR deleted_at IS NOT NULL")
    with op.batch_alter_table("communitymember") as batch_op:
        batch_op.alter_column(
            "last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("left_at")
        batch_op.drop_column("present_since")
        batch_op.drop_column("joined_at")
    for index in ("ix_activity_target", "ix_activity_thread", "ix_activity_message"):
        op.drop_index(index, table_name="activityrecord")
    with op.batch_alter_table("activityrecord") as batch_op:
        for name in (
            "is_question",
            "is_reply",
            "deleted_at",
            "target_author",
            "target_id",
            "reaction",
            "parent_author",
            "thread_id",
            "message_id",
        ):
            batch_op.drop_column(name)
    op.drop_index("ix_rostersync_due", table_name="rostersync")
    op.drop_table("rostersync")
    op.drop_index("ix_pulsequestion_asked", table_name="pulsequestion")
    op.drop_table("pulsequestion")
    op.drop_index("ix_pulsepair_day", table_name="pulsepair")
    op.drop_table("pulsepair")
    op.drop_index("ix_pulsememberday_day", table_name="pulsememberday")
    op.drop_table("pulsememberday")
