"""The default settings: what every new app starts with.

create_app() reads them first; instance/config.py, FLASK_* and CHATSITE_*
environment variables and the tests' test_config can then override any of them.
"""

import os
from datetime import timedelta

# Every board of the site: a plain Python list of dictionaries. The "slug" is
# the short name used in addresses, e.g. /boards/astronomy.
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
    """The default settings, as a dictionary.

    A function rather than plain constants because UPLOAD_FOLDER and DATABASE
    depend on where the app's instance folder is, which only the app knows.
    """
    return {
        # The largest image we accept, in bytes. check_upload() counts the bytes of
        # the file itself, and shows the form again with a message if it is over.
        "MAX_IMAGE_SIZE": 4 * 1024 * 1024,
        # --- Step 17: videos (videos.py) ---
        # The largest WebM or MP4 video, in bytes. Which limit applies is chosen
        # by the file name's extension; the content must then agree with it.
        "MAX_VIDEO_SIZE": 16 * 1024 * 1024,
        # The largest request Flask will read, everything in it together: room for a
        # 16 MiB video plus 1 MiB for the text fields and the headers of each part
        # of the form. (A 16 MiB limit here would refuse a video of exactly 16 MiB.)
        # Anything bigger is refused with 413 before it is read into the server.
        "MAX_CONTENT_LENGTH": 17 * 1024 * 1024,
        # --- Step 16: images (images.py) ---
        # An image's size in pixels, read from its header and checked *before* it
        # is decoded: a small file can claim 60000 x 60000 pixels (a "decompression
        # bomb"), which would take gigabytes of memory once decoded. Each pixel
        # costs 3 to 4 bytes while an image is decoded: 40 megapixels, about 160 MB.
        "MAX_IMAGE_PIXELS": 40_000_000,
        # ...and the longest side, in pixels: a strip of 1 x 30,000,000 pixels is
        # under the pixel count, and no page could show it.
        "MAX_IMAGE_SIDE": 10_000,
        # Every frame of an animated GIF or WebP is decoded on the whole picture:
        # width x height x frames, in all, checked before any frame is decoded.
        # The decoded frames are held in memory while they are saved again, and
        # saving an animation is slow: a 52 KB GIF of 20 frames of 1000 x 1000
        # (20 million pixels) took 3.5 s and 100 MB here; 200 frames took 37 s
        # and 700 MB. Raise it only on a server with time and memory to spare.
        "MAX_ANIMATION_PIXELS": 20_000_000,
        # Decoding time grows with frames and with JPEG "scans" (passes over the
        # picture) too: a 4 MB GIF of 110,000 frames of 1 x 1 pixel, or a JPEG of
        # 62,300 scans, took a server half a minute. Both are counted from the
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
        # IMAGE_DECODES_PER_WORKER children per server process at a time; more
        # uploads wait their turn, and get a 503 after the timeout.
        "IMAGE_DECODE_TIMEOUT": 15,
        "IMAGE_DECODE_MEMORY": 1024 * 1024 * 1024,
        "IMAGE_DECODES_PER_WORKER": 2,
        # The longest side of a thumbnail, in pixels. A smaller image keeps its
        # size: a thumbnail is never enlarged.
        "THUMBNAIL_SIZE": 250,
        # Text fields are held in memory, so they are capped: 64 KiB is plenty for a
        # 5000-character message. Plus 1 KiB: Werkzeug checks each 64 KiB read of a
        # file against it too (with a few bytes kept from the read before).
        "MAX_FORM_MEMORY_SIZE": 65 * 1024,
        # Our forms have at most four fields. Thousands of tiny parts would only
        # make the server work hard for nothing.
        "MAX_FORM_PARTS": 20,
        # Where uploads are stored: the app's "instance" folder, never the code folder.
        "UPLOAD_FOLDER": os.path.join(instance_path, "uploads"),
        # The database: one SQLite file, in the instance folder too. Delete the
        # file (with the app stopped) to start again from an empty site.
        "DATABASE": os.path.join(instance_path, "chatsite.sqlite3"),
        # How many seconds a visitor's post waits for other posts being stored
        # before giving up with "503: the site is busy, try again" (db.py).
        "DATABASE_TIMEOUT": 15,
        "BOARDS": BOARDS,
        # Threads do not grow without end. After BUMP_LIMIT replies, a reply no longer
        # lifts its thread to the top of the board, so a thread that is talked out
        # sinks; at REPLY_LIMIT replies the thread is closed.
        "BUMP_LIMIT": 300,
        "REPLY_LIMIT": 500,
        # --- Step 11: staff accounts (accounts.py) ---
        # SECRET_KEY signs the session cookie. None here: create_app() makes a
        # random one when no other layer gives one.
        "SECRET_KEY": None,
        # A staff member's session (a "permanent" one, accounts.py) ends after 12
        # hours without a visit: a forgotten login on a shared computer expires.
        # (A visitor's session, if any, is not a permanent one: it ends with the browser.)
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # True: the browser sends the session cookie over HTTPS only, never in the
        # clear. None here means "decide in create_app()": True when the site's
        # addresses start with https (PREFERRED_URL_SCHEME), False otherwise
        # (http://127.0.0.1 on your computer would never get its cookie back).
        "SESSION_COOKIE_SECURE": None,
        # How a password becomes the hash that is stored (werkzeug's
        # generate_password_hash): scrypt, slow on purpose, so that a stolen
        # database gives up its passwords only at a great cost. A test suite may
        # choose a one-round "pbkdf2:sha256:1": its accounts guard nothing.
        "PASSWORD_HASH_METHOD": "scrypt",
        # --- Step 12: forged forms (csrf.py) ---
        # The browser sends the session cookie with links from other sites, but
        # not with their forms: one more guard against cross-site form posts.
        "SESSION_COOKIE_SAMESITE": "Lax",
        # --- Step 14: flood control (flood.py) ---
        # Seconds between two new threads, between two replies, and between two
        # reports, from one client; failed logins allowed per client and per
        # username in 60 seconds. 0 turns a limit off.
        "THREAD_INTERVAL": 60,
        "REPLY_INTERVAL": 10,
        "REPORT_INTERVAL": 10,
        "LOGIN_ATTEMPTS_PER_MINUTE": 5,
        # --- Step 15: live updates (live.py) ---
        # A socket is woken at once when this server process stores a change to
        # its thread. Changes stored by another process (a site can run several)
        # wake nobody here, so each socket also looks in the database every
        # LIVE_POLL_INTERVAL seconds: those changes arrive within about that time.
        # Smaller is quicker, and costs one small query per open page each time.
        "LIVE_POLL_INTERVAL": 1.0,
        # Every open socket keeps one of the server's threads busy for as long as
        # its page is open. Past this many, a new socket is closed at once (code
        # 1013, "try again later") and its page polls the API instead.
        "LIVE_SOCKETS_PER_WORKER": 500,
        # Seconds between two "pings" on an open socket. A browser answers each
        # one with a "pong"; a socket whose browser stopped answering (a laptop
        # that went to sleep, a lost network) is closed at the next ping. The
        # pings also keep proxies from closing a quiet connection (many close
        # them after 30 or 60 seconds of silence). live.init_app() hands it to
        # simple-websocket as SOCK_SERVER_OPTIONS.
        "LIVE_PING_INTERVAL": 25,
        # What one socket sends at once. A page that comes back with an old
        # ?after= could be owed hundreds of posts: megabytes for one socket,
        # which the server would render and send while the page waits.
        # Past either limit the socket says "catch-up" instead, and live.js
        # loads the news from the API, in pages of 100 posts (live.py).
        # At most this many events at once...
        "LIVE_BACKLOG_LIMIT": 100,
        # ...and no message larger than this, in bytes (a post of 5,000
        # characters is at most about 60 KB).
        "LIVE_MAX_MESSAGE_BYTES": 128 * 1024,
    }
