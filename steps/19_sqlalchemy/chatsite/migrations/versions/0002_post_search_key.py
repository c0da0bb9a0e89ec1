"""SQLite's post search index tells which thread a post is in, without reading the post.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

A search counts the *threads* that have a word. With 0001's index, FTS5 gave
the ids of the matching posts, and SQLite then read each of those posts to
learn its thread: 10,000 lookups for a word in 1% of a million posts, most of
a search's time (see docs: Performance).

Here each post is indexed under a "search key" that holds both numbers:

    search key = thread_id * 2**32 + post id      (thread_id << 32 | id)

so ``search key >> 32`` is the thread, ``search key & 0xFFFFFFFF`` the post,
and FTS5 alone answers "which threads?". (Room for 4 billion posts.)
The index's "external content" is now the view post_search_source, which
shows the posts with that key. The view is only there to describe the rows,
for 'rebuild': the app asks the index for keys (MATCH), never for text through
it (that would read the whole view for every row).

PostgreSQL: nothing changes. Its GIN index is on the posts table itself, and
the planner reads thread_id from the same rows it finds.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TOKENIZE = "tokenize='unicode61 remove_diacritics 0'"

# The triggers of 0001 and 0002 differ only in the key they give FTS5.
OLD_KEY = "{row}.id"
NEW_KEY = "(({row}.thread_id << 32) | {row}.id)"


def post_search(content, content_rowid, key, also_on_update=""):
    """The statements that make post_search and its triggers, indexing every post there is."""
    new, old = key.format(row="new"), key.format(row="old")
    return [
        f"""CREATE VIRTUAL TABLE post_search USING fts5(
            body, content='{content}', content_rowid='{content_rowid}', {TOKENIZE})""",
        f"""CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
            INSERT INTO post_search (rowid, body) VALUES ({new}, new.body); END""",
        f"""CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
            INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', {old}, old.body); END""",
        f"""CREATE TRIGGER posts_search_update AFTER UPDATE OF body{also_on_update} ON posts BEGIN
            INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', {old}, old.body);
            INSERT INTO post_search (rowid, body) VALUES ({new}, new.body); END""",
        # Index the posts already stored (FTS5 reads them from the content table).
        "INSERT INTO post_search (post_search) VALUES ('rebuild')",
    ]


DROP_POST_SEARCH = [
    "DROP TRIGGER posts_search_insert",
    "DROP TRIGGER posts_search_delete",
    "DROP TRIGGER posts_search_update",
    "DROP TABLE post_search",
]


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in [
        *DROP_POST_SEARCH,
        "CREATE VIEW post_search_source AS SELECT (thread_id << 32) | id AS search_key, body FROM posts",
        # A post that moves to another thread (thread_id changes) gets a new key too.
        *post_search("post_search_source", "search_key", NEW_KEY, also_on_update=", thread_id"),
    ]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    statements = [*DROP_POST_SEARCH, "DROP VIEW post_search_source", *post_search("posts", "id", OLD_KEY)]
    for statement in statements:
        op.execute(statement)
