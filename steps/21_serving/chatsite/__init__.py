"""Step 21: the same site as step 20, served for real: gunicorn and its workers.

Until now `flask run` served the site: Werkzeug's development server, one
process. This step serves it with gunicorn, several worker processes of
gevent greenlets, and gives the code what several processes need:

- ../gunicorn.conf.py (new, beside this package): how many workers, which
  kind, how many connections each, where to listen;
- bodies.py (new): every request body is read whole before the app sees it,
  so a slow upload holds no view, and a form cut short is refused, not stored;
- config.py: the secret key is made once and kept in instance/secret_key,
  the same for every worker and every restart; PROXIES and TRUSTED_HOSTS;
- create_app() below puts Werkzeug's ProxyFix in front when PROXIES says a
  proxy stands there; hosts.py (new) refuses a host name the site does not
  serve with a short 400;
- live_listener.py (new), with thread_events.py and live_notifier.py: on
  PostgreSQL a reply stored by one worker wakes the open pages of every
  worker at once (LISTEN/NOTIFY).

The modules: accounts, api, boards, bodies (new), config, csrf, db,
error_answers, errors, files, flood, flood_store, formatting, forms, hosts
(new), image_child, image_frames, images, live, live_listener (new),
live_messages, live_notifier, logins, mod, models, moderation, params,
posting, quoting, reading, search, staff, text_checks, text_search,
thread_events, upload_checks, upload_storage, uploads, videos, websocket.

Run it from the top of the repository, under gunicorn:

    flask --app steps/21_serving/chatsite db upgrade
    PYTHONPATH=steps/21_serving gunicorn -c steps/21_serving/gunicorn.conf.py "chatsite:create_app()"

(`make serve STEP=21` does both.) PYTHONPATH makes `chatsite` this step's
package, not the final app's. `flask --app steps/21_serving/chatsite run`
still works, with the development server.
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
        boards.bp, search.bp, uploads.bp, api.bp, accounts.bp, mod.bp, live.bp, errors.bp,
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
