"""Flood control: one client may not post (or guess passwords) too fast.

Without it, one person with a small script can fill every board with
thousands of threads in a minute, or try a thousand passwords on a staff
account. So each new thread, each reply, each report and each failed login
leaves a mark in the flood_marks table (schema.sql), and the next one looks at
the marks:

- THREAD_INTERVAL: seconds between two new threads from one client;
- REPLY_INTERVAL: seconds between two replies from one client, in any threads;
- REPORT_INTERVAL: seconds between two reports from one client (reports.py);
- LOGIN_ATTEMPTS_PER_MINUTE: failed logins allowed in 60 seconds, per client
  and per username (so that guessing from many addresses is slowed down too).

0 turns a limit off (the staged tests do, because they post many times a second).
Too soon gets 429 Too Many Requests, with a Retry-After header saying how
many seconds to wait (errors.py writes it).

Why in the database, and in the same transaction as the post? The check
("when was this client's last reply?") and the store must happen as one
step. If they were two, two replies sent at the same moment could both check,
both find no recent reply, and both be stored. Inside write_transaction()
(BEGIN IMMEDIATE, db.py) only one writer runs at a time: the second reply
waits, then finds the first one's mark and is refused.

Who is "a client"? request.remote_addr: the IP address the request came from.
Behind a reverse proxy (nginx, a load balancer) that is the proxy's address,
the same for every visitor, and one person's posts would hold back everyone's.
werkzeug's ProxyFix middleware then sets remote_addr from the proxy's
X-Forwarded-For header. It must be told how many proxies to believe: anyone
can send an X-Forwarded-For header of their own, and trusting it blindly would
let a flooder pick a new "address" for every post. This step runs without a
proxy, so it does not use ProxyFix; the final app does (its PROXIES setting).
"""

import math
from datetime import datetime, timedelta, timezone

from flask import request
from werkzeug.exceptions import TooManyRequests

# Marks older than this are deleted: no limit looks further back than an hour.
KEEP_MARKS_FOR = timedelta(hours=1)

# The window that LOGIN_ATTEMPTS_PER_MINUTE counts in.
LOGIN_WINDOW = timedelta(seconds=60)

# What a refused post says; {seconds} is filled in.
WAIT_MESSAGES = {
    "thread": "You can start another thread in {seconds} seconds.",
    "reply": "You can post another reply in {seconds} seconds.",
    "report": "You can send another report in {seconds} seconds.",
}


def client_address():
    """The address that flood control counts by (see "Who is a client?" above)."""
    return request.remote_addr or "unknown"


def check_and_mark_post(db, action, client, interval):
    """Refuse a new thread, reply or report (`action`) that comes too soon
    after this client's last one; otherwise leave this one's mark.

    Call it inside the write_transaction() that stores the post (or report):
    if storing it fails, the mark is rolled back with it, so only stored posts
    start the clock. TooManyRequests (429) rolls back the whole transaction.
    """
    if not interval:
        return  # 0: no limit
    now = datetime.now(timezone.utc)
    row = db.execute(
        "SELECT max(at) AS last FROM flood_marks WHERE client = ? AND action = ?", (client, action)
    ).fetchone()
    if row["last"] is not None:
        waited = now - datetime.fromisoformat(row["last"])
        if waited < timedelta(seconds=interval):
            seconds = seconds_to_wait(timedelta(seconds=interval) - waited)
            raise TooManyRequests(WAIT_MESSAGES[action].format(seconds=seconds), retry_after=seconds)
    add_mark(db, action, client, None, now)


def mark_login_attempt(db, client, username, limit):
    """Refuse a login when this client or this username already has `limit`
    failed logins in the last 60 seconds; otherwise mark this attempt as failed
    and return the mark's id.

    The attempt is marked as failed *before* the password is checked, in one
    transaction with the count: that way a hundred guesses sent at the same
    moment are counted one after the other, and only `limit` of them get
    through. When the password turns out right, forget_mark() crosses the mark
    out again: only failed attempts count. (The password is checked outside
    the transaction because checking it is slow on purpose, and the posts
    would wait for it.)

    `username` is the lower-case name that was tried, or None for a name that
    no account can have. Returns None when the limit is off (0).
    """
    if not limit:
        return None
    now = datetime.now(timezone.utc)
    since = timestamp(now - LOGIN_WINDOW)
    waits = []
    for query, value in ((FAILURES_OF_CLIENT, client), (FAILURES_OF_USERNAME, username)):
        if value is None:
            continue
        row = db.execute(query, (value, since, limit - 1)).fetchone()
        if row is not None:
            waits.append(datetime.fromisoformat(row["at"]) + LOGIN_WINDOW - now)
    if waits:
        seconds = seconds_to_wait(max(waits))
        message = f"Too many failed logins. You can try again in {seconds} seconds."
        raise TooManyRequests(message, retry_after=seconds)
    return add_mark(db, "login-failed", client, username, now)


# The limit-th newest failed login of a client (or of a username) in the last
# minute, if there are that many: once it is a minute old, fewer than `limit`
# are left and logging in is allowed again. (OFFSET limit - 1 skips the newer ones.)
FAILURES_OF_CLIENT = (
    "SELECT at FROM flood_marks WHERE client = ? AND action = 'login-failed' AND at > ?"
    " ORDER BY at DESC LIMIT 1 OFFSET ?"
)
FAILURES_OF_USERNAME = (
    "SELECT at FROM flood_marks WHERE username = ? AND action = 'login-failed' AND at > ?"
    " ORDER BY at DESC LIMIT 1 OFFSET ?"
)


def forget_mark(db, mark_id):
    """Delete one mark: the login it stood for was not a failure after all."""
    db.execute("DELETE FROM flood_marks WHERE id = ?", (mark_id,))


def add_mark(db, action, client, username, now):
    """Store one mark, and delete the marks that are too old to matter any more.

    Deleting a few old rows at each write keeps the table small without a
    separate clean-up job (the index on `at` finds them at once).
    """
    db.execute("DELETE FROM flood_marks WHERE at < ?", (timestamp(now - KEEP_MARKS_FOR),))
    cursor = db.execute(
        "INSERT INTO flood_marks (client, action, username, at) VALUES (?, ?, ?, ?)",
        (client, action, username, timestamp(now)),
    )
    return cursor.lastrowid


def timestamp(moment):
    """A time as the text stored in flood_marks.at: always with its microseconds,
    so that every value has the same length and text order is time order.
    (isoformat() alone leaves out ".000000" when the microseconds are 0.)"""
    return moment.isoformat(timespec="microseconds")


def seconds_to_wait(duration):
    """A wait in whole seconds for Retry-After, rounded up and at least 1:
    "try again in 0 seconds" would only be refused again."""
    return max(1, math.ceil(duration.total_seconds()))
