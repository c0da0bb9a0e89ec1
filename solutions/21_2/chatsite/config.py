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
import secrets
from datetime import timedelta
from pathlib import Path

# Host names the site answers to when nobody configured any: this computer only.
# A request for any other Host gets 400, so a forged Host header can never end
# up in the absolute URLs we write (redirects, the API's "url" fields).
LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"]

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


# How many connections one gunicorn worker holds at once (gunicorn.conf.py).
WORKER_CONNECTIONS = 1000


def defaults(instance_path):
    """The development settings. UPLOAD_FOLDER depends on where the instance folder is."""
    return {
        # SECRET_KEY signs the session cookie. Not set here: see secret_key_for().
        "SECRET_KEY": None,
        # Host names this site answers to; on a server: CHATSITE_TRUSTED_HOSTS='["chat.example.org"]'.
        "TRUSTED_HOSTS": LOCAL_HOSTS,
        # How many proxies (nginx, a load balancer) stand in front of the app and
        # set X-Forwarded-For/-Proto/-Host. 0: none, so those headers are ignored.
        "PROXIES": 0,
        # Strict-Transport-Security (HSTS), sent with every answer that came over
        # HTTPS: "for this many seconds, reach this site over HTTPS only", even
        # when a link or a typed address says http://. Start small (300) while you
        # try HTTPS out: a browser keeps the promise for as long as it says, even
        # if the site goes back to plain HTTP. 0 tells browsers to forget it.
        "HSTS_MAX_AGE": 365 * 24 * 60 * 60,
        # Where uploads are stored: the instance folder, never the code folder.
        "UPLOAD_FOLDER": os.path.join(instance_path, "uploads"),
        # The largest image we accept, in bytes: check_upload() counts the file's own
        # bytes, and shows the form again with a message if it is over.
        "MAX_IMAGE_SIZE": 4 * 1024 * 1024,
        # The largest WebM or MP4 video, in bytes (videos are not transcoded: what
        # is sent is what is served).
        "MAX_VIDEO_SIZE": 16 * 1024 * 1024,
        # The largest request, everything in it together: room for a 16 MiB video plus
        # the text fields and each part's headers (a 16 MiB limit here would refuse a
        # video of exactly 16 MiB). Anything bigger is refused with 413 before it is read.
        "MAX_CONTENT_LENGTH": 17 * 1024 * 1024,
        # Decompression bombs: a small file can claim a huge image, which would take
        # gigabytes of memory to decode. Images are refused, from their header and
        # before any decoding, over this many pixels (width x height: 40 megapixels,
        # ~160 MB decoded) or this many pixels on either side...
        "MAX_IMAGE_PIXELS": 40_000_000,
        "MAX_IMAGE_SIDE": 10_000,
        # ...and animated GIFs and WebPs over this many pixels in all their frames
        # together (width x height x frames). Their frames are decoded and
        # encoded again, which is slow: 20 frames of 1000 x 1000 take a few
        # seconds and ~100 MB; ten times that, ten times as long.
        "MAX_ANIMATION_PIXELS": 20_000_000,
        # Decoding time grows with frames and with JPEG "scans" (passes over the
        # picture) too: a 4 MB GIF of 110,000 frames of 1 x 1 pixel, or a JPEG of
        # 62,300 scans, took a worker half a minute. Both are counted from the
        # file's blocks before decoding. 1000 frames of 1 x 1 decode in ~0.15 s (a
        # long GIF has a few hundred frames); a progressive JPEG has ~10 scans, and
        # each scan of a 36-megapixel picture costs ~3 ms: 100 scans, ~0.3 s.
        "MAX_IMAGE_FRAMES": 1000,
        "MAX_JPEG_SCANS": 100,
        # Each image is decoded in a child process (images.py), which is killed
        # after IMAGE_DECODE_TIMEOUT seconds (the upload gets a 400) and may use
        # IMAGE_DECODE_MEMORY bytes of address space. The slowest images within the
        # caps above (a 40-megapixel progressive JPEG, 20 frames of 1000 x 1000)
        # took 2-5 s and at most ~380 MB here, on a busy machine. At most
        # IMAGE_DECODES_PER_WORKER children per worker process (not per site) at a
        # time; more uploads wait their turn, and get a 503 after the timeout.
        "IMAGE_DECODE_TIMEOUT": 15,
        "IMAGE_DECODE_MEMORY": 1024 * 1024 * 1024,
        "IMAGE_DECODES_PER_WORKER": 2,
        # The longest side of an image's thumbnail (the pages show thumbnails, and
        # link to the full image), in pixels. Small images are never enlarged.
        "THUMBNAIL_SIZE": 250,
        # Text fields (not files) are held in memory. 64 KiB is plenty for a
        # 5000-character message (UTF-8 uses at most 4 bytes a character). Plus
        # 1 KiB, for Werkzeug: it reads a multipart body 64 KiB at a time and
        # checks each read, with the few bytes kept from the one before (they
        # may be the start of a boundary), against this limit too, file parts
        # included. At exactly 64 KiB, most photos over ~200 KB got a 413.
        "MAX_FORM_MEMORY_SIZE": 65 * 1024,
        # Our forms have at most four fields; thousands of tiny parts would only
        # make the server work hard for nothing.
        "MAX_FORM_PARTS": 20,
        # The browser sends the session cookie with links from other sites, but
        # not with their forms: one more guard against cross-site form posts.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "BOARDS": BOARDS,
        # Threads do not grow without end (a 4,000-reply thread was a 21 MB page):
        # after BUMP_LIMIT replies a thread no longer rises to the top of its
        # board when someone replies; at REPLY_LIMIT replies it is closed.
        "BUMP_LIMIT": 300,
        "REPLY_LIMIT": 500,
        # What one board may keep. Past either budget, its least recently active
        # threads are deleted, with their images (upload_storage.keep_board_within_budget).
        "BOARD_THREAD_LIMIT": 500,
        "BOARD_UPLOAD_BUDGET": 2 * 1024 * 1024 * 1024,  # bytes of images: 2 GiB
        # The database. SQLite, one file in the instance folder, needs no server.
        # For PostgreSQL: CHATSITE_DATABASE_URL=postgresql+psycopg://user:password@host/dbname
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "chatsite.sqlite3"),
        # Seconds an SQLite writer waits for its turn before the visitor gets
        # "503: busy, try again" (writers take turns, see db.py).
        "DATABASE_TIMEOUT": 15,
        # Flood control (flood.py): seconds between two new threads, between two
        # replies, and between two reports, from one client (its IP address; behind
        # a proxy, see PROXIES). Only posts and reports that were stored start the
        # clock. 0 turns a limit off.
        "THREAD_INTERVAL": 60,
        "REPLY_INTERVAL": 10,
        "REPORT_INTERVAL": 10,
        # Failed logins allowed in any 60 seconds, from one client and for one
        # username (each counted on its own); past either, even the right password
        # gets 429 until the minute is over. 0 turns the limit off.
        "LOGIN_ATTEMPTS_PER_MINUTE": 5,
        # Where Flask-Limiter keeps its counts: a store every worker process shares,
        # so that each limit holds for the whole site (flood.py). "chatsite-db://"
        # is the site's own database, whichever DATABASE_URL names (a table of its
        # own, flood_store.py). For many machines, or to spare the database, a
        # Redis server: CHATSITE_RATELIMIT_STORAGE_URI=redis://localhost:6379
        # (pip install redis). "memory://" is each worker's own memory: with N
        # workers a client gets up to N times each limit; for one process only.
        "RATELIMIT_STORAGE_URI": "chatsite-db://",
        # A staff member's login lasts this long after their last request (Flask
        # renews a permanent session's cookie with every answer). Visitors' sessions
        # (only their CSRF token) end when the browser closes.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # How a password becomes the hash that is stored (werkzeug's
        # generate_password_hash): scrypt, slow on purpose, so that a stolen
        # database gives up its passwords only at a great cost. A test suite may
        # choose a one-round "pbkdf2:sha256:1": its accounts guard nothing.
        "PASSWORD_HASH_METHOD": "scrypt",
        # The CSRF token (Flask-WTF) lives as long as the session it belongs to,
        # not one hour (Flask-WTF's default): a reply typed slowly in a tab left
        # open all afternoon must not be refused as "expired". A token is only
        # ever good for its own session, which ends when the browser closes (a
        # visitor) or 12 hours after the last request (staff, see above).
        "WTF_CSRF_TIME_LIMIT": None,
        # Live updates (live.py): each open thread page keeps a WebSocket.
        # A socket is woken at once when its own worker process (or, on
        # PostgreSQL, any process: LISTEN/NOTIFY) stores a change of its thread;
        # and it looks at the database every LIVE_POLL_INTERVAL seconds anyway,
        # which is how changes made by the other workers reach it on SQLite.
        # Each look is one indexed query (~0.1 ms): 1,000 open pages cost ~1,000
        # small queries a second. On PostgreSQL the look is only a safety net:
        # 5 or 10 seconds would do.
        "LIVE_POLL_INTERVAL": 1.0,
        # Seconds between two pings of an idle socket. A browser answers them by
        # itself; a socket whose page has gone without a word (a laptop closed,
        # a network lost) misses an answer and is closed. Pings also keep
        # proxies, which close connections that are silent for a minute, from
        # cutting the socket.
        "LIVE_PING_INTERVAL": 25,
        # How many sockets one worker process keeps open at most. Past it, a new
        # one is closed at once (1013) and its page checks the API every few
        # seconds instead. A gevent worker serves up to WORKER_CONNECTIONS
        # connections at once, of every kind, and a socket is one of them for as
        # long as its page is open. Each costs ~50 kB of memory (two greenlets,
        # the request, simple-websocket's buffers; no compression, see websocket.py)
        # and a file descriptor; it borrows a database connection only for the
        # millisecond of each look. None: WORKER_CONNECTIONS less a tenth (900 of
        # 1,000), so that a worker full of sockets still has room for pages,
        # forms and the API (see live_sockets_per_worker and gunicorn.conf.py).
        "LIVE_SOCKETS_PER_WORKER": None,
        # What one socket sends at once. A page that comes back after a long
        # time could be owed hundreds of posts, and a post that quotes many
        # others carries all their lists of replies ("Replies: >>..."):
        # megabytes for one socket, rendered and sent while the page waits.
        # Past either limit the socket says "catch-up" instead, and live.js
        # loads the news from the API, in pages of 100 posts (live.py). At most
        # this many events on a socket's first look (?after=)...
        "LIVE_BACKLOG_LIMIT": 100,
        # ...and no message larger than this, in bytes (a post of 5,000
        # characters and a few quotes is well under it).
        "LIVE_MAX_MESSAGE_BYTES": 128 * 1024,
        # How many connections one gunicorn worker holds at once: gunicorn.conf.py
        # reads the same variable, CHATSITE_WORKER_CONNECTIONS.
        "WORKER_CONNECTIONS": WORKER_CONNECTIONS,
    }


def load_config(app, test_config=None):
    """Fill app.config from the four layers described at the top of this file."""
    # Flask's own default (False) is dropped, so that we can tell below whether
    # any layer set it.
    app.config.pop("SESSION_COOKIE_SECURE", None)
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CHATSITE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    # A site served over HTTPS (CHATSITE_PREFERRED_URL_SCHEME=https) sends the
    # session cookie over HTTPS only, so that a staff member's login never
    # travels in clear text; SESSION_COOKIE_SECURE, when set, has the last word.
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config["PREFERRED_URL_SCHEME"] == "https")
    if app.config["LIVE_SOCKETS_PER_WORKER"] is None:
        app.config["LIVE_SOCKETS_PER_WORKER"] = live_sockets_per_worker(app.config["WORKER_CONNECTIONS"])
    # Flask-SQLAlchemy reads its own setting name; ours is the shorter one above.
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config["DATABASE_URL"])
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secret_key_for(app.instance_path)


def live_sockets_per_worker(worker_connections):
    """The default LIVE_SOCKETS_PER_WORKER: nine tenths of a worker's connections.

    A gevent worker serves at most `worker_connections` connections at once,
    and an open WebSocket is one of them for as long as its page is open. The
    tenth that is left over is for everything else: pages, forms, the API.
    """
    return max(1, worker_connections - worker_connections // 10)


def database_uri(url):
    """The URL SQLAlchemy needs. "postgresql://..." (as hosting services write it)
    would pick the psycopg2 driver; we install psycopg 3, so say so."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key_for(instance_path):
    """This installation's own secret key, made at random on the first start.

    It is kept in instance/secret_key, readable by its owner only (mode 0600),
    so that sessions survive a restart, every worker process uses the same key,
    and no two installations share one. (A key written in the code would let
    anyone who read the code forge sessions, and with them CSRF tokens.)
    CHATSITE_SECRET_KEY or SECRET_KEY in instance/config.py take precedence.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        os.makedirs(instance_path, exist_ok=True)
        # Write it under a name of our own, then link it into place: link() fails
        # if another process (another gunicorn worker) was first, and then we
        # read theirs. Nobody ever reads a half-written key.
        temporary = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key: delete it to make a new one.")
    return key
