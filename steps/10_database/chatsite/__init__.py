"""Step 10: the same site as step 09, with its data in an SQLite database.

Threads and posts used to live in the server's memory and were gone at every
restart. Now they are rows in a database file, instance/chatsite.sqlite3,
reached through Python's own sqlite3 module:

- db.py opens and closes the connections, and creates the tables of
  schema.sql when the database has none yet;
- store.py asks for and stores the data in SQL, instead of in dictionaries
  behind a lock; the pages get the same dictionaries as before;
- a board now shows 50 threads a page (?page=2), read from the database a
  page at a time.

Run it from the top of the repository with:

    flask --app steps/10_database/chatsite run --debug

then open http://127.0.0.1:5000 in your browser. There is nothing to set up
first: the database file is made on the first start. Stop the server, start it
again: every thread is still there.
"""

import os

from flask import Flask
from werkzeug.routing import IntegerConverter

# The package's own modules. The dot means "from this package", whatever
# name it was imported under (see "Relative imports" on the step's page).
from . import api, boards, config, db, errors, search, store, uploads


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
    #    FLASK_MAX_CONTENT_LENGTH=1048576 flask --app steps/10_database/chatsite run
    app.config.from_prefixed_env()
    # 4. What the caller passed in (the tests).
    if test_config is not None:
        app.config.from_mapping(test_config)

    # The instance folder holds instance/config.py, the uploads and the database.
    os.makedirs(app.instance_path, exist_ok=True)

    # The database: closed after each request, `flask init-db`, the tables made if missing.
    db.init_app(app)
    # The store reads and writes the data in the app's database (DATABASE).
    store.init_app(app)
    # The routes are written in the blueprints; here they are attached to this app.
    for blueprint in (boards.bp, search.bp, uploads.bp, api.bp, errors.bp):
        app.register_blueprint(blueprint)
    return app


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> in an address: a whole number written with the digits 0 to 9 only.

    Flask's own int converter matches a digit of any script, and int() reads them
    all: /threads/٣ (an Arabic-Indic 3) and /threads/３ (a full-width 3) would
    show thread 3 too. One thread has one address; those are 404 Not Found."""

    regex = r"[0-9]+"
