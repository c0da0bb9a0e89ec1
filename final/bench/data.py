"""The benchmark's databases: made-up threads and posts, written straight into the tables.

Going through the Store (one transaction per post) would take about an hour
for a million posts. Here the rows are made in Python and written with SQL in
bulk: `executemany` in one transaction per chunk of rows on SQLite, COPY on
PostgreSQL. The tables are the ones the migrations build, so the app reads
them exactly as it reads its own rows.

What goes in (`Forum`), for any size:

- the **300-post thread** and the **20-post thread**, with the same text in
  every database, their posts spread over the whole history;
- "regular" threads and posts: each post is a reply to one of the 5,000 most
  recently started threads (or it starts a new one), so threads get a few to
  a few dozen posts, as on a real site;
- exactly `rare_posts` regular posts contain RARE_WORD, the word the search
  benchmark looks for.

The large SQLite database takes about a minute to fill, so it is kept in
final/bench/.cache/ (gitignored) under a name that changes with the schema and
with this file's FILL_VERSION: a second run finds it and only copies it.
"""

import hashlib
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
MIGRATIONS = HERE.parent / "chatsite" / "migrations" / "versions"
# Change this when the rows made here change: the cached database is then refilled.
FILL_VERSION = 1

BOARDS = (
    "astronomy baking chess cycling film gardening history knitting languages "
    "music photography python running travel woodworking"
).split()
WORDS = (
    "telescope saturn rings orbit comet meteor galaxy lens mirror eyepiece sky night dark "
    "star planet moon crater focus mount tripod clear cloud filter camera photo north "
    "bread oven flour yeast crust opening endgame knight bishop wheel chain saddle climb "
    "scene actor director seed soil tomato empire river castle yarn needle pattern grammar "
    "verb guitar piano melody shutter aperture loop function module marathon shoes train "
    "city museum beach plane chisel oak joint glue the and with for this that very good new"
).split()
RARE_WORD = "nebula"  # no word of WORDS starts with it: a search finds only the rare posts
RECENT_THREADS = 5_000  # a reply goes to one of this many most recently started threads
START = datetime(2025, 1, 1)
SECONDS_BETWEEN_POSTS = 30
CHUNK = 50_000  # rows per executemany and per transaction


@dataclass(frozen=True)
class Forum:
    """What to put in a database: the sizes include the 300- and 20-post threads."""

    threads: int
    posts: int
    rare_posts: int
    # The first `astronomy_first` regular threads are all on Astronomy (so that a
    # small database fills Astronomy's first page); the others go to any board.
    astronomy_first: int = 0
    seed: int = 42

    @property
    def label(self):
        return f"{self.posts:,} posts / {self.threads:,} threads"


# The two special threads. Their ids differ between databases; names_of_specials() finds them.
BIG_TITLE = "The 300-post thread"
SMALL_TITLE = "The 20-post thread"
SPECIALS = {BIG_TITLE: 300, SMALL_TITLE: 20}


def make_rows(forum):
    """(threads, posts): the rows of both tables, as lists of tuples in id order.

    threads: (id, board, title, created_at, bumped_at, bump_order, reply_count, post_count)
    posts:   (id, thread_id, body, created_at)
    Times are datetimes in UTC without tzinfo, as the app stores them on SQLite.
    """
    rng = random.Random(forum.seed)  # noqa: S311 - repeatable made-up data, not secrets
    regular_threads = forum.threads - len(SPECIALS)
    regular_posts = forum.posts - sum(SPECIALS.values())
    if regular_posts < regular_threads:
        raise ValueError("every thread needs at least one post")

    # Which regular thread each regular post belongs to, in time order: the
    # thread openings are spread evenly, the first post always opens thread 0.
    openings = set(rng.sample(range(1, regular_posts), regular_threads - 1)) | {0}
    owners, opened = [], 0
    for position in range(regular_posts):
        if position in openings:
            owners.append(opened)
            opened += 1
        else:
            owners.append(opened - 1 - rng.randrange(min(opened, RECENT_THREADS)))
    # The special threads' posts go at random moments of that history.
    special_positions = rng.sample(range(forum.posts), sum(SPECIALS.values()))
    special_owners = [title for title, count in SPECIALS.items() for _ in range(count)]
    timeline = [None] * forum.posts
    for position, title in zip(sorted(special_positions), _interleave(special_owners, rng), strict=True):
        timeline[position] = title
    regular = iter(owners)
    timeline = [owner if owner is not None else next(regular) for owner in timeline]

    # Exactly rare_posts regular posts get the rare word.
    regular_post_positions = [p for p, owner in enumerate(timeline) if not isinstance(owner, str)]
    rare = set(rng.sample(regular_post_positions, forum.rare_posts))

    special_text = random.Random(7)  # noqa: S311 - the same special posts in every database
    thread_ids, threads = {}, []
    posts = []
    for position, owner in enumerate(timeline):
        post_id = position + 1
        moment = START + timedelta(seconds=SECONDS_BETWEEN_POSTS * position)
        if owner not in thread_ids:
            thread_id = thread_ids[owner] = len(threads) + 1
            if isinstance(owner, str):
                board, title = "astronomy", owner
            else:
                title = " ".join(rng.choices(WORDS, k=4)).capitalize()
                in_first = owner < forum.astronomy_first
                board = "astronomy" if in_first else BOARDS[rng.randrange(len(BOARDS))]
            # [id, board, title, created_at, bumped_at, bump_order, reply_count, post_count]
            threads.append([thread_id, board, title, moment, moment, post_id, -1, 0])
        thread = threads[thread_ids[owner] - 1]
        thread[4] = moment
        thread[5] = post_id  # each post is one bump: the app counts the same way
        thread[6] += 1
        thread[7] += 1
        body = sentence(special_text if isinstance(owner, str) else rng, position in rare)
        posts.append((post_id, thread[0], body, moment))
    return [tuple(thread) for thread in threads], posts


def _interleave(items, rng):
    shuffled = list(items)
    rng.shuffle(shuffled)
    return shuffled


def sentence(rng, rare=False):
    """A made-up post of 12 words, with RARE_WORD in it if `rare`."""
    words = rng.choices(WORDS, k=12)
    if rare:
        words[rng.randrange(12)] = RARE_WORD
    return " ".join(words).capitalize() + "."


def sqlite_time(moment):
    """How SQLAlchemy stores a datetime in SQLite (see models.UTCDateTime)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill_sqlite(path, forum):
    """Write `forum` into the migrated, empty SQLite database at `path`.

    executemany in one transaction per CHUNK rows; the migration's triggers
    fill the FTS5 search indexes row by row, as they do for the app's own posts.
    """
    threads, posts = make_rows(forum)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA cache_size = -1000000")  # up to 1 GB: the indexes grow in memory
        insert_chunks(
            connection,
            "INSERT INTO threads (id, board, title, created_at, bumped_at, bump_order,"
            " reply_count, post_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:3], sqlite_time(row[3]), sqlite_time(row[4]), *row[5:]) for row in threads],
        )
        insert_chunks(
            connection,
            "INSERT INTO posts (id, thread_id, body, created_at) VALUES (?, ?, ?, ?)",
            [(*row[:3], sqlite_time(row[3])) for row in posts],
        )
        connection.execute("PRAGMA optimize")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def insert_chunks(connection, sql, rows):
    for start in range(0, len(rows), CHUNK):
        connection.execute("BEGIN")
        connection.executemany(sql, rows[start : start + CHUNK])
        connection.execute("COMMIT")


def cache_key(forum):
    """A stamp that changes when the schema or the made-up rows would: the
    migrations' text, FILL_VERSION, the sizes and SQLite's version."""
    digest = hashlib.sha256()
    for migration in sorted(MIGRATIONS.glob("*.py")):
        digest.update(migration.read_bytes())
    digest.update(f"{FILL_VERSION} {forum} {sqlite3.sqlite_version}".encode())
    return digest.hexdigest()[:16]


def cached_sqlite(forum, migrate):
    """The path of a filled SQLite database for `forum` in CACHE, and the seconds
    it took to fill (0.0 when it was already there).

    `migrate(url)` builds the empty schema (tests/databases.migrate). The file is
    filled under a temporary name and renamed when complete, so an interrupted
    fill never leaves a half-filled "cached" database behind.
    """
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"large-{cache_key(forum)}.sqlite3"
    if path.exists():
        return path, 0.0
    for old in CACHE.glob("large-*"):  # an older schema's database: never used again
        old.unlink()
    start = time.perf_counter()
    partial = path.with_suffix(".filling")
    migrate(f"sqlite:///{partial}")
    fill_sqlite(partial, forum)
    partial.rename(path)
    return path, time.perf_counter() - start


def working_copy(path, folder):
    """A copy of a cached database for one run: the benchmark posts replies, and
    the cached file must stay as it was filled."""
    copy = Path(folder) / path.name
    shutil.copyfile(path, copy)
    return copy


def fill_postgresql(url, forum, rows=None):
    """Write `forum` into the migrated, empty PostgreSQL database at `url`, with COPY.

    The indexes of threads and posts (not their primary keys) are dropped
    first and made again afterwards, from their own definitions: building an
    index once over a million rows is much faster than growing it row by row.
    `rows` are make_rows(forum), if already made.
    """
    import psycopg

    threads, posts = rows or make_rows(forum)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('threads', 'posts')"
            " AND indexname NOT LIKE '%pkey'"
        ).fetchall()
        for name, _definition in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        with connection.cursor().copy(
            "COPY threads (id, board, title, created_at, bumped_at, bump_order, reply_count, post_count)"
            " FROM STDIN"
        ) as copy:
            for row in threads:
                copy.write_row((*row[:3], _utc(row[3]), _utc(row[4]), *row[5:]))
        with connection.cursor().copy("COPY posts (id, thread_id, body, created_at) FROM STDIN") as copy:
            for row in posts:
                copy.write_row((*row[:3], _utc(row[3])))
        connection.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            connection.execute(definition)
        # The next ids and bump numbers come after the ones written here.
        connection.execute("SELECT setval('threads_id_seq', (SELECT max(id) FROM threads))")
        connection.execute("SELECT setval('posts_id_seq', (SELECT max(id) FROM posts))")
        connection.execute("SELECT setval('thread_bump_order_seq', (SELECT max(bump_order) FROM threads))")
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _utc(moment):
    return moment.replace(tzinfo=timezone.utc)
