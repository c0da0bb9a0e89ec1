"""Step 20: the same site as step 19, with Flask extensions in place of hand-made parts.

Steps 11 to 14 made the staff's sessions, the CSRF guard, the form checks and
flood control by hand, and step 19 kept them. Here three extensions that most
Flask projects use take them over, with the same rules, messages and status
codes:

- logins.py: Flask-Login. login_user(), current_user and @login_required
  replace the session keys, g.user and the hand-made decorators; models.User
  gains what Flask-Login asks of a user (UserMixin, get_id);
- csrf.py: Flask-WTF's CSRFProtect checks every form's token (over HTTPS the
  Referer must be this site too, and a script may send the token in a header);
- forms.py: one WTForms class per form, its fields and their validators, for
  every form: a new thread, a reply, a report, the login, the staff's forms;
- flood.py: Flask-Limiter's limits on the posting views, the report form and
  the login; flood_store.py (new) keeps its counts in step 19's table
  limit_entries, so every process that serves the site counts in one place.

The modules: accounts, api, boards, config, csrf, db, error_answers, errors,
files, flood, flood_store (new), formatting, forms, image_child, image_frames,
images, live, live_messages, live_notifier, logins, mod, models, moderation,
params, posting, quoting, reading, search, staff, text_checks, text_search,
thread_events, upload_checks, upload_storage, uploads, videos, websocket.

Run it from the top of the repository, as in step 19:

    flask --app steps/20_extensions/chatsite db upgrade
    flask --app steps/20_extensions/chatsite create-user NAME --role admin
    flask --app steps/20_extensions/chatsite run --debug

Everything answers as in step 19: that is the point. The migrations are step
19's, so a copy of step 19's instance folder works here as it is.
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
    csrf.init_app(app)  # Flask-WTF's CSRFProtect: every POST needs the session's token
    logins.init_app(app)  # Flask-Login: current_user, staff pages
    flood.init_app(app)  # Flask-Limiter: how often one client may post or try to log in
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
