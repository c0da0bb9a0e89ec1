"""The posts by time: an index on posts.created_at, for reading.busiest_threads.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

Written by `flask db migrate --rev-id 0011 -m "posts by time"` once models.Post
had its new Index, then tidied as the other migrations are: this docstring,
and plain op.create_index rather than a batch operation (an index needs no
copy of the table, on SQLite or on PostgreSQL).
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_posts_created_at", "posts", ["created_at"])


def downgrade():
    op.drop_index("ix_posts_created_at", table_name="posts")
