"""Moderation: staff accounts, reports, the audit log; locked and pinned threads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- users: the staff (moderators and admins). A username is unique whatever its
  case: username_key, the name lower-cased, is unique ("Mia" and "mia" are one name).
- reports: a visitor's report of a post; deleted with its post (ON DELETE CASCADE).
- audit_log: what each staff member did, as text that outlives what it names.
- threads.locked, threads.pinned: false for every thread there is.
- A board page lists pinned threads first: its index becomes (board, pinned,
  bump_order), read backwards, instead of (board, bump_order).

Search needs nothing new. A deleted post leaves SQLite's index through the
posts_search_delete trigger of 0001/0002 (SQLite fires it for the posts that
ON DELETE CASCADE removes with their thread too), and PostgreSQL's GIN index
is on the posts table itself. A moved thread keeps its id, and so its posts'
search keys (thread id << 32 | post id).
"""

import sqlalchemy as sa
from alembic import op

# Times are DateTime(timezone=True), the column type of models.UTCDateTime: a migration
# never imports the app's models, which change after it is written while it must not.


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("threads", sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("threads", sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_index("ix_threads_board_bump_order", table_name="threads")
    op.create_index("ix_threads_board_pinned_bump_order", "threads", ["board", "pinned", "bump_order"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("username_key", sa.String(32), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(32), nullable=True),
    )
    op.create_index("ix_reports_dismissed_at_id", "reports", ["dismissed_at", "id"])
    op.create_index("ix_reports_post_id", "reports", ["post_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
    )


def downgrade():
    op.drop_table("audit_log")
    op.drop_table("reports")
    op.drop_table("users")
    op.drop_index("ix_threads_board_pinned_bump_order", table_name="threads")
    op.create_index("ix_threads_board_bump_order", "threads", ["board", "bump_order"])
    # Not batch_alter_table (0003 uses it for images): on SQLite that copies the
    # table, and dropping the old threads table would delete every post with it
    # (ON DELETE CASCADE) and its search triggers. SQLite 3.35+ drops a column in place.
    op.drop_column("threads", "pinned")
    op.drop_column("threads", "locked")
