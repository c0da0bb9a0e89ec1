"""Flood control, by hand: how often one client may post, report, and guess passwords.

Step 14 left a mark for each post and each failed login in a table of its
database. Here each mark is a row of the table limit_entries (models.LimitEntry):
its key says whose it is and which limit it counts for
("boards.create_reply/203.0.113.7"), `at` when it was made, `expires_at` when
it stops counting (both in seconds since 1970, time.time()).

The limits (settings in config.py, read on every request; 0 turns one off):

- a new thread: 1 per THREAD_INTERVAL seconds; a reply: 1 per REPLY_INTERVAL
  seconds; a report: 1 per REPORT_INTERVAL seconds (counted like a post), from
  one client ("a client" is request.remote_addr: its IP address);
- a login: LOGIN_ATTEMPTS_PER_MINUTE failed attempts per 60 seconds from one
  client, and as many for one username (from anywhere: a botnet guessing one
  admin's password has many addresses).

A limit counts what happened in the last N seconds exactly (the rows that have
not expired), not in fixed minutes: those would let a client post at the end
of one minute and again at the start of the next.

Only what happened counts, and yet each request is counted *before* its view runs:

- A post is counted before the view reads the form (so a flood is refused
  before its uploads are even looked at), and the count is given back
  afterwards if the post was not stored (any answer but 303: a refused form, a
  locked thread...), unless its file was looked at: decoding costs the server,
  so a post refused for its file still counts (a flood of hostile files waits
  its turn like any other).
- A login is counted as failed before the password is checked, and given back
  when it did not fail (the right password, or empty fields: nothing to check).

Counting first and giving back, rather than counting at the end, means that the
check and the count are one step (count_request's one write transaction): of
six replies sent at the same moment, only one passes, where checking first and
counting later would let all six through the check.

A refused request gets 429 Too Many Requests with Retry-After: the whole seconds
until the client may try again (errors.py shows it on the error page).
"""

import math
import time
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import delete, func, select
from werkzeug.exceptions import TooManyRequests

from .db import on_postgresql, write_transaction
from .models import MAX_CLIENT_LENGTH, LimitEntry

# How long the username part of a login key may be: whatever someone typed, the
# key stays short (a name is at most 32 characters; longer ones never exist).
MAX_KEY_NAME = 40

TOO_MANY_LOGINS = "Too many failed logins. Please wait {seconds} seconds and try again."

# PostgreSQL runs writers side by side: every count takes this advisory lock (a
# pair of numbers of our choosing) until its transaction ends, so counts take
# turns, as every writer does on SQLite.
COUNTING_LOCK = (7, 0)


def init_app(app):
    app.after_request(give_back_what_does_not_count)


def post_limit(setting, message):
    """A decorator for a posting view: at most one post per `setting` seconds.
    `message` is what the 429 page says; {seconds} becomes the seconds to wait."""

    def decorate(view):
        @wraps(view)
        def limited_view(*args, **kwargs):
            seconds = current_app.config[setting]
            if seconds:
                count_request([f"{request.endpoint}/{client()}"], 1, seconds, message)
            return view(*args, **kwargs)

        return limited_view

    return decorate


def login_limits():
    """A decorator for the login view: its two limits, failures per client and
    failures per username."""

    def decorate(view):
        @wraps(view)
        def limited_view(*args, **kwargs):
            attempts = current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"]
            if attempts:
                keys = [f"login/{client()}", f"login/user:{username_typed()}"]
                count_request(keys, attempts, 60, TOO_MANY_LOGINS)
            return view(*args, **kwargs)

        return limited_view

    return decorate


def username_typed():
    """The name as login looks it up (lower case): "Mia" and "mia" share one count.
    Without NUL characters, which PostgreSQL's text cannot hold."""
    return request.form.get("username", "").strip().lower()[:MAX_KEY_NAME].replace("\x00", "")


def count_request(keys, limit, seconds, message):
    """Count this request under each of `keys` for `seconds` seconds, unless one of
    them already counts `limit` requests: then refuse it (429), counting nothing.

    The check and the count are one write transaction, which one request at a
    time may hold (BEGIN IMMEDIATE on SQLite, COUNTING_LOCK on PostgreSQL):
    requests sent at the same moment are counted one after the other, and only
    as many as the limit allows get through."""
    now = time.time()
    with write_transaction() as session:
        if on_postgresql():
            session.execute(select(func.pg_advisory_xact_lock(*COUNTING_LOCK)))
        # The rows that no longer count go first, so the table stays small
        # without a clean-up job of its own.
        session.execute(delete(LimitEntry).where(LimitEntry.expires_at <= now))
        for key in keys:
            query = select(func.count(), func.min(LimitEntry.expires_at)).where(LimitEntry.key == key)
            counted, first_to_expire = session.execute(query).one()
            if counted >= limit:
                wait = max(1, math.ceil(first_to_expire - now))  # "in 0 seconds" would be refused again
                raise TooManyRequests(message.format(seconds=wait), retry_after=wait)
        entries = [LimitEntry(key=key, at=now, expires_at=now + seconds) for key in keys]
        session.add_all(entries)
    # Kept for give_back_what_does_not_count, once the view has answered.
    g.flood_entries = [entry.id for entry in entries]


def give_back_what_does_not_count(response):
    """after_request: forget the counts of a request that must not count after all:
    a post that was not stored, a login that did not fail."""
    entries = g.pop("flood_entries", None)
    if entries and not counts(response):
        with write_transaction() as session:
            session.execute(delete(LimitEntry).where(LimitEntry.id.in_(entries)))
    return response


def counts(response):
    """Does this request keep its count? A login: if it failed (accounts.login
    says so). A post or a report: if it was stored (303 See Other), or its file
    was looked at (upload_checks.check_upload): looking cost the server work, and
    a refusal must not make the next hostile file free."""
    if request.endpoint == "accounts.login":
        return g.get("login_failed", False)
    return response.status_code == 303 or g.get("upload_looked_at", False)


def client():
    """Who sent this request, as every limit counts it (its IP address), cut to
    the length a report keeps (models.MAX_CLIENT_LENGTH)."""
    return (request.remote_addr or "unknown")[:MAX_CLIENT_LENGTH]
