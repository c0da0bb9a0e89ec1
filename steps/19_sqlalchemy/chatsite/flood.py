"""Flood control with Flask-Limiter: how often one client may post, report, and guess passwords.

Step 14 left a mark for each post and each failed login in a table of its
database (flood_marks), in the same transaction as the post. Here Flask-Limiter
does the counting, in the store RATELIMIT_STORAGE_URI names. Every limit must
hold across every worker process of `make serve` (gunicorn runs several), so
the store must be one they share:

- "chatsite-db://" (the default): the site's own database, SQLite or
  PostgreSQL, whichever DATABASE_URL names (flood_store.py). Nothing more to
  run, every worker and every machine of one database counts in one place, and
  a restart forgets nothing.
- "redis://localhost:6379" (and `pip install redis`): a Redis server, for
  many machines, or to take the counting off the database.
- "memory://": each worker process's own memory. Only for one process (a test,
  `flask run`): with N workers, a client gets up to N times its limit.

The limits (settings in config.py, read on every request; 0 turns one off):

- a new thread: 1 per THREAD_INTERVAL seconds; a reply: 1 per REPLY_INTERVAL
  seconds; a report: 1 per REPORT_INTERVAL seconds (counted like a post), from
  one client ("a client" is request.remote_addr: its IP address, or behind a
  proxy the one ProxyFix found, see the PROXIES setting);
- a login: LOGIN_ATTEMPTS_PER_MINUTE failed attempts per 60 seconds from one
  client, and as many for one username (from anywhere: a botnet guessing one
  admin's password has many addresses).

"moving-window": a limit counts what happened in the last N seconds, exactly
(a fixed window would let a client post at the end of one window and again at
the start of the next).

Only what happened counts:

- A post is counted when it is checked, before the view reads the form (so a
  flood is refused before its uploads are even looked at), and the count is
  given back afterwards if the post was not stored (any answer but 303: a
  refused form, a locked thread...), unless its file was looked at: decoding
  costs the server, so a post refused for its file still counts (a flood of
  hostile files waits its turn like any other). Counting first and giving back, rather
  than counting at the end (Flask-Limiter's deduct_when), means that the check
  and the count are one step: two posts sent at the same moment cannot both
  pass it.
- A login counts only when it failed (deduct_when): a wrong password, an
  unknown name. Past the limit, even the right password gets 429 until the
  window has room again, so guessing cannot go on.

A refused request gets 429 Too Many Requests with Retry-After: the whole seconds
until the client may try again (errors.py shows it on the error page).
"""

import math
import time

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from . import flood_store
from .models import MAX_CLIENT_LENGTH

# The extension, set up for the app by init_app(). It keeps one storage, that of
# the last app set up: a server has one app per process. (The tests make a new
# app for each test, which starts every count afresh.)
limiter = Limiter(get_remote_address, strategy="moving-window", key_prefix="chatsite")

# The views that post, and the report form (boards.py gives each its post_limit()).
POSTING_VIEWS = ("boards.create_thread", "boards.create_reply", "boards.create_report")

# How long the username part of a login key may be: whatever someone typed, the
# key stays short (a name is at most 32 characters; longer ones never exist).
MAX_KEY_NAME = 40


def init_app(app):
    in_database = app.config["RATELIMIT_STORAGE_URI"].startswith("chatsite-db:")
    if in_database:
        flood_store.init_app(app)
    # When the store stops answering:
    # - the database (chatsite-db://): the error goes on to errors.py, which
    #   answers 503 "busy, try again". Nothing could be stored anyway (the post,
    #   the report and the login need the same database), and counting in each
    #   worker's memory meanwhile would let anyone who can make the database slow
    #   (a flood of writes) turn the shared limits back into per-worker ones.
    # - a store of its own (Redis): each worker counts in its own memory until
    #   it is back (Flask-Limiter's in-memory fallback), rather than every post
    #   failing while the site itself works. Flask-Limiter reads this only from
    #   its constructor, once for all apps, hence the attribute.
    limiter._in_memory_fallback_enabled = not in_database
    limiter.init_app(app)
    app.after_request(give_back_unstored_posts)


def post_limit(setting, message):
    """A limit for a posting view: at most one post per `setting` seconds.
    `message` is what the 429 page says; {seconds} becomes the seconds to wait."""

    def limit_value():
        # Never "1 per 0 second", which is no limit at all; 0 is exempt below anyway.
        return f"1 per {max(1, current_app.config[setting])} second"

    def turned_off():
        return not current_app.config[setting]

    return limiter.limit(limit_value, exempt_when=turned_off, methods=["POST"], error_message=message)


def login_limits():
    """The two limits of the login form: failures per client, failures per username."""

    def limit_value():
        return f"{max(1, current_app.config['LOGIN_ATTEMPTS_PER_MINUTE'])} per minute"

    def turned_off():
        return not current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"]

    def failed(_response):
        return g.get("login_failed", False)  # set by accounts.login

    def username_typed():
        # The name as login looks it up (lower case): "Mia" and "mia" share one count.
        return "user:" + request.form.get("username", "").strip().lower()[:MAX_KEY_NAME]

    options = {
        "exempt_when": turned_off,
        "deduct_when": failed,
        "methods": ["POST"],
        "error_message": "Too many failed logins. Please wait {seconds} seconds and try again.",
    }
    per_client = limiter.limit(limit_value, scope="client", **options)
    per_username = limiter.limit(limit_value, key_func=username_typed, scope="username", **options)

    def decorate(view):
        return per_client(per_username(view))

    return decorate


def give_back_unstored_posts(response):
    """after_request: a post that was not stored (anything but 303 See Other)
    does not count. Its limit allows one post per window, and this request just
    took it, so clearing the window gives it back exactly."""
    # A post refused for its file keeps its count: looking at the file cost the
    # server work (upload_checks.check_upload), and a refusal must not make the next
    # hostile file free. (A post refused for its text alone is given back.)
    if request.endpoint in POSTING_VIEWS and response.status_code != 303 and not g.get("upload_looked_at"):
        for counted in limiter.current_limits:
            if not counted.breached:
                limiter.limiter.clear(counted.limit, *counted.request_args)
    return response


def client():
    """Who sent this request, as every limit counts it (get_remote_address: its IP
    address), cut to the length a report keeps (models.MAX_CLIENT_LENGTH)."""
    return get_remote_address()[:MAX_CLIENT_LENGTH]


def seconds_to_wait():
    """Whole seconds (at least 1) until the limit this request broke lets it through."""
    reset_time, _remaining = limiter.current_limit.window
    return max(1, math.ceil(reset_time - time.time()))
