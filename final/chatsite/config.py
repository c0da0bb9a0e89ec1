"""Settings: development defaults, then instance/config.py, then the environment.

create_app() calls load_config(). Each layer overrides the one before it:

1. DEFAULTS below: enough to run on your own computer with no setup.
2. instance/config.py, if it exists: settings for one installation (the
   instance folder is next to the package and is never committed).
3. Environment variables starting with CHATSITE_, e.g. CHATSITE_SECRET_KEY.
   Values are read as JSON when they can be, so CHATSITE_MAX_CONTENT_LENGTH=1048576
   is a number and CHATSITE_BOARDS='[{"slug": ...}]' is a list.
4. test_config, the dictionary the tests pass to create_app().
"""

import os

# The secret key signs the session cookie (which holds the CSRF token). This one
# is written here for everyone to read, so it is only good for development:
# set CHATSITE_SECRET_KEY (or SECRET_KEY in instance/config.py) on a real server.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - a documented development default

# Every board of the site: "slug" is the short name used in addresses (/boards/chess).
BOARDS = [
    {"slug": "astronomy", "name": "Astronomy", "description": "Stars, planets and the night sky."},
    {"slug": "baking", "name": "Baking", "description": "Bread, cakes and everything from the oven."},
    {"slug": "chess", "name": "Chess", "description": "Openings, endgames and games worth replaying."},
    {"slug": "cycling", "name": "Cycling", "description": "Road, track, trail and the daily commute."},
    {"slug": "film", "name": "Film", "description": "Cinema old and new, reviews and recommendations."},
    {"slug": "gardening", "name": "Gardening", "description": "Flowers, fruit, vegetables and soil."},
    {"slug": "history", "name": "History", "description": "From ancient empires to last century."},
    {"slug": "knitting", "name": "Knitting", "description": "Patterns, yarn and finished projects."},
    {"slug": "languages", "name": "Languages", "description": "Learning and teaching human languages."},
    {"slug": "music", "name": "Music", "description": "Playing, composing and listening."},
    {"slug": "photography", "name": "Photography", "description": "Cameras, light and your best shots."},
    {"slug": "python", "name": "Python", "description": "Questions and answers about Python."},
    {"slug": "running", "name": "Running", "description": "Training plans, races and shoes."},
    {"slug": "travel", "name": "Travel", "description": "Trips, tips and places to see."},
    {"slug": "woodworking", "name": "Woodworking", "description": "Joinery, tools and sawdust."},
]


def defaults(instance_path):
    """The development settings. UPLOAD_FOLDER depends on where the instance folder is."""
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        # Where uploads are stored: the instance folder, never the code folder.
        "UPLOAD_FOLDER": os.path.join(instance_path, "uploads"),
        # The largest request Flask will read: room for a 4 MiB image and the text.
        # Anything bigger is refused with 413 before it is read into the server.
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        # Text fields (not files) are held in memory. 64 KiB is plenty for a
        # 5000-character message (UTF-8 uses at most 4 bytes a character).
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        # Our forms have at most four fields; thousands of tiny parts would only
        # make the server work hard for nothing.
        "MAX_FORM_PARTS": 20,
        # The browser sends the session cookie with links from other sites, but
        # not with their forms: one more guard against cross-site form posts.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "BOARDS": BOARDS,
        # The database. SQLite, one file in the instance folder, needs no server.
        # For PostgreSQL: CHATSITE_DATABASE_URL=postgresql+psycopg://user:password@host/dbname
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "chatsite.sqlite3"),
        # Seconds an SQLite writer waits for its turn before the visitor gets
        # "503: busy, try again" (writers take turns, see db.py).
        "DATABASE_TIMEOUT": 15,
    }


def load_config(app, test_config=None):
    """Fill app.config from the four layers described at the top of this file."""
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CHATSITE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    # Flask-SQLAlchemy reads its own setting name; ours is the shorter one above.
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config["DATABASE_URL"])
    warn_about_dev_secret_key(app)


def database_uri(url):
    """The URL SQLAlchemy needs. "postgresql://..." (as hosting services write it)
    would pick the psycopg2 driver; we install psycopg 3, so say so."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def warn_about_dev_secret_key(app):
    """Log a warning when a real server would run with the published development key."""
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not (app.debug or app.testing):
        app.logger.warning(
            "SECRET_KEY is the development default: anyone can forge this site's "
            "session cookies. Set CHATSITE_SECRET_KEY or SECRET_KEY in instance/config.py."
        )
