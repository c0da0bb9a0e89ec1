"""Step 12: the same site as step 11, safe from forged forms.

Another website can hold a form that posts to this one: a logged-in admin who
visits it would send that form with their cookie, and make an account, say,
without knowing. This step adds the guards, by hand:

- csrf.py: every form of our pages carries a secret token of the visitor's
  session; a POST without it is refused (400) before its view runs;
- the session cookie is SameSite=Lax (config.py): browsers leave it out of
  other sites' forms;
- security headers on every response (SECURITY_HEADERS below): no inline
  script, no framing by other sites, no guessing of file types;
- every form is held to a small size, and a file sent to a form without a
  file field is refused (boards.py): the CSRF check reads every form.

The final app gets the same guard from Flask-WTF.

Run it from the top of the repository, as in step 11:

    flask --app steps/12_csrf/chatsite create-user NAME --role admin
    flask --app steps/12_csrf/chatsite run --debug

then open http://127.0.0.1:5000: the site looks the same, and every form
carries a hidden csrf_token field (see the page source).
"""

import os
import secrets

from flask import Flask
from werkzeug.routing import IntegerConverter

# The package's own modules. The dot means "from this package", whatever
# name it was imported under (see "Relative imports" on the step's page).
from . import accounts, api, boards, config, csrf, db, errors, moderation, search, store, uploads

# Sent with every response (add_security_headers below). Each one tells the
# browser to be strict with our pages, so that a mistake of ours, or a trick
# that got past our checks, can do less harm.
SECURITY_HEADERS = {
    # Take each file as the type we say: never guess that an "image" is really
    # HTML (and then run the script a crafty uploader hid in it).
    "X-Content-Type-Options": "nosniff",
    # Content Security Policy: where a page may load things from. 'self' is this
    # site only. Styles, images and scripts come from our own files; no inline
    # <script> or style="" runs at all, so HTML someone managed to inject could
    # not do much even if it got through. Forms may only post to this site
    # (form-action), and no other site may show our pages in a frame
    # (frame-ancestors). That is why the templates have no inline script or style.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    # A link to another site tells it that the visitor came from this site, but
    # not from which page (a thread's address can say more than its readers think).
    "Referrer-Policy": "same-origin",
    # The older way of saying frame-ancestors 'none', for older browsers: never
    # show our pages inside another site's frame. Otherwise a site could lay the
    # users page's "Disable" button under a harmless-looking one of its own, and
    # make an admin click it ("clickjacking").
    "X-Frame-Options": "DENY",
    # The site uses no camera, microphone, location...: nothing on our pages may ask.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def create_app(test_config=None):
    """Build and return a new app, with its own settings.

    test_config is a dictionary of settings that wins over every other layer:
    a test passes one to send uploads and the database to a temporary folder.
    Two apps with the same DATABASE share their data, like a server and the
    same server after a restart.
    """
    # instance_relative_config=True: "config.py" below means instance/config.py.
    app = Flask(__name__, instance_relative_config=True)
    # Flask finds converters by name: every <int:...> in the blueprints' routes
    # uses ours (below). Set before the blueprints bring their routes.
    app.url_map.converters["int"] = AsciiIntegerConverter

    # The settings, in layers. Each layer overrides the one before it.
    # 1. The defaults, enough to run on your own computer (config.py).
    app.config.from_mapping(config.defaults(app.instance_path))
    # 2. instance/config.py, if there is one: the settings of one installation.
    app.config.from_pyfile("config.py", silent=True)
    # 3. Environment variables, as in step 08, e.g.
    #    FLASK_MAX_CONTENT_LENGTH=1048576 flask --app steps/12_csrf/chatsite run
    app.config.from_prefixed_env()
    #    ... and the same names with CHATSITE_, the prefix the final app reads, so
    #    that CHATSITE_SECRET_KEY works for this step and for the final app.
    app.config.from_prefixed_env("CHATSITE")
    # 4. What the caller passed in (the tests).
    if test_config is not None:
        app.config.from_mapping(test_config)

    if not app.config["SECRET_KEY"]:
        # No key given by any layer: make a random one for as long as this server
        # runs. The session cookies it signed stop working at each restart, so the
        # staff must log in again after every restart (and every open form needs a
        # reload: its CSRF token was in the old session). Good enough on your own
        # computer, and safe: a key written here in the code would let anyone who
        # read the code forge a logged-in session. The final app keeps its random
        # key in a file in the instance folder, so sessions survive a restart. To
        # keep one here: SECRET_KEY in instance/config.py, or the environment
        # variable CHATSITE_SECRET_KEY (or FLASK_SECRET_KEY).
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        # Not set by any layer: send the session cookie over HTTPS only when the
        # site is served over HTTPS (config.py).
        app.config["SESSION_COOKIE_SECURE"] = app.config["PREFERRED_URL_SCHEME"] == "https"

    # The instance folder holds instance/config.py, the uploads and the database.
    os.makedirs(app.instance_path, exist_ok=True)

    # The database: closed after each request, `flask init-db`, the tables made if missing.
    db.init_app(app)
    # The store reads and writes the data in the app's database (DATABASE).
    store.init_app(app)
    # The routes are written in the blueprints; here they are attached to this app.
    # (accounts also brings `flask create-user`, and loads g.user before each request.)
    blueprints = (boards.bp, search.bp, uploads.bp, api.bp, accounts.bp, moderation.bp, errors.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # The CSRF check reads the form of every POST. It comes after the blueprints,
    # so that boards.limit_plain_forms() has already set the size limit of a plain
    # form when the check reads one. (Flask runs these in the order they were added.)
    csrf.init_app(app)
    app.after_request(add_security_headers)
    return app


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> in an address: a whole number written with the digits 0 to 9 only.

    Flask's own int converter matches a digit of any script, and int() reads them
    all: /threads/٣ (an Arabic-Indic 3) and /threads/３ (a full-width 3) would
    show thread 3 too. One thread has one address; those are 404 Not Found."""

    regex = r"[0-9]+"


def add_security_headers(response):
    """Add SECURITY_HEADERS to a response: every page, image file and JSON answer."""
    response.headers.update(SECURITY_HEADERS)
    return response
