"""Step 11: the same site as step 10, with staff accounts.

Posting stays anonymous, but a public site needs people who look after it.
This step gives them accounts, by hand, with Flask and Werkzeug:

- accounts.py: `flask create-user` makes an account (admin or moderator);
  /login and /logout; the logged-in user on g.user; the decorators
  @staff_required and @admin_required that say who may open which page;
- the users table (schema.sql): a password is stored only as a slow, salted
  hash, never as itself;
- moderation.py: the staff's pages under /mod/: their home page and, for
  admins, the accounts (make, promote, disable).

Not safe for the internet yet: another site could send our forms in a
logged-in admin's name. Step 12 adds the guard against that.

Run it from the top of the repository. First make yourself an admin account
(it asks for a password twice), then start the site:

    flask --app steps/11_accounts/chatsite create-user NAME --role admin
    flask --app steps/11_accounts/chatsite run --debug

then open http://127.0.0.1:5000 and follow "Staff login" at the bottom of
the page. The database file is made on the first start, as in step 10.
"""

import os
import secrets

from flask import Flask
from werkzeug.routing import IntegerConverter

# The package's own modules. The dot means "from this package", whatever
# name it was imported under (see "Relative imports" on the step's page).
from . import accounts, api, boards, config, db, errors, moderation, search, store, uploads


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
    #    FLASK_MAX_CONTENT_LENGTH=1048576 flask --app steps/11_accounts/chatsite run
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
        # staff must log in again after every restart. Good enough on your own
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
    return app


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> in an address: a whole number written with the digits 0 to 9 only.

    Flask's own int converter matches a digit of any script, and int() reads them
    all: /threads/٣ (an Arabic-Indic 3) and /threads/３ (a full-width 3) would
    show thread 3 too. One thread has one address; those are 404 Not Found."""

    regex = r"[0-9]+"
