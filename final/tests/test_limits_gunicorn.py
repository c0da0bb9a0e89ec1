"""Flood control under gunicorn, the way `make serve` runs the site: the limits
hold across every worker process.

Gunicorn with 4 gevent workers (tests/liveserver.py, final/gunicorn.conf.py), on
SQLite and on PostgreSQL, with the default store (RATELIMIT_STORAGE_URI
"chatsite-db://": the database every worker shares). Every request goes through
a new connection, which the kernel hands to any of the workers. When each
worker counted in its own memory, 40 wrong passwords for one account got 23
tries evaluated, and the one-thread-a-minute limit let 4 threads through.
"""

import re

import pytest
from forum import PASSWORD, LiveBrowser
from liveserver import Gunicorn
from werkzeug.security import generate_password_hash

from chatsite import create_app, staff

pytestmark = pytest.mark.live

ATTEMPTS = 3  # LOGIN_ATTEMPTS_PER_MINUTE
FAST = "pbkdf2:sha256:1"  # one round: for tests only, never for real passwords


def add_moderator(database_url, upload_folder, name):
    app = create_app({"DATABASE_URL": database_url, "UPLOAD_FOLDER": str(upload_folder), "SECRET_KEY": "t"})
    with app.app_context():
        staff.add_user(name, generate_password_hash(PASSWORD, method=FAST), "moderator")
        app.extensions["sqlalchemy"].engine.dispose()


# Each form is sent by a browser of its own: new cookies, and (urllib) a new
# connection for each request, the form's page and the form.


def log_in(url, password):
    fields = {"username": "milo", "password": password}
    status, _location = LiveBrowser(url).post_form("/login", "/login", fields)
    return status


def new_thread(url, title):
    board = "/boards/astronomy"
    status, _location = LiveBrowser(url).post_form(board, f"{board}/threads", {"title": title})
    return status


def test_the_limits_hold_across_4_workers(tmp_path, database_url, monkeypatch):
    # %(p)s: which worker answered (its pid), in the access log.
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--access-logformat '%(p)s %(r)s %(s)s'")
    add_moderator(database_url, tmp_path / "uploads", "milo")
    settings = {"LOGIN_ATTEMPTS_PER_MINUTE": str(ATTEMPTS), "THREAD_INTERVAL": "60"}
    with Gunicorn(tmp_path, database_url, workers=4, **settings) as server:
        logins = [log_in(server.url, f"guess {n}") for n in range(10)]
        right = log_in(server.url, PASSWORD)
        threads = [new_thread(server.url, f"Flood {n}") for n in range(6)]
        log = server.log_file.read_text(errors="replace")

    # Exactly LOGIN_ATTEMPTS_PER_MINUTE wrong passwords were checked; then the door is
    # shut for the minute, even for the right one.
    assert logins == [400] * ATTEMPTS + [429] * (10 - ATTEMPTS)
    assert right == 429
    # One thread a minute from one client: one 303, then 429.
    assert threads == [303] + [429] * 5
    # And the requests were answered by several workers (the pid of each POST's answer).
    workers = set(re.findall(r"^<(\d+)> POST /(?:login|boards/astronomy/threads) HTTP/1.1 \d+$", log, re.M))
    assert len(workers) >= 2, f"every POST went to one worker: {workers}"
