"""Fixtures for the final app's own tests, in the style of Flask's tutorial.

- app: a new app with empty data, uploads in a temporary folder;
- client: a test client (it keeps cookies, so the session and its CSRF token);
- runner: a test runner for the app's `flask` commands;
- store: the app's data store, to set up data without going through forms;
- submit: sends a form like a browser, with the csrf_token of the form's page.
"""

import pytest
from forum import post_form

from chatsite import create_app


@pytest.fixture
def upload_folder(tmp_path):
    """Where the app stores uploads: a fresh, not yet created folder."""
    return tmp_path / "uploads"


@pytest.fixture
def app(upload_folder):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "UPLOAD_FOLDER": str(upload_folder)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def store(app):
    return app.extensions["store"]


@pytest.fixture
def submit(client):
    """submit(form_page, action, fields, image=None): open the page, post its form.

    The hidden csrf_token of the page is sent along, as a browser would;
    image is (filename, bytes) or None.
    """

    def submit(form_page, action, fields, image=None):
        return post_form(client, form_page, action, fields, image)

    return submit
