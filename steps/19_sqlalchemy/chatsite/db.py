"""The database: SQLAlchemy through Flask-SQLAlchemy, migrations through Flask-Migrate.

Step 10 did all of this by hand with the standard library's sqlite3: a connection
per request on ``g``, closed on teardown, ``BEGIN IMMEDIATE`` for writers and a
schema.sql. Here the Flask ecosystem's libraries do the same jobs:

- ``db.session`` is the request's connection and transaction. Flask-SQLAlchemy
  opens it on first use and closes it (rolling back anything not committed)
  when the request ends, like step 10's ``get_db()`` and ``close_db()``.
- ``flask --app chatsite db upgrade`` (Flask-Migrate, i.e. Alembic) brings any
  database to the current schema, the way step 10's ``init-db`` created it,
  but without losing data: each change of the schema is a numbered migration
  in migrations/versions/.
- The same code runs on SQLite (one file in the instance folder, the default)
  and on PostgreSQL (``CHATSITE_DATABASE_URL=postgresql+psycopg://...``).
"""

from contextlib import contextmanager
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase
from werkzeug.exceptions import ServiceUnavailable


class Base(DeclarativeBase):
    """The base class of every model (see models.py)."""


# expire_on_commit=False: a model object that a write hands back (the new
# thread, the locked thread) keeps its values after the COMMIT, so the view can
# read them without another query. (SQLAlchemy's default forgets them at commit,
# to be read again on next use.)
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()

# The migrations ship inside the package, so `flask db upgrade` finds them from
# any folder (Flask-Migrate would otherwise look for ./migrations).
MIGRATIONS_FOLDER = Path(__file__).resolve().parent / "migrations"

UPGRADE_COMMAND = "flask --app chatsite db upgrade"


class DatabaseNotUpgraded(ServiceUnavailable):
    """503 on every page while the database is older than the code (require_upgraded_database)."""

    description = (
        "The site's database is not set up yet, or is older than the site's code. "
        f"Whoever runs the site: run `{UPGRADE_COMMAND}`, then reload this page."
    )


def init_app(app):
    """Connect the app to its database (app.config["SQLALCHEMY_DATABASE_URI"])."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_FOLDER), include_name=not_a_search_index)
    # The migrations this code knows, read from their files (no database needed).
    script = ScriptDirectory(str(MIGRATIONS_FOLDER))
    app.extensions["chatsite_schema"] = {
        "heads": set(script.get_heads()),
        "known": {revision.revision for revision in script.walk_revisions()},
        "up_to_date": False,
        "logged": False,
    }
    # A url_value_preprocessor: it runs before every other check of a request
    # (boards.stop_if_not_found looks the thread up even before before_request).
    app.url_value_preprocessor(require_upgraded_database)
    with app.app_context():
        configure_sqlite_engine(db.engine, app.config["DATABASE_TIMEOUT"])


def configure_sqlite_engine(engine, timeout_seconds):
    """Set up an engine's SQLite connections as ours must be (nothing for PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return
    # How long a writer waits for another writer to finish before giving up
    # with "database is locked" (error_answers.py turns that into 503 "busy").
    busy_timeout_ms = int(timeout_seconds * 1000)

    def on_connect(connection, _record):
        configure_sqlite_connection(connection, busy_timeout_ms)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", begin_sqlite_transaction)


def require_upgraded_database(endpoint, _values):
    """Answer every request with a clear 503 while the database is behind the code.

    Started without `flask db upgrade` (a new folder, or new code on an old
    database), the site would show empty boards and fail on the first query of a
    missing table or column. Why not upgrade here, as step 10 creates its tables?
    Several workers (and machines) start at once, and two upgrades running at
    the same moment on PostgreSQL can fail half-way or block each other; the
    upgrade is a deliberate step, run once, from one machine. So the site says
    which command to run, on every page and in the log, and serves normally as
    soon as it has been run (no restart). Once the database is found up to
    date, this process never asks again: it costs nothing afterwards.
    """
    schema = current_app.extensions["chatsite_schema"]
    if schema["up_to_date"] or endpoint == "static":
        return
    with db.engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    # A revision this code does not know was made by newer code (a rollback of
    # the code): the newer schema only adds to ours, so serve.
    if revision in schema["heads"] or (revision is not None and revision not in schema["known"]):
        schema["up_to_date"] = True
        return
    if not schema["logged"]:
        schema["logged"] = True
        current_app.logger.error(
            "The database is at migration %s, this code needs %s: run `%s` (once, from one machine).",
            revision or "none (no tables)", ", ".join(sorted(schema["heads"])), UPGRADE_COMMAND,
        )
    raise DatabaseNotUpgraded()


# The full-text search lives in objects that models.py does not describe (they
# differ between SQLite and PostgreSQL; migration 0001 makes them).
SEARCH_INDEXES = ("post_search", "thread_search", "ix_posts_body_search", "ix_threads_title_search")


def not_a_search_index(name, _type, _parent_names):
    """False for the search index objects (and FTS5's own tables, post_search_data...).

    `flask db migrate` compares the models with the database to write a new
    migration; without this it would offer to drop the search indexes."""
    return not (name or "").startswith(SEARCH_INDEXES)


def configure_sqlite_connection(connection, busy_timeout_ms):
    """Set up each new SQLite connection the way a web server needs it.

    - isolation_level = None: Python's sqlite3 module would otherwise start
      transactions itself, late and always "deferred". We start them ourselves
      (begin_sqlite_transaction), so that writers can ask for IMMEDIATE.
    - WAL (write-ahead log): readers never wait for a writer, and a writer never
      waits for readers. Only writers queue, one at a time.
    - busy_timeout: a writer that finds another one busy waits for its turn
      instead of failing at once with "database is locked".
    - foreign_keys: SQLite enforces REFERENCES ... ON DELETE CASCADE only when asked.
    """
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def begin_sqlite_transaction(connection):
    """Start each SQLite transaction: IMMEDIATE for writers, plain for readers.

    A plain (deferred) transaction takes the write lock only at its first write.
    If another writer committed in the meantime, SQLite cannot let it write on
    its now-old snapshot and fails at once, without waiting. BEGIN IMMEDIATE
    takes the write lock up front, waiting (busy_timeout) for its turn, so
    concurrent writers queue instead of failing.
    """
    writing = connection.get_execution_options().get("chatsite_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def write_transaction():
    """Run the block as one write transaction: all of it is stored, or none of it.

    Any read transaction the request has open is ended first: a write must see
    the newest data, not the snapshot the request started with. On PostgreSQL
    the rows a writer changes are locked by the database itself (SELECT ... FOR
    UPDATE where it matters, see posting.py and moderation.py).

    What the block handed to after_commit() runs once the COMMIT has succeeded,
    and never if the transaction is rolled back; what it handed to
    after_rollback() runs only if it is rolled back.
    """
    db.session.rollback()
    take_callbacks()  # left over from a transaction that never ended: forgotten
    db.session.connection(execution_options={"chatsite_write": True})
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _, undo = take_callbacks()
        for callback in undo:
            callback()
        raise
    done, _ = take_callbacks()
    for callback in done:
        callback()


# Where a session keeps what to run after its write transaction commits, or
# after it is rolled back.
AFTER_COMMIT = "chatsite_after_commit"
AFTER_ROLLBACK = "chatsite_after_rollback"


def take_callbacks():
    """(the after_commit callbacks, the after_rollback ones) of the current write
    transaction, which the session then forgets."""
    return db.session.info.pop(AFTER_COMMIT, []), db.session.info.pop(AFTER_ROLLBACK, [])


def after_commit(session, callback):
    """Call callback() once the current write_transaction() has committed.

    For news that must not travel before the change it announces is stored:
    thread_events.record_event wakes the live sockets this way. Woken before
    the COMMIT, a socket would look, find nothing yet, and sleep again.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


def after_rollback(session, callback):
    """Call callback() if the current write_transaction() fails and is rolled back.

    For what the transaction did outside the database, which a ROLLBACK cannot
    undo: files.write_for_post removes the files it wrote for a post that was
    then not stored.
    """
    session.info.setdefault(AFTER_ROLLBACK, []).append(callback)


def on_postgresql():
    """True on PostgreSQL, False on SQLite: the few queries that differ ask."""
    return db.session.get_bind().dialect.name == "postgresql"
