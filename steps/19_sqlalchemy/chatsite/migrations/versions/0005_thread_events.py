"""Live updates: the events of each thread (thread_events).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08

One row for each change a reader of a thread page should see without
reloading (models.ThreadEvent): a new post, a deleted post, the thread locked,
unlocked, moved or deleted. The live sockets (live.py) and the API's ?after=
read them.

No foreign keys: a thread's "thread-delete" row must outlive the thread.

Nothing to fill in for the threads that exist: they have no events yet, and a
thread page with no events says so (data-last-event="0"); its next change
writes the first one.
"""

import sqlalchemy as sa
from alembic import op

# Times are DateTime(timezone=True), the column type of models.UTCDateTime: a migration
# never imports the app's models, which change after it is written while it must not.


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "thread_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('post', 'delete', 'lock', 'unlock', 'move', 'thread-delete')",
            name="ck_thread_events_kind",
        ),
        # SQLite: INTEGER PRIMARY KEY AUTOINCREMENT, ids never handed out twice.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_thread_events_thread_id_id", "thread_events", ["thread_id", "id"])
    op.create_index("ix_thread_events_created_at", "thread_events", ["created_at"])


def downgrade():
    op.drop_index("ix_thread_events_created_at", table_name="thread_events")
    op.drop_index("ix_thread_events_thread_id_id", table_name="thread_events")
    op.drop_table("thread_events")
