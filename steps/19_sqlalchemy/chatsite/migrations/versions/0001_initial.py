"""The first schema: threads, posts, images, and the search indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

The tables are the same on every database. The full-text search is not:

- SQLite: two FTS5 tables, post_search and thread_search, that index the text
  of posts.body and threads.title ("external content": they keep only the index,
  not a second copy of the text). Triggers keep them up to date on every
  INSERT, UPDATE and DELETE, inside the same transaction.
- PostgreSQL: GIN indexes on to_tsvector('simple', ...) of the same columns;
  PostgreSQL keeps them up to date itself.

Both split text into words the same way (letters and digits, lower-cased, no
stemming, accents kept), so a search finds the same threads on both.
"""

import sqlalchemy as sa
from alembic import op

# Times are DateTime(timezone=True), the column type of models.UTCDateTime: a migration
# never imports the app's models, which change after it is written while it must not.


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    # tokenize: words are runs of letters and digits, compared lower-cased.
    """CREATE VIRTUAL TABLE post_search USING fts5(
        body, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 0')""",
    """CREATE VIRTUAL TABLE thread_search USING fts5(
        title, content='threads', content_rowid='id', tokenize='unicode61 remove_diacritics 0')""",
    # An external-content index is told about every change, with the old text
    # for a removal ('delete' is FTS5's command for that).
    """CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
        INSERT INTO post_search (rowid, body) VALUES (new.id, new.body); END""",
    """CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
        INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body); END""",
    """CREATE TRIGGER posts_search_update AFTER UPDATE OF body ON posts BEGIN
        INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO post_search (rowid, body) VALUES (new.id, new.body); END""",
    """CREATE TRIGGER threads_search_insert AFTER INSERT ON threads BEGIN
        INSERT INTO thread_search (rowid, title) VALUES (new.id, new.title); END""",
    """CREATE TRIGGER threads_search_delete AFTER DELETE ON threads BEGIN
        INSERT INTO thread_search (thread_search, rowid, title) VALUES ('delete', old.id, old.title); END""",
    """CREATE TRIGGER threads_search_update AFTER UPDATE OF title ON threads BEGIN
        INSERT INTO thread_search (thread_search, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO thread_search (rowid, title) VALUES (new.id, new.title); END""",
]

POSTGRESQL_SEARCH = [
    "CREATE SEQUENCE thread_bump_order_seq",
    "CREATE INDEX ix_posts_body_search ON posts USING gin (to_tsvector('simple'::regconfig, body))",
    "CREATE INDEX ix_threads_title_search ON threads USING gin (to_tsvector('simple'::regconfig, title))",
]


def upgrade():
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bumped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bump_order", sa.BigInteger(), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_threads_board_bump_order", "threads", ["board", "bump_order"])
    op.create_index("ix_threads_bump_order", "threads", ["bump_order"])
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("thread_id", sa.Integer(), sa.ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_posts_thread_id_id", "posts", ["thread_id", "id"])
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("path", sa.String(255), nullable=False, unique=True),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(200), nullable=False),
        sa.UniqueConstraint("post_id"),
    )
    for statement in SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_SEARCH:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE thread_search")
        op.execute("DROP TABLE post_search")
    else:
        op.execute("DROP SEQUENCE thread_bump_order_seq")
    op.drop_table("images")
    op.drop_table("posts")
    op.drop_table("threads")
