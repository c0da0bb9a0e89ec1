"""Fresh, migrated databases for the final app's tests, made fast.

Running every migration for every test would cost tens of milliseconds each,
a thousand times. So the migrations run once per test session into a template
database, and each test gets a copy: a file copy on SQLite, and on PostgreSQL
``CREATE DATABASE ... TEMPLATE``, which copies the template's files too.

The template is made by `flask db upgrade`'s own code (flask_migrate.upgrade),
so the tests run on exactly the schema the migrations build.

InAppContext lets a test call the app's data layer as a request would.
"""

import itertools
import shutil
import tempfile
from pathlib import Path

from flask_migrate import upgrade

from chatsite import create_app

_sqlite_templates = {}  # create_app's package -> its migrated template file
_postgres_templates = {}  # server -> the name of its migrated template database
_copies = itertools.count(1)


def migrate(database_url, create_app=create_app):
    """Bring the database at `database_url` to the newest schema of `create_app`'s
    package (the final app's, or a step's from step 19 on)."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "migrate", "TESTING": True})
    with app.app_context():
        upgrade()
    _dispose(app)


def fresh_sqlite_url(folder, create_app=create_app):
    """The URL of a new SQLite file in `folder`, already migrated by `create_app`'s
    package and empty. Each package (each step from 19 on) has its own template."""
    package = create_app.__module__
    if package not in _sqlite_templates:
        template = Path(tempfile.mkdtemp(prefix="chatsite-template-")) / "template.sqlite3"
        migrate(f"sqlite:///{template}", create_app)
        _sqlite_templates[package] = template
    Path(folder).mkdir(parents=True, exist_ok=True)
    copy = Path(folder) / f"chatsite-{next(_copies)}.sqlite3"
    shutil.copyfile(_sqlite_templates[package], copy)
    return f"sqlite:///{copy}"


def fresh_postgres_url(server):
    """The URL of a new database on a pgserver.PostgresServer, migrated and empty."""
    if server not in _postgres_templates:
        template_url = server.create_database()
        migrate(template_url)  # (and closes its connections: a template must be idle)
        _postgres_templates[server] = template_url.rsplit("/", 1)[-1]
    return server.create_database(template=_postgres_templates[server])


def dispose(app):
    """Close the app's database connections (before its database is removed)."""
    _dispose(app)


def _dispose(app):
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    # Flood control's own connections (final/chatsite/flood_store.py), if it has any.
    flood_engine = app.extensions.get("chatsite_flood_engine")
    if flood_engine is not None:
        flood_engine.dispose()


class InAppContext:
    """Calls the functions of a module (posting, reading...) each inside a new app
    context of `app`, the way each request gets its own: the database session
    needs one. What they return (models) can still be read afterwards, but not
    the relationships that were not loaded."""

    def __init__(self, app, module):
        self._app = app
        self._module = module

    def __getattr__(self, name):
        function = getattr(self._module, name)

        def call(*args, **kwargs):
            with self._app.app_context():
                return function(*args, **kwargs)

        return call
