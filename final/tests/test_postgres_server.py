"""The throwaway PostgreSQL harness (tests/pgserver.py) itself.

If these fail, every PostgreSQL test of the app would fail for the wrong reason:
here we check only that they give working, separate databases: empty, or copies
of a template.
"""

import subprocess

import pgserver
import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

pytestmark = pytest.mark.live

# The harness's fixtures, used here by name. (Assigned rather than imported with
# `from pgserver import ...`, which ruff reports as F811 once a test takes them
# as arguments; a conftest.py that only provides them can import them.)
postgres_server = pgserver.postgres_server
postgres_url = pgserver.postgres_url


def connect(url):
    """A SQLAlchemy connection that really ends when closed: no pool keeps it open."""
    return create_engine(url, poolclass=NullPool).connect()


def table_names(connection):
    return inspect(connection).get_table_names()


def test_url_is_a_local_psycopg_url(postgres_url):
    assert postgres_url.startswith("postgresql+psycopg://chatsite@127.0.0.1:")


def test_connects_to_the_installed_postgresql(postgres_server, postgres_url):
    # "postgres (PostgreSQL) 15.18 (Debian ...)": Debian 12's server is 15.
    installed = subprocess.run(
        [postgres_server.bindir / "postgres", "--version"], capture_output=True, text=True, timeout=10
    ).stdout.split()[2]
    with connect(postgres_url) as connection:
        version = connection.execute(text("select version()")).scalar_one()
    assert version.startswith(f"PostgreSQL {installed} ")


@pytest.fixture
def second_url(postgres_server):
    """Another fresh database on the same server, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(pgserver.database_name(url))


def test_each_test_gets_its_own_empty_database(postgres_url, second_url):
    assert postgres_url != second_url
    with connect(postgres_url) as first, connect(second_url) as second:
        assert table_names(first) == []
        assert table_names(second) == []

        first.execute(text("create table posts (id serial primary key, body text)"))
        first.commit()

        assert table_names(first) == ["posts"]
        assert table_names(second) == []


def test_dropping_a_database_disconnects_its_sessions(postgres_server):
    url = postgres_server.create_database()
    name = pgserver.database_name(url)
    # Left open on purpose, like a leaky test. (Plain psycopg: a SQLAlchemy pool
    # would log the terminated connection's failed rollback.)
    leaked = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

    postgres_server.drop_database(name)
    leaked.close()

    with connect(postgres_server.url()) as admin:
        query = text("select count(*) from pg_database where datname = :name")
        assert admin.execute(query, {"name": name}).scalar_one() == 0


def test_a_database_can_copy_a_template(postgres_server, postgres_url):
    with connect(postgres_url) as template:
        template.execute(text("create table boards (name text)"))
        template.execute(text("insert into boards values ('Chess')"))
        template.commit()
    # Closed, so nobody is connected: PostgreSQL copies only an idle template.
    copy_url = postgres_server.create_database(template=pgserver.database_name(postgres_url))
    try:
        with connect(copy_url) as copy:
            assert copy.execute(text("select name from boards")).scalars().all() == ["Chess"]
    finally:
        postgres_server.drop_database(pgserver.database_name(copy_url))
