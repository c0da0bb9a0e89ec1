"""Fixtures for the final app's own tests, in the style of Flask's tutorial.

- database_url: a fresh, migrated, empty database for each test, SQLite and PostgreSQL;
- app: a new app on that database, uploads in a temporary folder;
- client: a test client (it keeps cookies, so the session and its CSRF token);
- runner: a test runner for the app's `flask` commands;
- posting, reading, moderation, staff, thread_events, text_search: the data
  layer's modules, to set up and read data without going through forms (each
  call runs in its own app context, like a request would); get(Model, id)
  reads one row the same way;
- submit: sends a form like a browser, with the csrf_token of the form's page;
- pixels: what an image file shows (stored images are re-encoded: their bytes
  differ from the upload's, their pixels must not).
"""

import io

import pytest
from databases import InAppContext, dispose, fresh_postgres_url, fresh_sqlite_url
from forum import post_form
from pgserver import database_name, postgres_server  # noqa: F401 - a fixture, used below
from PIL import Image
from targets import FLOOD_LIMITS_OFF, with_shared_templates

import chatsite.moderation
import chatsite.posting
import chatsite.reading
import chatsite.staff
import chatsite.text_search
import chatsite.thread_events
from chatsite import create_app
from chatsite.db import db


@pytest.fixture
def upload_folder(tmp_path):
    """Where the app stores uploads: a fresh, not yet created folder."""
    return tmp_path / "uploads"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database with the newest schema and no data: each test that uses it
    runs twice, on SQLite and on PostgreSQL (a throwaway server, see pgserver.py)."""
    if request.param == "sqlite":
        yield fresh_sqlite_url(tmp_path)
        return
    server = request.getfixturevalue("postgres_server")
    url = fresh_postgres_url(server)
    yield url
    server.drop_database(database_name(url))


@pytest.fixture
def app(upload_folder, database_url):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "UPLOAD_FOLDER": str(upload_folder),
        "DATABASE_URL": database_url,
        # Flood control (flood.py) off, as in the staged suite: the tests post many
        # times a second from one address. The tests of the limits turn them on.
        **FLOOD_LIMITS_OFF,
    }
    app = with_shared_templates(create_app(settings))  # (compiled once: see targets.py)
    yield app
    dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def posting(app):
    return InAppContext(app, chatsite.posting)


@pytest.fixture
def reading(app):
    return InAppContext(app, chatsite.reading)


@pytest.fixture
def moderation(app):
    return InAppContext(app, chatsite.moderation)


@pytest.fixture
def staff(app):
    return InAppContext(app, chatsite.staff)


@pytest.fixture
def thread_events(app):
    return InAppContext(app, chatsite.thread_events)


@pytest.fixture
def text_search(app):
    return InAppContext(app, chatsite.text_search)


@pytest.fixture
def get(app):
    """get(Model, id): the row with this primary key (a model), or None."""

    def get(model, key):
        with app.app_context():
            return db.session.get(model, key)

    return get


@pytest.fixture
def submit(client):
    """submit(form_page, action, fields, image=None): open the page, post its form.

    The hidden csrf_token of the page is sent along, as a browser would;
    image is (filename, bytes) or None.
    """

    def submit(form_page, action, fields, image=None):
        return post_form(client, form_page, action, fields, image)

    return submit


def image_pixels(data):
    """(size, RGBA bytes) of an image file's (first) picture."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.convert("RGBA").tobytes()


@pytest.fixture
def pixels():
    """pixels(data): (size, RGBA bytes) of an image file, to compare two files' pictures."""
    return image_pixels
