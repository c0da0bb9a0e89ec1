"""Exercise 19.1 · The busiest threads: a query in reading.py, and an index made by flask db migrate."""

import contextlib
import importlib
import sqlite3
from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from forum import create_thread, reply


def module(app, name):
    """The app's own module `name` (reading, db...): the package under check, not the final app."""
    return importlib.import_module(f"{app.import_name}.{name}")


def busiest(app, since, **limit):
    """reading.busiest_threads(since, ...) of the app, as [(thread id, posts), ...]."""
    reading = module(app, "reading")
    assert hasattr(reading, "busiest_threads"), "reading.py has no busiest_threads(since, limit=5) yet"
    with app.app_context():
        return [(thread.id, posts) for thread, posts in reading.busiest_threads(since, **limit)]


def replies(client, thread_id, count):
    for number in range(count):
        assert reply(client, thread_id, f"Reply {number}").status_code == 303


def database_file(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert url.startswith("sqlite:///"), f"the checks need an SQLite database, not {url}"
    return url.removeprefix("sqlite:///")


def indexes_of_posts(app):
    """{index name: [its columns]} of the posts table, read from the database itself."""
    with contextlib.closing(sqlite3.connect(database_file(app))) as db:
        names = [row[1] for row in db.execute("PRAGMA index_list('posts')")]
        return {name: [row[2] for row in db.execute(f"PRAGMA index_info('{name}')")] for name in names}


def has_created_at_index(app):
    return ["created_at"] in indexes_of_posts(app).values()


def count_posts(app):
    with contextlib.closing(sqlite3.connect(database_file(app))) as db:
        return db.execute("SELECT count(*) FROM posts").fetchone()[0]


def flask_db(app, *args):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, f"flask db {' '.join(args)} failed: {result.output.strip()[-300:]}"
    return result.output


def test_busiest_threads_counts_the_posts_since_a_moment(app, client):
    """busiest_threads(since) gives each thread with posts since then, with how many, the most first.

    Hint: select(Thread, func.count(Post.id)), joined to Post, where
    Post.created_at >= since, grouped by Thread.id, ordered by the count
    (descending), limited to `limit`. db.session.execute() gives the rows as
    (thread, count) pairs.
    """
    quiet = create_thread(client, title="Busy last week", body="Opening")
    replies(client, quiet, 4)
    revived = create_thread(client, title="Revived today", body="Opening")
    since = datetime.now(timezone.utc)
    replies(client, revived, 3)
    new = create_thread(client, title="New today", body="Opening")
    create_thread(client, title="Title only, no post", body="")
    found = busiest(app, since)
    assert found == [(revived, 3), (new, 1)], (
        f"expected thread {revived} with 3 posts, then thread {new} with 1 (thread {quiet}'s posts are"
        f" all older), got {found}"
    )


def test_a_tie_goes_to_the_most_recently_active_thread_and_limit_cuts_the_list(app, client):
    """Threads with as many posts: the most recently active first; limit=2 gives two threads.

    Hint: order by the count descending, then by Thread.bump_order descending
    (the board's order), and .limit(limit).
    """
    since = datetime.now(timezone.utc)
    older = create_thread(client, title="One post, older", body="Opening")
    busy = create_thread(client, title="Two posts", body="Opening")
    newer = create_thread(client, title="One post, newer", body="Opening")
    replies(client, busy, 1)
    found = busiest(app, since)
    expected = [(busy, 2), (newer, 1), (older, 1)]
    assert found == expected, f"expected the order {[busy, newer, older]}, got {found}"
    assert busiest(app, since, limit=2) == [(busy, 2), (newer, 1)], "limit=2 should give the first two only"


def test_the_migrations_build_an_index_on_posts_created_at(app):
    """`flask db upgrade` builds an index on posts.created_at (the newest migration adds it).

    Hint: add Index("ix_posts_created_at", "created_at") to Post.__table_args__
    in models.py, run `flask db upgrade` (your database must be up to date), then
    `flask db migrate --rev-id 0011 -m "posts by time"`: read the file it writes
    in migrations/versions/.
    """
    indexes = indexes_of_posts(app)
    assert has_created_at_index(app), f"the posts table has no index on created_at, only {indexes}"


def test_a_downgrade_removes_the_index_and_keeps_every_post(app, client):
    """`flask db downgrade` removes the index and keeps every post; `flask db upgrade` builds it again.

    Hint: the new migration's downgrade() drops the index that its upgrade()
    creates (flask db migrate writes both); its down_revision is "0010".
    """
    thread_id = create_thread(client, title="Kept", body="Opening")
    replies(client, thread_id, 2)
    assert has_created_at_index(app), "the posts table has no index on created_at yet"
    flask_db(app, "downgrade")
    assert not has_created_at_index(app), "after `flask db downgrade` the index on created_at is still there"
    assert count_posts(app) == 3, f"after `flask db downgrade` {count_posts(app)} posts are left, not 3"
    flask_db(app, "upgrade")
    assert has_created_at_index(app), "after `flask db upgrade` the index on created_at is missing"
    assert client.get(f"/threads/{thread_id}").status_code == 200


def test_still_the_models_match_the_migrations(app):
    """models.py and the migrations describe the same tables (nothing for flask db migrate to do).

    Hint: a change to models.py needs its migration, and a migration its change
    to models.py: `flask db migrate` compares the two, and writes what differs.
    """
    db_module = module(app, "db")
    with app.app_context(), db_module.db.engine.connect() as connection:
        options = {"include_name": db_module.not_a_search_index}
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, db_module.db.metadata)
    assert differences == [], f"models.py and the migrations differ: {differences}"
