"""Step 22: the same site as step 21, with 4chan's read-only API and an OpenAPI document.

Programs written for 4chan's JSON API (github.com/4chan/4chan-API): clients,
archivers, scripts, read this site too, at the same addresses and in the same
shapes. This step adds:

- fourchan.py (new): the blueprint of /boards.json, /<board>/threads.json,
  catalog.json, archive.json, /<board>/thread/<no>.json and the image files,
  with Last-Modified, 304s and CORS; and `flask fill-md5`;
- fourchan_json.py (new): 4chan's numbers, and posts in 4chan's shapes;
  fourchan_data.py (new): the queries it needs, a board's threads at once;
- images.py and upload_storage.py: each uploaded image keeps the MD5 of its
  bytes (the column images.md5, there since step 19's migrations);
- openapi.json (new), served by api.py at /api/openapi.json: the site's own
  API described in OpenAPI 3.1.

The modules: accounts, api, boards, bodies, config, csrf, db, error_answers,
errors, files, flood, flood_store, formatting, forms, fourchan (new),
fourchan_data (new), fourchan_json (new), hosts, image_child, image_frames,
images, live, live_listener, live_messages, live_notifier, logins, mod,
models, moderation, params, posting, quoting, reading, search, staff,
text_checks, text_search, thread_events, upload_checks, upload_storage,
uploads, videos, websocket.

Run it from the top of the repository, as in step 21 (or with `flask run`):

    flask --app steps/22_fourchan_api/chatsite db upgrade
    flask --app steps/22_fourchan_api/chatsite run --debug

then open http://127.0.0.1:5000/astronomy/catalog.json. Images stored before
this step have no MD5 yet: `flask --app steps/22_fourchan_api/chatsite fill-md5`.
"""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import (
    accounts,
    api,
    boards,
    bodies,
    csrf,
    db,
    errors,
    flood,
    formatting,
    fourchan,
    hosts,
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
    bodies.init_app(app)  # first: a broken body is refused before the CSRF check reads it
    hosts.init_app(app)  # around bodies.py: an unknown Host is refused before its body is read
    csrf.init_app(app)  # Flask-WTF's CSRFProtect: every POST needs the session's token
    logins.init_app(app)  # Flask-Login: current_user, staff pages
    flood.init_app(app)  # Flask-Limiter: how often one client may post or try to log in
    formatting.init_app(app)  # body_html() and backlinks() for the templates
    live.init_app(app)  # flask-sock: the thread pages' WebSockets, and who to wake when
    blueprints = (
        boards.bp, search.bp, uploads.bp, api.bp, fourchan.bp, accounts.bp, mod.bp, live.bp, errors.bp,
    )  # fmt: skip
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.after_request(add_security_headers)
    if app.config["PROXIES"]:
        # Believe X-Forwarded-For/-Proto/-Host from that many proxies, no more:
        # request.remote_addr and url_for(_external=True) then say what the visitor used.
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
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
