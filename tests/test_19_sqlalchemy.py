"""Step 19: SQLAlchemy and Flask-Migrate.

What the person who runs the site notices: the database is built, and brought
up to date, by ``flask db upgrade``, which runs each migration once (a second
run changes nothing, ``flask db current`` names the newest migration, an older
database keeps its posts); until then every page says which command to run.
The site keeps its data in the database its DATABASE_URL names: an SQLite file,
or a PostgreSQL server. What a visitor notices: a search word matches the
start of words (a full-text index), not the middle.

A site on another database is a second app of the same step with another
DATABASE_URL (targets.reload_app), as a restarted server with other settings
would be. The ``flask db`` commands run through the app's own test runner
(``app.test_cli_runner()``), as ``flask --app ...`` runs them, except
``flask db current``, which only ever prints to the real terminal: it runs as
a command, in a process of its own.
"""

import contextlib
import os
import re
import sqlite3
import subprocess
import sys

import pgserver
import pytest
from forum import create_thread, page, post_ids, reply, staff_client, thread_ids, thread_ids_on_board
from staff import LOCKED, act, status_text
from targets import reload_app

pytestmark = pytest.mark.since("19")

# Throwaway PostgreSQL databases (tests/pgserver.py), as fixtures of this module.
postgres_server, postgres_url = pgserver.postgres_server, pgserver.postgres_url

UPGRADE = "db upgrade"  # in the command every page names while the database is behind
RAN = re.compile(r"Running upgrade (\w*) -> (\w+)")  # what Alembic logs for each migration


# --- helpers -------------------------------------------------------------------


def sqlite_url(path):
    return f"sqlite:///{path}"


def on_database(app, url):
    """A new app of the same step (same uploads, same settings) on the database ``url``."""
    return reload_app(app, DATABASE_URL=url)


def flask_db(app, *args):
    """Run `flask db ARGS...` for this app; return click's result (exit_code, output)."""
    return app.test_cli_runner().invoke(args=["db", *args])


def upgraded(app, *args):
    """Run `flask db upgrade [ARGS]` (asserting that it worked); return what it printed."""
    result = flask_db(app, "upgrade", *args)
    assert result.exit_code == 0, result.output
    return result.output


def migrations_run(output):
    """The migrations an upgrade ran, as (from, to) pairs: [("", "0001"), ("0001", "0002"), ...]."""
    return RAN.findall(output)


def search_ids(client, words):
    return thread_ids(page(client.get(f"/search?q={words}")).links_after(r"\b\d+ threads? found\b"))


def package_folder(target):
    """The folder `flask --app` is given: a step's chatsite/, or final/chatsite/."""
    return target.path / "chatsite" if target.is_final else target.path


def shown_text(client, url):
    return page(client.get(url)).text()


# --- flask db upgrade ------------------------------------------------------------


def test_flask_db_upgrade_builds_a_new_database_once_and_flask_db_current_names_its_migration(
    app, target, tmp_path
):
    """`flask db upgrade` on a database file that does not exist yet runs every
    migration, in order; `flask db current` then names the newest; a second
    upgrade runs none and the posts are still there."""
    database = tmp_path / "new.sqlite3"
    site = on_database(app, sqlite_url(database))
    ran = migrations_run(upgraded(site))
    # From no schema at all, each migration starting where the one before it ended.
    ends = [end for _, end in ran]
    assert [start for start, _ in ran] == ["", *ends[:-1]]
    newest = ends[-1]

    # The command an operator types, in a terminal of its own.
    environment = {**os.environ, "CHATSITE_DATABASE_URL": sqlite_url(database), "CHATSITE_SECRET_KEY": "t"}
    current = subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(package_folder(target)), "db", "current"],
        capture_output=True, text=True, env=environment, timeout=60, check=False,
    )  # fmt: skip
    assert (current.returncode, current.stdout.strip()) == (0, f"{newest} (head)"), current.stderr

    client = site.test_client()
    thread_id = create_thread(client, title="Built by the migrations", body="Opening")
    assert reply(client, thread_id, "A reply").status_code == 303
    ids = post_ids(client, thread_id)
    assert migrations_run(upgraded(site)) == []
    assert post_ids(client, thread_id) == ids and len(ids) == 2


def test_every_page_of_a_never_upgraded_site_names_the_command(app, tmp_path, caplog):
    """Started on a new database without `flask db upgrade`: no page is an empty
    site or a 500. Each is a 503 that names the command (the API's in JSON), is not
    "busy, try again" (waiting will not help), and the log says it once. As soon as
    the command has run, the site works, without a restart."""
    site = on_database(app, sqlite_url(tmp_path / "never-upgraded.sqlite3"))
    client = site.test_client()
    for url in ("/", "/boards/astronomy", "/search?q=comet", "/threads/1", "/mod/", "/login"):
        response = client.get(url)
        text = page(response).text()
        assert (response.status_code, UPGRADE in text, "busy" in text) == (503, True, False), url
        assert "Retry-After" not in response.headers, url
    answer = client.get("/api/boards")
    assert (answer.status_code, UPGRADE in answer.get_json()["error"]["message"]) == (503, True)
    assert client.post("/boards/astronomy/threads", data={"title": "Hello"}).status_code == 503
    assert client.get("/static/style.css").status_code == 200  # the error page keeps its looks
    assert caplog.text.count(UPGRADE) == 1

    upgraded(site)
    assert client.get("/search?q=comet").status_code == 200
    assert thread_ids_on_board(client) == []
    thread_id = create_thread(client, title="First thread of a new site")
    assert thread_ids_on_board(client) == [thread_id]


def test_a_database_one_migration_behind_is_refused_until_it_is_upgraded(app):
    """New code on an old database (the upgrade forgotten in a deploy): the same 503,
    then the site as before once `flask db upgrade` has run."""
    client = app.test_client()
    assert flask_db(app, "downgrade").exit_code == 0  # one migration back
    response = client.get("/")
    assert (response.status_code, UPGRADE in page(response).text()) == (503, True)
    assert len(migrations_run(upgraded(app))) == 1
    assert client.get("/").status_code == 200


def test_an_old_database_is_upgraded_and_keeps_its_posts(app, tmp_path):
    """A database made by the first version of the schema (migration 0001), with a
    thread and a reply in it, written as that version's code wrote them. After
    `flask db upgrade` they are on the board and the thread page, searchable,
    neither locked nor pinned; new replies join them, and a moderator can lock it."""
    database = tmp_path / "old.sqlite3"
    site = on_database(app, sqlite_url(database))
    assert migrations_run(upgraded(site, "0001")) == [("", "0001")]
    with contextlib.closing(sqlite3.connect(database)) as old, old:
        old.execute(
            "INSERT INTO threads (board, title, created_at, bumped_at, bump_order, reply_count, post_count)"
            " VALUES ('astronomy', 'Comet watch', '2026-01-01 10:00:00', '2026-01-01 10:05:00', 2, 1, 2)"
        )
        for body, at in (("Halley returns", "10:00"), ("Perihelion soon", "10:05")):
            values = (body, f"2026-01-01 {at}:00")
            old.execute("INSERT INTO posts (thread_id, body, created_at) VALUES (1, ?, ?)", values)

    assert len(migrations_run(upgraded(site))) > 1
    client = site.test_client()
    assert thread_ids_on_board(client) == [1]
    assert post_ids(client, 1) == [1, 2]
    shown = shown_text(client, "/threads/1")
    assert "Halley returns" in shown and "Perihelion soon" in shown
    assert search_ids(client, "perihelion") == [1]
    assert reply(client, 1, "Aphelion later").status_code == 303
    assert post_ids(client, 1) == [1, 2, 3]

    moderator = staff_client(site, "milo")
    assert act(moderator, "/mod/threads/1/lock").status_code == 303
    assert LOCKED in status_text(client.get("/threads/1"))


# --- DATABASE_URL ----------------------------------------------------------------


def test_the_site_keeps_its_data_in_the_database_its_url_names(app, tmp_path):
    """Two sites on two database URLs each have their own threads; a site restarted
    on the same URL finds its own again."""
    first = on_database(app, sqlite_url(tmp_path / "first.sqlite3"))
    second = on_database(app, sqlite_url(tmp_path / "second.sqlite3"))
    upgraded(first)
    upgraded(second)
    on_first = create_thread(first.test_client(), title="Only on the first site")
    on_second = create_thread(second.test_client(), title="Only on the second site")
    assert thread_ids_on_board(second.test_client()) == [on_second]

    restarted = reload_app(first).test_client()
    assert thread_ids_on_board(restarted) == [on_first]
    assert "Only on the first site" in shown_text(restarted, f"/threads/{on_first}")


def test_the_site_runs_on_postgresql_by_its_url(app, postgres_url):
    """DATABASE_URL names a PostgreSQL database: `flask db upgrade` builds it there,
    posts are stored in it (a restart finds them, and PostgreSQL's own client sees
    them), and the search works on PostgreSQL's full-text index."""
    site = on_database(app, postgres_url)
    upgraded(site)
    client = site.test_client()
    thread_id = create_thread(client, title="Saturn tonight", body="Rings visible")
    assert reply(client, thread_id, "Seen through a telescope").status_code == 303

    restarted = reload_app(site).test_client()
    assert thread_ids_on_board(restarted) == [thread_id]
    assert len(post_ids(restarted, thread_id)) == 2
    assert search_ids(restarted, "tele") == [thread_id]

    import psycopg  # (pgserver made sure it is installed)

    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)) as connection:
        bodies = connection.execute("SELECT body FROM posts ORDER BY id").fetchall()
    assert bodies == [("Rings visible",), ("Seen through a telescope",)]
    for made in (site, restarted.application):
        with made.app_context():
            made.extensions["sqlalchemy"].engine.dispose()  # before the database is dropped


# --- the full-text search ----------------------------------------------------------


def test_a_search_word_matches_the_start_of_words_not_their_middle(client):
    """"tele" finds "Telescopes" and "telescope", in titles and posts, but not
    "radiotelescope": the full-text index finds words by how they begin."""
    in_title = create_thread(client, title="Telescopes compared", body="")
    in_post = create_thread(client, title="Gear", body="My telescope arrived")
    create_thread(client, title="Radio", body="A radiotelescope is huge")
    assert search_ids(client, "tele") == [in_post, in_title]
