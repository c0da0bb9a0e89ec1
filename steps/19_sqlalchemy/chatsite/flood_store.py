"""Flood control's counts in the site's own database, shared by every worker.

Flask-Limiter (flood.py) keeps its counts in a "storage" of the limits library,
named by RATELIMIT_STORAGE_URI. Its "memory://" is each worker process's own
memory: under gunicorn with 5 workers, each counted alone, and a client got
about five times what the limits allow (23 tries of 40 wrong passwords for one
account, 4 threads where the limit is one a minute). The workers share one
thing already: the database. So this storage, "chatsite-db://" (the default),
keeps the counts there, in the table limit_entries (models.LimitEntry), on
SQLite as on PostgreSQL, whichever DATABASE_URL names.

One row per counted request: its key (who, and which limit: Flask-Limiter
makes it, e.g. "LIMITER/chatsite/203.0.113.7/boards.create_reply/1/10/second"),
when it happened, and when it stops mattering. "moving-window": a limit of N
per T seconds counts the rows of its key younger than T seconds.

The check and the count are one step, across processes: acquire_entry()
counts and inserts in one write transaction that only one process at a time
may hold for a key. On SQLite, BEGIN IMMEDIATE (db.begin_sqlite_transaction):
one writer at a time in all. On PostgreSQL, pg_advisory_xact_lock on the key:
two requests of one client take turns, other clients' go on side by side.
Requests sent at the same moment to different workers are counted one after
the other, and only as many as the limit allows get through.

Its own connections: the storage never uses the request's session (db.session),
whose transaction is the view's, and it has a small pool of its own. Borrowing
from the app's pool instead, a worker with every pooled connection held by a
request would wait for ever for one more to count with.

Rows are deleted once they no longer count (expires_at), every PRUNE_EVERY
seconds by each worker.
"""

import hashlib
import time
from contextlib import contextmanager

from flask import current_app
from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import create_engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from .db import configure_sqlite_engine, db
from .models import LimitEntry

# Where the app keeps this storage's engine (init_app).
ENGINE = "chatsite_flood_engine"

# Seconds between two clean-ups of the rows that no longer count, in each process.
PRUNE_EVERY = 60

# A key longer than the column (a remote address is whatever a proxy says), or
# with a NUL character (a typed username: PostgreSQL's text cannot hold one),
# is kept as its SHA-256 instead (two different keys stay two).
MAX_KEY_LENGTH = 200

# PostgreSQL's advisory locks of the limits: a key space of their own (the
# two-number form of pg_advisory_xact_lock), apart from files.lock_file's.
LOCK_SPACE = 7


def init_app(app):
    """Give the app the engine the storage counts with: the app's database, its
    own small pool, and the same SQLite set-up as the app's (db.py)."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url)  # SQLite's connections are cheap: SQLAlchemy's default pool
    else:
        # At most 5 more PostgreSQL connections per worker; each is held for the
        # milliseconds of one count.
        engine = create_engine(url, pool_size=2, max_overflow=3)
    configure_sqlite_engine(engine, app.config["DATABASE_TIMEOUT"])
    app.extensions[ENGINE] = engine


class DatabaseStorage(Storage, MovingWindowSupport):
    """A storage of the limits library in the app's database ("chatsite-db://").

    Defining the class registers its scheme with the limits library; Flask-Limiter
    makes one when RATELIMIT_STORAGE_URI names it. It is used during requests
    only, and counts in the database of the app handling the request."""

    STORAGE_SCHEME = ["chatsite-db"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_prune = 0.0

    # --- the moving window: what flood.py uses ---------------------------------------------

    def acquire_entry(self, key, limit, expiry, amount=1):
        """Count `amount` requests under `key` if the last `expiry` seconds hold at most
        `limit` - `amount` of them; True if counted. The check and the insert are one
        transaction, which one process at a time may hold for this key."""
        if amount > limit:
            return False
        key = stored_key(key)
        engine = current_app.extensions[ENGINE]
        with write_connection(engine, key) as connection:
            now = time.time()
            counted = connection.scalar(
                select(func.count()).where(LimitEntry.key == key, LimitEntry.at > now - expiry)
            )
            if counted + amount > limit:
                return False
            entry = {"key": key, "at": now, "expires_at": now + expiry}
            connection.execute(insert(LimitEntry), [entry] * amount)
        self.prune_now_and_then(engine)
        return True

    def get_moving_window(self, key, limit, expiry):
        """(when the oldest request still counted happened, how many are counted) for
        `key` in the last `expiry` seconds; (now, 0) when there is none."""
        now = time.time()
        query = select(func.min(LimitEntry.at), func.count()).where(
            LimitEntry.key == stored_key(key), LimitEntry.at > now - expiry
        )
        with current_app.extensions[ENGINE].connect() as connection:
            oldest, counted = connection.execute(query).one()
        return (oldest, counted) if counted else (now, 0)

    def clear(self, key):
        """Forget every request counted under `key` (flood.give_back_unstored_posts)."""
        key = stored_key(key)
        with write_connection(current_app.extensions[ENGINE], key) as connection:
            connection.execute(delete(LimitEntry).where(LimitEntry.key == key))

    def reset(self):
        """Forget every count; return how many rows there were."""
        with write_connection(current_app.extensions[ENGINE]) as connection:
            return connection.execute(delete(LimitEntry)).rowcount

    def check(self):
        """Can the database be reached?"""
        try:
            with current_app.extensions[ENGINE].connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def prune_now_and_then(self, engine):
        """Delete the rows that no longer count, at most once every PRUNE_EVERY seconds
        in this process. In a transaction of its own, after the count's: the count
        holds its lock for as short a time as it can."""
        now = time.time()
        if now < self.next_prune:
            return
        self.next_prune = now + PRUNE_EVERY
        with write_connection(engine) as connection:
            connection.execute(delete(LimitEntry).where(LimitEntry.expires_at < now))

    # --- the fixed window's counters, which flood.py does not use --------------------------

    def get(self, key):
        """How many requests under `key` still count."""
        query = select(func.count()).where(
            LimitEntry.key == stored_key(key), LimitEntry.expires_at > time.time()
        )
        with current_app.extensions[ENGINE].connect() as connection:
            return connection.scalar(query)

    def get_expiry(self, key):
        query = select(func.max(LimitEntry.expires_at)).where(LimitEntry.key == stored_key(key))
        with current_app.extensions[ENGINE].connect() as connection:
            return connection.scalar(query) or time.time()

    def incr(self, key, expiry, amount=1):
        raise NotImplementedError("chatsite-db:// counts a moving window only (flood.py's strategy)")


def stored_key(key):
    """The key as its rows keep it (see MAX_KEY_LENGTH)."""
    if len(key) <= MAX_KEY_LENGTH and "\x00" not in key:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def lock_number(key):
    """The key's advisory lock on PostgreSQL: 32 bits of its SHA-256. Two keys with
    the same number only take turns, which is harmless."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)


@contextmanager
def write_connection(engine, key=None):
    """A write transaction on a connection of the storage's own. SQLite: BEGIN
    IMMEDIATE (db.begin_sqlite_transaction), so one writer at a time. PostgreSQL:
    with `key`'s advisory lock, held until the transaction ends."""
    with engine.connect() as connection:
        connection.execution_options(chatsite_write=True)
        with connection.begin():
            if key is not None and connection.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, lock_number(key))))
            yield connection
