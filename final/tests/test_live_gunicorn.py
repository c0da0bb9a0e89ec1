"""Live updates under gunicorn, the way `make serve` runs the site: the proof.

Gunicorn with 4 gevent worker processes (tests/liveserver.py, final/gunicorn.conf.py),
on SQLite and on PostgreSQL. 50 pages have one thread open (50 WebSockets, which
the kernel hands to the 4 workers); 200 replies are posted, each through a new
HTTP connection, so that every worker stores some of them. Every socket must
receive all 200 "post" events, in order, none twice.

How a reply stored by one worker reaches the sockets held by another:

- SQLite: each socket looks at the database every LIVE_POLL_INTERVAL (1 s),
  and at once when its own worker stores something;
- PostgreSQL: NOTIFY, through each worker's LISTEN connection. The poll is set
  to 30 s there, so that nothing else could bring the replies in time.

It prints the time from each reply's 303 to its arrival on the 50 sockets
(pytest -s shows it).
"""

import re
import statistics
import threading
import time

import pytest
from liveserver import Gunicorn, fan_out, start_thread
from pgserver import database_name
from sqlalchemy import create_engine, text

from chatsite.live import LISTENER_NAME

pytestmark = pytest.mark.live

SOCKETS = 50
REPLIES = 200
POSTERS = 4  # replies sent by 4 clients at once, each through a new connection per reply
DEADLINE = 20  # seconds for every socket to have every reply


class Connections:
    """PostgreSQL: the most connections the app had open to its database, and the
    most LISTEN ones, sampled every 50 ms in a thread of its own. It returns once
    the first sample is taken, so that a slow connection (a busy machine) cannot
    leave the whole test unsampled."""

    def __init__(self, database_url):
        self.engine = create_engine(database_url)
        self.name = database_name(database_url)
        self.most = self.most_listening = 0
        self.error = None
        self.sampling = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        self.sampling.wait(timeout=30)

    def sample(self):
        query = text(
            "SELECT count(*), count(*) FILTER (WHERE application_name = :listener) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()"
        )
        values = {"name": self.name, "listener": LISTENER_NAME}
        try:
            # AUTOCOMMIT: inside one transaction, PostgreSQL shows the same snapshot
            # of pg_stat_activity to every query; each sample must be a fresh one.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                while True:
                    every, listening = connection.execute(query, values).one()
                    self.most = max(self.most, every)
                    self.most_listening = max(self.most_listening, listening)
                    self.sampling.set()
                    if self.stop.wait(0.05):
                        return
        except Exception as error:  # reported by close(), not lost in this thread
            self.error = error
            self.sampling.set()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.engine.dispose()
        if self.error is not None:
            raise self.error


def test_50_sockets_get_all_200_replies_in_order_from_4_workers(tmp_path, database_url, monkeypatch, capsys):
    postgresql = database_url.startswith("postgresql")
    # %(p)s: which worker answered (its pid), in the access log.
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--access-logformat '%(p)s %(r)s %(s)s'")
    settings = {"LIVE_POLL_INTERVAL": "30"} if postgresql else {}
    started = time.monotonic()
    with Gunicorn(tmp_path, database_url, workers=4, **settings) as server:
        thread_id, live = start_thread(server.url)
        connections = Connections(database_url) if postgresql else None
        try:
            readers, posted, posting = fan_out(
                server.url, thread_id, live, SOCKETS, REPLIES, POSTERS, DEADLINE
            )
        finally:
            if connections:
                connections.close()
        log = server.log_file.read_text(errors="replace")

    post_ids = sorted(posted)
    assert len(post_ids) == REPLIES
    received = [[message for _, message in reader.got] for reader in readers]
    # Every socket: all 200, in order (ascending event ids, and post ids), none twice, nothing else.
    assert [[m["id"] for m in messages] for messages in received] == [post_ids] * SOCKETS
    assert {m["type"] for messages in received for m in messages} == {"post"}
    for messages in received:
        events = [m["event"] for m in messages]
        assert events == sorted(set(events))
    # The replies were stored by several workers (the pid of each POST's 303, from the access log).
    workers = set(re.findall(r"^<(\d+)> POST /threads/\d+/replies HTTP/1.1 303$", log, re.M))
    assert len(workers) >= 2, f"every reply went to one worker: {workers}"

    delays = sorted(arrived - posted[m["id"]] for reader in readers for arrived, m in reader.got)
    used = ""
    if connections:
        used = f"; at most {connections.most} PostgreSQL connections, {connections.most_listening} LISTENing"
    with capsys.disabled():
        print(
            f"\n{'PostgreSQL (poll 30 s)' if postgresql else 'SQLite (poll 1 s)'}: {REPLIES} replies from"
            f" {len(workers)} workers in {posting:.1f} s to {SOCKETS} sockets; 303 -> socket: median"
            f" {statistics.median(delays) * 1000:.0f} ms, 99th percentile"
            f" {delays[int(len(delays) * 0.99)] * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms{used};"
            f" whole test {time.monotonic() - started:.1f} s"
        )
    assert delays[-1] < 10
    if connections:
        # One LISTEN connection per worker that holds sockets, not one per socket;
        # and the pools' connections, not one per socket either.
        assert 1 <= connections.most_listening <= 4
        assert connections.most <= 4 * (5 + 10) + 4
