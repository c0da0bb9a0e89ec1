"""Step 21: serving it for real. Several gunicorn workers, slow clients, a proxy in front.

What a user or an operator notices:

- the site keeps answering while slow clients hold connections open (gunicorn's
  gevent workers, started with the step's own gunicorn.conf.py), and a form
  whose body is cut short stores nothing (bodies.py reads every body whole);
- no SECRET_KEY configured, yet a form shown by one worker is accepted by
  another, and a staff login survives a restart: the key made on the first
  start is kept in the instance folder (config.secret_key_for);
- behind a proxy (PROXIES=1), X-Forwarded-For is the visitor's address, so
  flood control counts each visitor apart, and the API's addresses say the
  scheme and the name the visitor used; without PROXIES those headers are
  ignored (ProxyFix);
- a request for a host name the site does not serve gets a short 400
  (TRUSTED_HOSTS, hosts.py), never a page with that name in its addresses;
- on PostgreSQL, a reply stored by one worker reaches the open pages of
  another at once, not at its next poll (LISTEN/NOTIFY, live_listener.py).

The gunicorn tests run the target's package with the gunicorn.conf.py beside
it (liveserver.served_folder): steps before 21 have none, and fail there.
"""

import json
import re
import socket
import statistics
import threading
import time
import urllib.parse
import urllib.request

import flask
import pgserver
import pytest
from databases import dispose, fresh_postgres_url
from forum import BOARD, create_thread, csrf_token, post_form, reply, serving, staff_client
from liveserver import Gunicorn, LiveClient, RawSession, form_head, served_folder
from pgserver import database_name
from simple_websocket import ConnectionClosed
from staff import is_anonymous, replay
from targets import reload_app

pytestmark = pytest.mark.since("21")

postgres_server = pgserver.postgres_server  # a fixture (see pgserver.py)


# --- gunicorn: slow clients, bodies cut short -------------------------------------------

def serve_with_gunicorn(target, app, folder, workers):
    """The target's package under gunicorn, with its own gunicorn.conf.py, on the app's database."""
    return Gunicorn(folder, app.config["DATABASE_URL"], workers=workers, app_folder=served_folder(target))


SLOW_CONNECTIONS = 100
VISITS = 20
TRICKLE_EVERY = 0.5  # seconds between two bytes of a slow client


def open_slow_connections(port, count, stop):
    """Open `count` connections that each send a request a byte at a time until `stop` is set."""
    sockets = []
    for number in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        if number % 2:
            # Headers done, then a body of 10,000 bytes that never finishes.
            connection.sendall(
                b"POST /boards/astronomy/threads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\ntitle="
            )
        else:
            connection.sendall(b"GET / HTTP/1.1\r\n")  # the headers never finish
        sockets.append(connection)

    def trickle():
        while not stop.wait(TRICKLE_EVERY):
            for connection in sockets:
                try:
                    connection.send(b"a")
                except OSError:
                    pass  # the server closed it: fine

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    return sockets, thread


@pytest.mark.live
def test_a_visitor_gets_pages_while_100_slow_clients_are_connected(target, app, tmp_path):
    """A "slowloris" client sends its request a byte at a time. With a thread per
    connection, 4 of them took the site offline; gevent's greenlets cost nearly nothing."""
    with serve_with_gunicorn(target, app, tmp_path, workers=2) as server:
        stop = threading.Event()
        sockets, trickler = open_slow_connections(server.port, SLOW_CONNECTIONS, stop)
        try:
            time.sleep(1)  # let them settle in
            times = []
            for _ in range(VISITS):
                started = time.perf_counter()
                with urllib.request.urlopen(server.url + "/boards/astronomy", timeout=10) as response:
                    assert response.status == 200
                    response.read()
                times.append(time.perf_counter() - started)
        finally:
            stop.set()
            trickler.join(timeout=5)
            for connection in sockets:
                connection.close()
    # A page takes a few milliseconds here; a second would mean the visitor waited for a free thread.
    assert statistics.median(times) < 0.25, times
    assert max(times) < 1.0, times


def threads_on_board(server):
    with urllib.request.urlopen(server.url + f"/api/boards/{BOARD}/threads", timeout=10) as response:
        return len(json.load(response)["threads"])


@pytest.mark.live
def test_a_form_cut_short_stores_nothing(target, app, tmp_path):
    """The connection drops half-way through a form: 400 (or no answer at all), and
    no shorter post. The same form sent whole is stored."""
    with serve_with_gunicorn(target, app, tmp_path, workers=1) as server:
        raw = RawSession(server.url, server.port)
        body = urllib.parse.urlencode({"csrf_token": raw.token, "title": "Half", "body": "y" * 200}).encode()
        cut_short = raw.send(form_head(len(body)), body[: len(body) // 2])
        stored_then = threads_on_board(server)
        whole = raw.send(form_head(len(body)), body)
        assert (cut_short in (400, None), stored_then, whole, threads_on_board(server)) == (True, 0, 303, 1)


# --- the secret key: one for every worker, kept across restarts ----------------------------


@pytest.fixture
def instance_folder(tmp_path, monkeypatch):
    """A fresh instance folder for the apps this test makes, and no key in the environment."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(folder))
    monkeypatch.delenv("CHATSITE_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    return folder


def test_without_a_configured_key_every_worker_and_every_restart_shares_the_sessions(app, instance_folder):
    """No SECRET_KEY anywhere: the key made on the first start is kept in
    instance/secret_key (readable by its owner only), so a form shown by one
    worker posts to another, and a staff login survives a restart."""
    one, two = reload_app(app, SECRET_KEY=None), reload_app(app, SECRET_KEY=None)  # two workers
    visitor = one.test_client()
    token = csrf_token(visitor.get(f"/boards/{BOARD}").get_data(as_text=True))
    cookie = visitor.get_cookie(one.config["SESSION_COOKIE_NAME"]).value
    fields = {"csrf_token": token, "title": "Hi", "body": "!"}
    posted = replay(two, cookie).post(f"/boards/{BOARD}/threads", data=fields)
    milo = staff_client(one, "milo")
    staff_cookie = milo.get_cookie(one.config["SESSION_COOKIE_NAME"]).value
    restarted = reload_app(app, SECRET_KEY=None)
    key_file = instance_folder / "secret_key"
    mode = oct(key_file.stat().st_mode & 0o777) if key_file.exists() else None
    assert (posted.status_code, is_anonymous(replay(restarted, staff_cookie)), mode) == (303, False, "0o600")


# --- behind a proxy: ProxyFix, only when PROXIES says so ----------------------------------

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.org"}


def threads_from(app, addresses):
    """Each address (sent as X-Forwarded-For, from one proxy) starts a thread: the statuses."""
    statuses = []
    for address in addresses:
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        fields = {"title": f"From {address}"}
        statuses.append(post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields).status_code)
    return statuses


def test_behind_a_proxy_each_visitor_is_counted_by_their_own_address(app):
    """PROXIES=1: X-Forwarded-For is the visitor's address, so one visitor's
    posts do not hold back another's (without it, all share the proxy's). Without
    PROXIES the header is ignored: a flooder cannot pick a new address per post."""
    addresses = ("203.0.113.1", "203.0.113.2", "203.0.113.1")
    direct = threads_from(reload_app(app, THREAD_INTERVAL=60), addresses)
    proxied = threads_from(reload_app(app, THREAD_INTERVAL=60, PROXIES=1), addresses)
    assert (direct, proxied) == ([303, 429, 429], [303, 303, 429])


def test_the_addresses_the_api_writes_follow_the_proxy_only_when_configured(app, client):
    proxied = reload_app(app, PROXIES=1, TRUSTED_HOSTS=["chat.example.org"]).test_client()
    urls = [c.get("/api/boards", headers=FORWARDED).get_json()["boards"][0]["url"] for c in (client, proxied)]
    assert urls == [
        "http://localhost/api/boards/astronomy/threads",
        "https://chat.example.org/api/boards/astronomy/threads",
    ]


# --- host names: TRUSTED_HOSTS -------------------------------------------------------------

UNKNOWN_HOSTS = ["evil.example", "evil.example:5000", "localhost.evil.example", "a b"]
LOCAL_NAMES = ["localhost", "LOCALHOST", "Localhost:5000", "[::1]", "[::1]:5000", "127.0.0.1:8000"]


def test_only_this_computers_names_are_served_by_default(client):
    """In any case, with or without a port; every other name gets 400, and never sees itself."""
    seen = {}
    for host in UNKNOWN_HOSTS + LOCAL_NAMES:
        answer = client.get("/api/boards", headers={"Host": host})
        seen[host] = (answer.status_code, "evil" in answer.get_data(as_text=True))
    assert seen == {host: (400 if host in UNKNOWN_HOSTS else 200, False) for host in seen}


@pytest.mark.parametrize(
    "url", ["/", "/boards/astronomy", "/boards.json", "/uploads/x.png", "/login", "/api/boards"]
)
def test_an_unknown_host_gets_a_short_400_and_one_log_line(app, client, url, caplog):
    """Every page, file and form: a short 400 (JSON for programs), no traceback in the log."""
    for method in (client.get, client.post):
        caplog.clear()
        response = method(url, headers={"Host": "evil.example"})
        assert response.status_code == 400
        assert "evil" not in response.get_data(as_text=True)
        assert len(response.get_data()) < 2000
        if url.startswith("/api/") or url.endswith(".json"):
            assert response.get_json()["error"]["status"] == 400
        else:
            assert "not served at this address" in response.get_data(as_text=True)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        [record] = [record for record in caplog.records if record.name == app.logger.name]
        assert "evil.example" in record.getMessage() and "\n" not in record.getMessage()
        assert record.exc_info is None and "Traceback" not in caplog.text


def test_no_absolute_url_carries_a_forged_host(client):
    thread_id = create_thread(client)
    response = reply(client, thread_id, "hi")
    assert response.headers["Location"].startswith("/threads/")  # relative: no host at all
    for url in ("/api/boards", f"/api/threads/{thread_id}/posts"):
        assert "evil" not in client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)


def test_the_configured_host_names_are_served_and_no_other(app):
    client = reload_app(app, TRUSTED_HOSTS=["Chat.Example.org"]).test_client()
    hosts = ("chat.example.org", "CHAT.Example.org:8000", "localhost")
    answers = [client.get("/api/boards", headers={"Host": host}) for host in hosts]
    assert [answer.status_code for answer in answers] == [200, 200, 400]
    assert answers[0].get_json()["boards"][0]["url"].startswith("http://chat.example.org/")


# --- PostgreSQL: a reply stored by one worker wakes the sockets of every other ---------------

SLOW_POLL = 30  # seconds: only a wake-up explains a quick arrival
QUICK = 3.0  # "at once": typically a few milliseconds, with room for a busy machine


@pytest.fixture
def pg_url(postgres_server):
    """A fresh, migrated PostgreSQL database."""
    url = fresh_postgres_url(postgres_server)
    yield url
    postgres_server.drop_database(database_name(url))


@pytest.mark.live
def test_a_reply_stored_by_another_worker_reaches_an_open_page_at_once(app, pg_url):
    """Two workers (two apps) on one PostgreSQL database, each socket looking only
    every 30 s: a reply posted through the second reaches a page open on the first
    at once. On SQLite (or before step 21) only the poll would bring it."""
    first, second = (reload_app(app, DATABASE_URL=pg_url, LIVE_POLL_INTERVAL=SLOW_POLL) for _ in range(2))
    poster = second.test_client()
    thread_id = create_thread(poster)
    try:
        with serving(first) as base_url:
            ws = LiveClient.connect("ws://" + base_url.removeprefix("http://") + f"/threads/{thread_id}/live")
            try:
                time.sleep(0.5)  # the page is open: its worker listens
                arrived = []
                for body in ("One", "Two"):
                    location = reply(poster, thread_id, body).headers["Location"]
                    post_id = int(re.search(r"#post-(\d+)$", location).group(1))
                    started = time.monotonic()
                    text = ws.receive(timeout=QUICK)
                    message = json.loads(text) if text else {}
                    arrived.append((message.get("id") == post_id, time.monotonic() - started < QUICK))
                    if arrived[-1] != (True, True):
                        break  # (the next would not come either)
            finally:
                try:
                    ws.close()
                except ConnectionClosed:
                    pass
            # The socket's handler ends before the database goes.
            deadline = time.monotonic() + 5
            while first.extensions["live"].sockets and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        dispose(first)
        dispose(second)
    assert arrived == [(True, True), (True, True)]
