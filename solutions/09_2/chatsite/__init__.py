"""Step 09: the same site as step 08, tidied from one file into a package.

Nothing changes for the visitor: same pages, same addresses, same messages.
What changes is how the code is organised:

- this file holds create_app(), an *app factory*: a function that builds a new
  app each time it is called, with its own settings and its own, empty data;
- each part of the site is a *blueprint* in its own module: boards.py (the
  pages for people), search.py, uploads.py, api.py and errors.py;
- config.py holds the settings, store.py the data, forms.py the checks on what
  people type, images.py the checks on uploaded images.

Run it from the top of the repository with:

    flask --app steps/09_package/chatsite run --debug

then open http://127.0.0.1:5000 in your browser. Flask's --app accepts the
path of a package folder: it imports the package, finds create_app() here and
calls it. The instance folder, for uploads and an optional instance/config.py,
is steps/09_package/instance/.
"""

import os

from flask import Flask
from werkzeug.routing import IntegerConverter

# The package's own modules. The dot means "from this package", whatever
# name it was imported under (see "Relative imports" on the step's page).
from . import about, api, boards, config, errors, search, store, uploads


def create_app(test_config=None):
    """Build and return a new app, with its own settings and its own, empty data.

    test_config is a dictionary of settings that wins over every other layer:
    a test passes one to send uploads to a temporary folder, for example.
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
    #    FLASK_MAX_CONTENT_LENGTH=1048576 flask --app steps/09_package/chatsite run
    app.config.from_prefixed_env()
    # 4. What the caller passed in (the tests).
    if test_config is not None:
        app.config.from_mapping(test_config)

    # The instance folder holds instance/config.py and the uploads.
    os.makedirs(app.instance_path, exist_ok=True)

    # This app's own, empty data. A second app gets a second, separate store.
    store.init_app(app)
    # The routes are written in the blueprints; here they are attached to this app.
    for blueprint in (boards.bp, search.bp, uploads.bp, api.bp, errors.bp, about.bp):
        app.register_blueprint(blueprint)
    return app


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> in an address: a whole number written with the digits 0 to 9 only.

    Flask's own int converter matches a digit of any script, and int() reads them
    all: /threads/٣ (an Arabic-Indic 3) and /threads/３ (a full-width 3) would
    show thread 3 too. One thread has one address; those are 404 Not Found."""

    regex = r"[0-9]+"
