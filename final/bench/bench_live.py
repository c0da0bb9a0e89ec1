"""Measure live updates: how soon does a reply reach the open pages, and what does a poll cost?

Three questions, each answered with real requests:

1. Latency. Gunicorn with 4 gevent workers (final/gunicorn.conf.py, started by
   tests/liveserver.py as the tests start it), on SQLite, then on PostgreSQL
   if its server programs are installed (a throwaway server, tests/pgserver.py).
   50 WebSockets are open on one thread; 200 replies are posted by 4 clients
   at once, each reply through a new connection (so every worker stores some).
   For each reply and each socket: the time from the reply's 303 to its
   arrival on the socket. It reports the median, the 99th percentile and the
   maximum of those 10,000 times. The app runs with its defaults (a socket
   looks every LIVE_POLL_INTERVAL, 1 s; on PostgreSQL NOTIFY wakes it at once).
2. Polling. The fallback of a page without WebSocket asks
   /api/threads/<id>/posts?after=<post id> every few seconds, with the ETag of
   its last answer. On a 300-post thread, through Flask's test client (no
   network): a 304 (nothing new), an ?after= answer with one new post, one
   with 100 posts, and the thread's JSON (/api/threads/<id>/posts), in turn,
   one of each per round, so that all pay the same for warm-up and the garbage
   collector. Medians, and the ratio to the 304.
3. Memory. One gevent worker's resident memory (RSS, Linux's /proc) before and
   after opening 200 sockets: the cost of one open page.

The script prints tables and exits 1 if a reply is lost.

Run it from the top of the repository:  make bench  (after bench.py)
(or: .venv/bin/python final/bench/bench_live.py; --help for the options)
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # liveserver.py, pgserver.py, forum.py, databases.py

from _pytest.outcomes import OutcomeException  # noqa: E402  (liveserver.py stops with pytest.fail/skip)
from bench import SETTINGS, machine_line, timed_ms  # noqa: E402  (SETTINGS: flood control off)
from databases import migrate  # noqa: E402
from forum import csrf_token  # noqa: E402
from liveserver import Gunicorn, fan_out, start_thread  # noqa: E402
from simple_websocket import Client, ConnectionClosed  # noqa: E402

from chatsite import create_app  # noqa: E402

SOCKETS = 50
REPLIES = 200
POSTERS = 4  # clients posting at once, each reply through a new connection
DEADLINE = 20  # seconds for every socket to have every reply
MEMORY_SOCKETS = 200
THREAD_POSTS = 300


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="rounds of the polling requests (part 2)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only (part 1)")
    args = parser.parse_args()

    print(machine_line().replace("Chat Site benchmark", "Chat Site live benchmark"), flush=True)
    lost = []
    with tempfile.TemporaryDirectory(prefix="chatsite-bench-live-") as folder:
        folder = Path(folder)
        latencies = [("SQLite", latency(folder, sqlite_url(folder, "latency")))]
        print("latency, SQLite done", flush=True)
        if not args.no_postgres:
            latencies.append(("PostgreSQL", on_postgresql(folder)))
            print("latency, PostgreSQL done", flush=True)
        polls = polling(folder, args.runs)
        print("polling done", flush=True)
        memory = socket_memory(folder)

    print(
        f"\n{REPLIES} replies posted by {POSTERS} clients at once (a new connection each) to a thread with"
        f" {SOCKETS} open sockets, gunicorn with 4 gevent workers (final/gunicorn.conf.py), default"
        f" settings (LIVE_POLL_INTERVAL 1 s). Time from each reply's 303 to its arrival on each socket."
    )
    print("\n| database | replies x sockets | median (ms) | 99th percentile (ms) | max (ms) | posting took |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, result in latencies:
        if isinstance(result, str):
            print(f"| {name} | | | | | {result} |")
            continue
        delays, missing, posting = result
        if missing:
            lost.append(f"{name}: {missing} replies never arrived")
        print(
            f"| {name} | {len(delays):,} | {percentile(delays, 50):.0f} | {percentile(delays, 99):.0f} |"
            f" {delays[-1] * 1000:.0f} | {posting:.1f} s |"
        )

    print(
        f"\nPolling a {THREAD_POSTS}-post thread (SQLite), through Flask's test client. Medians of"
        f" {args.runs} rounds, the requests in turn."
    )
    print("\n| request | status | bytes | ms | vs 304 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    base = polls[0][3]
    for name, status, size, ms in polls:
        print(f"| {name} | {status} | {size:,} | {ms:.2f} | {ms / base:.1f} |")

    if isinstance(memory, str):
        print(f"\nMemory per socket: {memory}")
    else:
        before, after = memory
        print(
            f"\nMemory: one gevent worker, {before / 1024:.1f} MB before and {after / 1024:.1f} MB after"
            f" {MEMORY_SOCKETS} sockets: {(after - before) / MEMORY_SOCKETS:.0f} kB per socket."
        )

    if lost:
        print(f"\nLost: {', '.join(lost)}")
        return 1
    return 0


def percentile(delays, percent):
    """The delay (in ms) below which `percent` % of the sorted `delays` (in s) fall."""
    return delays[min(len(delays) - 1, int(len(delays) * percent / 100))] * 1000


def sqlite_url(folder, name):
    url = f"sqlite:///{folder / (name + '.sqlite3')}"
    migrate(url)
    return url


def on_postgresql(folder):
    """Part 1 on a throwaway PostgreSQL server, or a string saying why it was skipped."""
    from pgserver import PostgresServer, PostgresUnavailable

    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as error:
        return f"skipped: {str(error).splitlines()[0]}"
    try:
        url = server.create_database()
        migrate(url)
        return latency(folder, url)
    except (Exception, OutcomeException) as error:  # optional: say what went wrong, and report the rest
        return f"failed: {type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        server.stop()


def latency(folder, database_url):
    """Part 1: (sorted delays in seconds, replies missing, seconds of posting)."""
    with Gunicorn(folder, database_url, workers=4) as server:
        thread_id, live = start_thread(server.url)
        readers, posted, posting = fan_out(server.url, thread_id, live, SOCKETS, REPLIES, POSTERS, DEADLINE)
    delays = sorted(
        arrived - posted[m["id"]] for reader in readers for arrived, m in reader.got if m.get("id") in posted
    )
    return delays, REPLIES * SOCKETS - len(delays), posting


def polling(folder, runs):
    """Part 2: [(request, status, bytes, median ms)], the 304 first."""
    app = create_app({**SETTINGS, "DATABASE_URL": sqlite_url(folder, "polling"),
                      "UPLOAD_FOLDER": str(folder / "uploads")})  # fmt: skip
    client = app.test_client()
    token = csrf_token(client.get("/boards/astronomy").get_data(as_text=True))
    opening = {"title": "Long", "body": "Post 1", "csrf_token": token}
    answer = client.post("/boards/astronomy/threads", data=opening)
    thread_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    for n in range(2, THREAD_POSTS + 1):
        answer = client.post(f"/threads/{thread_id}/replies", data={"body": f"Post {n}", "csrf_token": token})
        assert answer.status_code == 303, answer.status_code
    posts = f"/api/threads/{thread_id}/posts"
    post_ids = client.get(f"{posts}?after=0").get_json()["post_ids"]
    assert len(post_ids) == THREAD_POSTS, len(post_ids)
    etag = client.get(f"{posts}?after={post_ids[-1]}").headers["ETag"]
    requests = [
        ("?after= nothing new, If-None-Match", f"{posts}?after={post_ids[-1]}", {"If-None-Match": etag}, 304),
        ("?after= one new post", f"{posts}?after={post_ids[-2]}", {}, 200),
        ("?after=0 (100 posts, with HTML)", f"{posts}?after=0", {}, 200),
        ("thread JSON (first 100 posts)", posts, {}, 200),
    ]
    sizes = {}

    def action(name, url, headers, status):
        def run():
            response = client.get(url, headers=headers)
            assert response.status_code == status, (url, response.status_code)
            sizes[name] = len(response.get_data())

        return run

    actions = [(name, action(name, url, headers, status)) for name, url, headers, status in requests]
    times = {name: [] for name, _ in actions}
    for _ in range(runs + 1):  # the first round warms up and is not counted
        for name, run in actions:
            times[name].append(timed_ms(run))
    return [
        (name, status, sizes[name], statistics.median(times[name][1:])) for name, _, _, status in requests
    ]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


def socket_memory(folder):
    """Part 3: (kB before, kB after) of one worker's RSS, or a string saying why not."""
    if not Path("/proc/self/status").exists():
        return "skipped (no /proc: Linux only)"
    with Gunicorn(folder, sqlite_url(folder, "memory"), workers=1) as server:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        worker = int(children[0])
        _, live = start_thread(server.url)
        for _ in range(20):  # warm up: the first sockets load code, this measures the next ones
            Client.connect(live).close()
        time.sleep(1)
        before = rss_kb(worker)
        sockets = [Client.connect(live) for _ in range(MEMORY_SOCKETS)]
        time.sleep(2)  # each socket has checked the database at least once
        after = rss_kb(worker)
        for ws in sockets:
            try:
                ws.close()
            except ConnectionClosed:
                pass
    return before, after


if __name__ == "__main__":
    sys.exit(main())
