"""Measure the final app on its database: does a page get slower as the site grows?

Three questions, each answered with real requests:

1. Size. Two SQLite databases, one ten thousand times the other, both with
   the same 300-post thread and a full first page on the Astronomy board:
   - small: 100 posts in 60 threads, plus the 300- and 20-post threads;
   - large: 1,000,000 posts in 100,000 threads on 15 boards, with the same
     two threads among them.
   Each request goes to both in turn through Flask's test client (no network,
   so we time our code, not the operating system): small, large, small,
   large... so both pay the same for CPU warm-up and the garbage collector,
   and what differs is only the size of the database. It reports the median
   of many runs. The thread page, the thread's JSON, a board page and posting
   a reply touch one thread or one page of threads, found through an index:
   at a million posts they must stay within 1.5x of their small-database time.
2. Search. A word that is in 1% of the posts (10,000 of the million): the
   median search request, first page, must take at most 10 ms on SQLite.
   The same search on PostgreSQL, if its server programs are installed.
3. Several workers. Requests per second for a 20-post thread's JSON under
   gunicorn (final/gunicorn.conf.py, as `make serve` runs it) with 4 worker
   processes and with 1, and for a hello-world Flask app with 4 workers.

The large database takes about a minute to fill; it is kept in
final/bench/.cache/ for the next run (see data.py). The script prints a table
and exits 1 if a target is missed.

Run it from the top of the repository:  make bench
(or: .venv/bin/python final/bench/bench.py; --help for the options)
"""

import argparse
import itertools
import os
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # databases.py, pgserver.py

from data import (  # noqa: E402  (bench's own modules; the tests' helpers need the path above)
    BIG_TITLE,
    RARE_WORD,
    SMALL_TITLE,
    Forum,
    cached_sqlite,
    fill_postgresql,
    fill_sqlite,
    make_rows,
    working_copy,
)
from databases import migrate  # noqa: E402
from load import gunicorn, gunicorn_settings, hammer  # noqa: E402

from chatsite import create_app, text_search  # noqa: E402

SMALL = Forum(threads=62, posts=420, rare_posts=1, astronomy_first=50)
LARGE = Forum(threads=100_000, posts=1_000_000, rare_posts=10_000)
MUST_STAY_FLAT = ("thread page", "thread JSON", "board page", "post a reply")
ALLOWED_RATIO = 1.5
SEARCH_TARGET_MS = 10.0
# Flood control off: the benchmark posts hundreds of replies a second from one address.
SETTINGS = {"SECRET_KEY": "bench", "THREAD_INTERVAL": 0, "REPLY_INTERVAL": 0, "LOGIN_ATTEMPTS_PER_MINUTE": 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per request (part 1 and 2)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per server (part 3)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (part 3)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL search")
    parser.add_argument("--no-load", action="store_true", help="skip part 3")
    parser.add_argument("--explain", action="store_true", help="print SQLite's plans for the search")
    args = parser.parse_args()

    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="chatsite-bench-") as folder:
        folder = Path(folder)
        cached, fill_seconds = cached_sqlite(LARGE, migrate)
        print(f"large database: {cached} ({cached.stat().st_size / 1e6:.0f} MB), "
              + (f"filled in {fill_seconds:.0f} s" if fill_seconds else "from the cache"), flush=True)
        large_path = working_copy(cached, folder)
        small_path = folder / "small.sqlite3"
        migrate(f"sqlite:///{small_path}")
        fill_sqlite(small_path, SMALL)

        small_app, large_app = (sqlite_app(path, folder) for path in (small_path, large_path))
        small_requests = requests_for(small_app, small_path)
        large_requests = requests_for(large_app, large_path)
        small, large = compare(small_requests, large_requests, args.runs)
        print("SQLite done", flush=True)
        if args.explain:
            explain_search(large_app)

        postgres = None if args.no_postgres else postgres_search(args.runs, folder)
        load = None if args.no_load else requests_per_second(large_path, folder, args.clients, args.seconds)

    failed = report(small, large, postgres, load, fill_seconds, args)
    if failed:
        print(f"\nTargets missed: {', '.join(failed)}")
        return 1
    return 0


def processors():
    """How many processors this process may use (what `nproc` prints)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def machine_line():
    """The machine: processors, CPU model, Python, SQLite, and how busy it is right now."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:  # Linux; elsewhere the platform's guess above
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"Chat Site benchmark — {processors()} processors ({model}), "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{platform.system()} {platform.release()}; load average {load}")


def sqlite_app(path, folder):
    return app_for(f"sqlite:///{path}", folder)


def app_for(database_url, folder):
    return create_app({**SETTINGS, "DATABASE_URL": database_url, "UPLOAD_FOLDER": str(folder / "uploads")})


def landmarks(path):
    """The ids the requests use: the 300-post thread, the 20-post thread, and
    50 other threads that take the replies in turn (no thread gets many)."""
    with closing(sqlite3.connect(path)) as connection:

        def thread_id(title):
            return connection.execute("SELECT id FROM threads WHERE title = ?", (title,)).fetchone()[0]

        others = connection.execute(
            "SELECT id FROM threads WHERE title NOT IN (?, ?) ORDER BY id LIMIT 50", (BIG_TITLE, SMALL_TITLE)
        ).fetchall()
        return thread_id(BIG_TITLE), thread_id(SMALL_TITLE), [row[0] for row in others]


def requests_for(app, path):
    """The requests to time, as functions that make one request each."""
    big_thread, _, reply_threads = landmarks(path)
    client = app.test_client()
    page = client.get(f"/threads/{reply_threads[0]}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"\s+value="([^"]*)"', page).group(1)
    next_thread = itertools.cycle(reply_threads).__next__

    def get(url):
        def action():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return action

    def post_reply():
        data = {"body": "A benchmark reply", "csrf_token": token}
        response = client.post(f"/threads/{next_thread()}/replies", data=data)
        assert response.status_code == 303, response.status_code

    return {
        "thread page": get(f"/threads/{big_thread}"),
        "thread JSON": get(f"/api/threads/{big_thread}/posts"),
        "board page": get("/boards/astronomy"),
        "post a reply": post_reply,
        "home page": get("/"),
        "search": get(f"/search?q={RARE_WORD}"),
    }


def timed_ms(action):
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def compare(small_actions, large_actions, runs):
    """Alternate each small-database request with the same large-database request;
    return two dicts of median times in milliseconds."""
    small, large = {}, {}
    for name in small_actions:
        small_times, large_times = [], []
        for _ in range(runs + 1):  # the first round warms up and is not counted
            small_times.append(timed_ms(small_actions[name]))
            large_times.append(timed_ms(large_actions[name]))
        small[name] = statistics.median(small_times[1:])
        large[name] = statistics.median(large_times[1:])
    return small, large


def postgres_search(runs, folder):
    """The large database's search on a throwaway PostgreSQL server: (median ms, fill seconds),
    or a string saying why it was skipped."""
    from pgserver import PostgresServer, PostgresUnavailable

    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as error:
        return f"skipped: {str(error).splitlines()[0]}"
    try:
        return _postgres_search(server, runs, folder)
    except Exception as error:  # optional: say what went wrong, and report the rest
        return f"failed: {type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        server.stop()


def _postgres_search(server, runs, folder):
    url = server.create_database()
    migrate(url)
    start = time.perf_counter()
    fill_postgresql(url, LARGE, make_rows(LARGE))
    filled = time.perf_counter() - start
    app = app_for(url, folder)
    client = app.test_client()

    def search():
        response = client.get(f"/search?q={RARE_WORD}")
        assert response.status_code == 200, response.status_code

    times = [timed_ms(search) for _ in range(runs + 1)][1:]  # the first one warms up
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    print("PostgreSQL done", flush=True)
    return statistics.median(times), filled


def requests_per_second(database, folder, clients, seconds):
    """Part 3: the 20-post thread's JSON under gunicorn with 4 workers and 1, and a hello world."""
    _, json_thread, _ = landmarks(database)
    env = {
        "CHATSITE_DATABASE_URL": f"sqlite:///{database}",
        "CHATSITE_SECRET_KEY": "bench",
        "CHATSITE_UPLOAD_FOLDER": str(folder / "uploads"),
    }
    path = f"/api/threads/{json_thread}/posts"
    servers = [
        ("Chat Site, thread JSON", "chatsite:create_app()", 4, path, None),
        ("Chat Site, thread JSON", "chatsite:create_app()", 1, path, None),
        ("hello world (hello.py)", "hello:app", 4, "/", HERE),
    ]
    results = []
    for label, app, workers, url_path, cwd in servers:
        with gunicorn(app, workers, folder, env, cwd) as url:
            results.append((label, workers, hammer(url, url_path, clients, seconds)))
        print(f"load: {label}, {workers} worker(s) done", flush=True)
    return results


def explain_search(app):
    """Print each SQL statement of one search, and how SQLite runs it (EXPLAIN QUERY PLAN)."""
    from sqlalchemy import event

    statements = []

    def remember(_connection, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        event.listen(engine, "before_cursor_execute", remember)
        try:
            text_search.search(RARE_WORD)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        with engine.connect() as connection:
            for statement, parameters in statements:
                if statement.lstrip().upper().startswith("SELECT"):
                    print("\n" + " ".join(statement.split()))
                    plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                    for row in plan:
                        print("    " + row[3])


def report(small, large, postgres, load, fill_seconds, args):
    """Print the tables; return the names of the targets missed."""
    failed = []
    print(f"\nsmall: {SMALL.label}; large: {LARGE.label}, 15 boards (SQLite). "
          f"Medians of {args.runs} runs, small and large in turn, through Flask's test client. "
          + (f"Filling the large database took {fill_seconds:.0f} s." if fill_seconds
             else "Large database from the cache (filled by an earlier run)."))
    print("\n| request | small (ms) | large (ms) | ratio | target | met |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for name in small:
        ratio = large[name] / small[name]
        target, met = "", ""
        if name in MUST_STAY_FLAT:
            target, ok = f"ratio ≤ {ALLOWED_RATIO}", ratio <= ALLOWED_RATIO
        elif name == "search":
            target, ok = f"large ≤ {SEARCH_TARGET_MS:.0f} ms", large[name] <= SEARCH_TARGET_MS
        if target:
            met = "yes" if ok else "**NO**"
            if not ok:
                failed.append(name)
        print(f"| {name} | {small[name]:.2f} | {large[name]:.2f} | {ratio:.2f} | {target} | {met} |")
    if isinstance(postgres, tuple):
        median, filled = postgres
        note = f"none (COPY and indexes: {filled:.0f} s)"
        print(f"| search, PostgreSQL | | {median:.2f} | | {note} | |")
    elif postgres:
        print(f"| search, PostgreSQL | | | | {postgres} | |")

    if load:
        settings = gunicorn_settings(4)
        kind = settings["worker_class"] or "sync"
        print(f"\nRequests per second under gunicorn (final/gunicorn.conf.py: {kind} workers"
              + (f", {settings['worker_connections']} connections each" if kind == "gevent" else "")
              + (f", {settings['threads']} threads each" if settings["threads"] else "")
              + f"), {args.clients} keep-alive clients for {args.seconds:.0f} s, all on 127.0.0.1, "
              f"on {processors()} processors shared by the clients and the server.")
        print("\n| server | workers | requests/s | vs 4 workers | errors | client CPU |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        base = load[0][2]["rps"] or float("nan")
        for label, workers, result in load:
            print(f"| {label} | {workers} | {result['rps']:.0f} | {result['rps'] / base:.2f} | "
                  f"{result['errors']} | {result['client_cpu']:.2f} |")
            if result["errors"] or not result["rps"]:
                failed.append(f"{label}, {workers} worker(s): {result['errors']} failed requests")
    return failed


if __name__ == "__main__":
    sys.exit(main())
