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
from sqlalchemy import inspect

from chatsite import create_app
from chatsite.db import db, not_a_search_index


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


def test_flask_db_upgrade_creates_a_new_database(tmp_path):
    """`flask --app chatsite db upgrade` on a database file that does not exist yet."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}", "TESTING": True})
    try:
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        with app.app_context():
            assert {"threads", "posts", "images"} <= set(inspect(db.engine).get_table_names())
    finally:
        dispose(app)
