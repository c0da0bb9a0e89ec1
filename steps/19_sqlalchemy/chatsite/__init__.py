"""Step 19: the same site as step 18, on SQLAlchemy, with migrations.

Since step 10 the data layer was SQL strings run by Python's sqlite3, and
schema.sql made the tables when they were missing, so a table could never
change. This step moves it onto the libraries a Flask site uses for this:

- models.py (new): the tables as SQLAlchemy classes (Flask-SQLAlchemy);
  boards are still the BOARDS setting, not a table;
- reading.py, posting.py, quoting.py, thread_events.py, moderation.py,
  staff.py, text_search.py, files.py (new): store.py's one class, and the
  SQL of the other modules, as one module of plain functions per concern,
  which hand the views and templates model objects;
- db.py: the session, write_transaction() with after_commit() and
  after_rollback(), and a 503 that names `flask db upgrade` until the
  database is up to date;
- migrations/ (new, Flask-Migrate): the tables' history as ten numbered
  migrations, run by `flask db upgrade`, in place of schema.sql and init-db;
- config.py: DATABASE_URL, an SQLite file or a PostgreSQL server; the search
  uses a full-text index (text_search.py), so a word matches the start of words.

The hand-made sessions, CSRF guard, form checks and flood control of steps 11
to 14 stay (logins.py, csrf.py, forms.py, flood.py), on the models; the
modules are the final app's, one job each (see the step's page).

The modules: accounts, api, boards, config, csrf, db, error_answers, errors,
files, flood, formatting, forms, image_child, image_frames, images, live,
live_messages, live_notifier, logins, mod, models, moderation, params, posting,
quoting, reading, search, staff, text_checks, text_search, thread_events,
upload_checks, upload_storage, uploads, videos, websocket.

Run it from the top of the repository. Build the database first (and again
after each update of the code), then start the site:

    flask --app steps/19_sqlalchemy/chatsite db upgrade
    flask --app steps/19_sqlalchemy/chatsite create-user NAME --role admin
    flask --app steps/19_sqlalchemy/chatsite run --debug

The database is steps/19_sqlalchemy/instance/chatsite.sqlite3, or the one
CHATSITE_DATABASE_URL names (postgresql://...). Until the upgrade has run,
every page is a 503 that names the command. Step 18's database is not used:
schema.sql made it, and no migration can say how far it is.
"""

import os

from flask import Flask
from werkzeug.routing import IntegerConverter

from . import (
    accounts,
    api,
    boards,
    csrf,
    db,
    errors,
    flood,
    formatting,
    live,
    logins,
    mod,
    reading,
    search,
    uploads,
)
from .config import load_config

# Sent with every response. They tell the browser to be strict with our pages:
SECURITY_HEADERS = {
    # Take each file as the type we say: never guess that an "image" is really HTML.
    "X-Content-Type-Options": "nosniff",
    # Load styles, images and scripts only from this site, and run no inline
    # <script> or style="": injected HTML could not do much even if it got through.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    # Tell other sites where a visitor came from, but not which page of ours.
    "Referrer-Policy": "same-origin",
    # Never show our pages inside another site's frame (no "clickjacking").
    "X-Frame-Options": "DENY",
    # The site uses no camera, microphone, location...: nothing on our pages may ask.
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    ),
}


def create_app(test_config=None):
    """Build and return the app; test_config overrides any setting (for the tests)."""
    # instance_relative_config: "config.py" below means instance/config.py.
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    # The instance folder holds instance/config.py, the uploads and the SQLite database.
    os.makedirs(app.instance_path, exist_ok=True)

    # <id:thread_id> in the blueprints' routes: a whole number the database can hold.
    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    reading.init_app(app)  # the boards, from the settings
    csrf.init_app(app)  # every POST needs the session's token
    logins.init_app(app)  # g.user: who is logged in
    flood.init_app(app)  # how often one client may post or try to log in
    formatting.init_app(app)  # body_html() and backlinks() for the templates
    live.init_app(app)  # flask-sock: the thread pages' WebSockets, and who to wake when
    blueprints = (
        boards.bp, search.bp, uploads.bp, api.bp, accounts.bp, mod.bp, live.bp, errors.bp,
    )  # fmt: skip
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.after_request(add_security_headers)
    return app


class IdConverter(IntegerConverter):
    """Ids in URLs: 1 to 2**31 - 1 (PostgreSQL's INTEGER). A longer number is an
    address that does not exist (404), never an error deep in the database.

    Written with the digits 0-9 only: Flask's int converter matches a digit of any
    script, and int() reads them all (/threads/٣, an Arabic-Indic 3, was thread 3)."""

    regex = r"[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


def add_security_headers(response):
    """Add SECURITY_HEADERS to a response (every page, file, image and JSON answer).

    setdefault: a view that set one of them itself keeps its own (an uploaded
    file has a Content-Security-Policy of its own, upload_storage.send_upload)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
