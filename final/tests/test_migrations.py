"""The migrations build exactly the tables models.py describes, on SQLite and PostgreSQL.

If someone changes a model and forgets the migration (or the other way round),
`flask db upgrade` would build a database the code does not expect. Alembic's
compare_metadata is what `flask db migrate` uses to write a migration: on a
freshly migrated database it must find nothing to do.
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from databases import dispose
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from chatsite import create_app, moderation, posting, staff, text_search, thread_events
from chatsite.db import db, not_a_search_index
from chatsite.models import Thread


@pytest.fixture
def migrated_app(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    yield app
    dispose(app)


def test_migrations_match_the_models(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": not_a_search_index})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_removes_everything_and_upgrade_builds_it_again(migrated_app):
    with migrated_app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {"threads", "posts", "images"} <= tables


def test_0004_keeps_the_posts_and_a_downgrade_gives_them_back(migrated_app):
    """0003 -> 0004 on a database with posts in it: they stay, searchable, neither
    locked nor pinned. 0004 -> 0003 drops the moderation tables and columns and
    keeps every post (SQLite drops the columns in place: copying the threads table
    would delete its posts with it, ON DELETE CASCADE) and the search's triggers."""

    def sql(statement, **values):
        with db.engine.begin() as connection:
            result = connection.execute(text(statement), values)
            return result.all() if result.returns_rows else None

    def add_post(thread_id, body):
        sql("INSERT INTO posts (thread_id, body, created_at) VALUES (:t, :b, '2026-01-01 10:00:00')",
            t=thread_id, b=body)

    with migrated_app.app_context():
        downgrade(revision="0003")
        sql("INSERT INTO threads (board, title, created_at, bumped_at, bump_order, reply_count, post_count) "
            "VALUES ('astronomy', 'Comet watch', '2026-01-01 10:00:00', '2026-01-01 10:00:00', 1, 1, 2)")
        add_post(1, "Halley returns")
        add_post(1, "perihelion soon")

        upgrade()
        thread = db.session.get(Thread, 1)
        assert (thread.title, thread.locked, thread.pinned) == ("Comet watch", False, False)
        assert [r.thread.id for r in text_search.search("perihelion")[0]] == [1]
        moderation.lock_thread(1, True, "milo")
        moderation.add_report(2, "spam", "")
        staff.add_user("milo", "x", "moderator")

        downgrade(revision="0003")
        assert {"users", "reports", "audit_log"} & set(inspect(db.engine).get_table_names()) == set()
        columns = {column["name"] for column in inspect(db.engine).get_columns("threads")}
        assert {"locked", "pinned"} & columns == set()
        assert sql("SELECT body FROM posts ORDER BY id") == [("Halley returns",), ("perihelion soon",)]
        add_post(1, "aphelion later")  # the search's triggers still work at 0003

        upgrade()
        assert [r.thread.id for r in text_search.search("aphelion")[0]] == [1]
        assert staff.all_users() == []


def test_0005_adds_the_events_to_a_database_with_posts_and_a_downgrade_removes_them(migrated_app):
    """0004 -> 0005 on a database with a thread in it: the thread has no events yet
    (its page says data-last-event="0"), and its next change writes the first one.
    0005 -> 0004 drops thread_events and nothing else."""
    with migrated_app.app_context():
        downgrade(revision="0004")
        assert "thread_events" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO threads (board, title, created_at, bumped_at, bump_order, reply_count,"
                " post_count) VALUES ('astronomy', 'Comet', '2026-01-01', '2026-01-01', 1, 0, 1)"
            ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO posts (thread_id, body, created_at) VALUES (1, 'Halley returns', '2026-01-01')"
            ))  # fmt: skip

        upgrade()
        assert thread_events.last_event_id(1) == 0
        reply = posting.add_reply(1, "perihelion soon")
        events = thread_events.events_after(1, 0)
        assert [(event.kind, event.post_id) for event in events] == [("post", reply.id)]

        db.session.remove()  # its read transaction would still see the table
        downgrade(revision="0004")
        assert "thread_events" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:  # through SQL: the models are 0006's
            bodies = connection.execute(text("SELECT body FROM posts ORDER BY id")).scalars().all()
        assert bodies == ["Halley returns", "perihelion soon"]
        db.session.remove()
        upgrade()
        assert thread_events.last_event_id(1) == 0

