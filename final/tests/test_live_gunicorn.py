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

A second test sends large messages to a reader slower than the server: under
gevent, send() may write only part of a message, and each must still arrive
whole (live.py, WholeWrites).
"""

import base64
import json
import os
import re
import socket
import statistics
import threading
import time

import pytest
from databases import fresh_sqlite_url
from forum import LiveBrowser, csrf_token
from liveserver import Gunicorn, fan_out, post_reply, start_thread
from pgserver import database_name
from sqlalchemy import create_engine, text

from chatsite.live_listener import LISTENER_NAME

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


# --- Large messages to a slow reader ------------------------------------------------------

LARGE_REPLIES = 40


def slow_socket(live_url):
    """A WebSocket opened by hand on a connection with a tiny receive buffer: until it
    is read, what the server sends piles up in the server's own buffers."""
    host_port, path = live_url.removeprefix("ws://").split("/", 1)
    host, port = host_port.split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.settimeout(10)  # a lost byte would leave a read waiting: this fails it instead
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:  # the answer's head only, byte by byte
        byte = sock.recv(1)
        assert byte, f"the server closed the connection: {answer!r}"
        answer += byte
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def read_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(min(count - len(data), 65536))
        if not chunk:
            raise ConnectionError(f"the connection ended after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


def read_messages(sock, count):
    """The next `count` text messages, decoded JSON, read frame by frame (RFC 6455, 5.2:
    a server's frames are not masked). Whatever does not read as whole messages (a
    frame of another kind, a message that is not JSON) ends the list."""
    messages = []
    while len(messages) < count:
        first, second = read_exactly(sock, 2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(read_exactly(sock, 2), "big")
        elif length == 127:
            length = int.from_bytes(read_exactly(sock, 8), "big")
        if first != 0x81 or second & 0x80 or length > 10_000_000:  # one whole text frame, unmasked
            break
        try:
            messages.append(json.loads(read_exactly(sock, length)))
        except ValueError:
            break
    return messages


def test_large_messages_reach_a_slow_reader_whole_under_gevent(tmp_path):
    """Under gunicorn's gevent worker, a socket whose reader is slower than the server:
    40 replies of about 60 KB each (as messages), owed to a page that opens its socket
    with ?after= and reads only once the server's buffers are full. gevent's send()
    then writes part of a message; every message must still arrive whole, in order."""
    with Gunicorn(tmp_path, fresh_sqlite_url(tmp_path), workers=1) as server:
        thread_id, live = start_thread(server.url)
        browser = LiveBrowser(server.url)
        token = csrf_token(browser.get(f"/threads/{thread_id}")[1])
        bodies = [f"{n} " + "\N{TELESCOPE}" * 4990 for n in range(LARGE_REPLIES)]
        posted = [post_reply(browser, token, thread_id, body)[0] for body in bodies]
        sock = slow_socket(live)
        try:
            time.sleep(1)  # not read: the server sends into full buffers
            messages = read_messages(sock, LARGE_REPLIES)
        except (OSError, ValueError) as error:
            pytest.fail(f"the messages did not arrive whole: {error!r}")
        finally:
            sock.close()
    assert [(m.get("type"), m.get("id")) for m in messages] == [("post", post_id) for post_id in posted]
