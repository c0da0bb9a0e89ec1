"""Step 09: the same site as a package, built by an app factory, in blueprints.

Every earlier test still passes on step 09 unchanged: that is the proof that the
refactor changed no behaviour. The tests here check what the refactor gives.
"""

import importlib

import pytest
from flask import url_for
from forum import create_thread, thread_ids_on_board
from targets import load_app

pytestmark = pytest.mark.since("09")


def factory_of(app):
    """The create_app() of the package the app comes from, found the way
    `flask --app` finds it: in the module named after the app."""
    return importlib.import_module(app.import_name).create_app


def test_the_factory_applies_the_test_config(app, tmp_path):
    settings = {
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "DATABASE": str(tmp_path / "chatsite.sqlite3"),
        "MAX_CONTENT_LENGTH": 1024,
    }
    made = factory_of(app)(settings)
    assert made is not app
    assert made.config["UPLOAD_FOLDER"] == settings["UPLOAD_FOLDER"]
    assert made.config["MAX_CONTENT_LENGTH"] == 1024  # the test config wins over the defaults...
    assert made.config["MAX_FORM_PARTS"] == 20  # ...and the other defaults are still there


def test_each_concern_is_a_blueprint(app):
    assert set(app.blueprints) >= {"boards", "search", "uploads", "api", "errors"}
    # Every page belongs to a blueprint; only Flask's own /static/ does not.
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert {endpoint.split(".")[0] for endpoint in endpoints} <= set(app.blueprints)


def test_url_for_names_the_blueprint(app):
    with app.test_request_context():
        assert url_for("boards.show_thread", thread_id=1) == "/threads/1"
        assert url_for("boards.show_board", slug="chess") == "/boards/chess"
        assert url_for("api.thread_posts", thread_id=1) == "/api/threads/1/posts"
        assert url_for("uploads.uploaded_file", filename="a/b.png") == "/uploads/a/b.png"


def test_two_apps_from_the_factory_share_no_data(app, target, tmp_path):
    other = load_app(target, tmp_path / "other" / "uploads")
    # Both apps come from one import of the same code: only create_app() keeps
    # their data apart (step 08's data lived in the module, so it would be shared).
    assert factory_of(other) is factory_of(app)
    thread_id = create_thread(app.test_client(), title="Only in the first app")
    assert thread_ids_on_board(app.test_client()) == [thread_id]
    assert thread_ids_on_board(other.test_client()) == []
    assert other.test_client().get(f"/threads/{thread_id}").status_code == 404
