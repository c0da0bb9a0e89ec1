"""Live updates on SQLite and PostgreSQL: the events, the sockets, the API's ?after=.

The sockets are real: the app is served by Werkzeug's threaded server on
127.0.0.1 (forum.serving) and simple_websocket.Client connects to it, as the
staged suite does. Changes are made through the data layer (each call in an
app context of its own, like a request), which is where the events are written.

On PostgreSQL a post committed by *another* app object on the same database
(a second create_app: another worker process, or another machine) must reach a
socket of the first one through LISTEN/NOTIFY, well before LIVE_POLL_INTERVAL
(30 s in those tests): nothing else could explain it. (The first such test is
step 21's, tests/test_21_serving.py; here, the listener's own life.)
"""

import json
import logging
import re
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
from databases import InAppContext, dispose, fresh_postgres_url
from flask import request
from forum import create_thread, reply, serving
from liveserver import LiveClient
from pgserver import database_name
from simple_websocket import ConnectionClosed, ConnectionError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from targets import FLOOD_LIMITS_OFF

import chatsite.moderation
import chatsite.posting
import chatsite.thread_events
from chatsite import create_app, live, live_listener, live_notifier, websocket
from chatsite.config import live_sockets_per_worker
from chatsite.db import db
from chatsite.models import ThreadEvent

pytestmark = pytest.mark.live

SLOW_POLL = {"LIVE_POLL_INTERVAL": 30}  # so that only a wake-up explains a quick arrival
# Seconds: "at once". Typically a few milliseconds; the room is for a busy test
# machine, and it is still far below the 30 s poll (SLOW_POLL), which is what counts.
QUICK = 3.0


@pytest.fixture
def make_app(upload_folder, database_url):
    """make_app(**settings): a new app on the test's database (the `app` fixture's
    settings, plus these); each is disposed of after the test."""
    made = []

    def make(**settings):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "UPLOAD_FOLDER": str(upload_folder),
                "DATABASE_URL": database_url,
                **FLOOD_LIMITS_OFF,
                **settings,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        dispose(app)


class In:
    """An app's data layer, each call in an app context of its own (like a request):
    In(app).posting.add_reply(...)."""

    def __init__(self, app):
        self.posting = InAppContext(app, chatsite.posting)
        self.moderation = InAppContext(app, chatsite.moderation)
        self.thread_events = InAppContext(app, chatsite.thread_events)


class Sockets:
    """The test's sockets to one served app; closed at the end, and the app's
    handlers waited for (they must not outlive the test's database)."""

    def __init__(self, app, base_url):
        self.app, self.base_url, self.opened = app, base_url, []

    def open(self, thread_id, after=None):
        url = "ws://" + self.base_url.removeprefix("http://") + f"/threads/{thread_id}/live"
        if after is not None:
            url += "?" + urllib.parse.urlencode({"after": after})
        ws = LiveClient.connect(url)
        self.opened.append(ws)
        return ws

    def close_all(self):
        for ws in self.opened:
            try:
                ws.close()
            except ConnectionClosed:
                pass
        wait_until(lambda: notifier(self.app).sockets == 0, within=5, what="every socket to end")


@pytest.fixture
def served():
    """served(app): serve the app on 127.0.0.1; returns its Sockets."""
    servers = []

    def serve(app):
        server = serving(app)
        sockets = Sockets(app, server.__enter__())
        servers.append((server, sockets))
        return sockets

    yield serve
    for server, sockets in reversed(servers):
        sockets.close_all()
        server.__exit__(None, None, None)


def notifier(app):
    return app.extensions["live"]


def wait_until(condition, within, what):
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"waited {within} s for {what}"
        time.sleep(0.02)


def receive(ws, count=1, within=2.0):
    """The next `count` messages (decoded) that arrive within `within` seconds, fewer if not."""
    deadline = time.monotonic() + within
    messages = []
    while len(messages) < count and (left := deadline - time.monotonic()) > 0:
        try:
            text_ = ws.receive(timeout=left)
        except ConnectionClosed:
            break
        if text_ is None:
            break
        messages.append(json.loads(text_))
    return messages


def closed(ws, within=2.0):
    """(code, reason) of the close that comes next, or what came instead."""
    try:
        message = ws.receive(timeout=within)
    except ConnectionClosed as error:
        return error.reason, error.message
    return message


def kinds(messages):
    """The messages without their event ids and html."""
    return [{key: value for key, value in m.items() if key not in ("event", "html")} for m in messages]


def article(html, post_id):
    return re.search(rf'<article\b[^>]*\sid="post-{post_id}"[^>]*>.*?</article>', html, re.S).group(0)


def new_thread(data, body="Opening post"):
    return data.posting.add_thread("astronomy", "Live thread", body).id


# --- the events ----------------------------------------------------------------------------


def test_every_change_writes_its_event_in_order_and_thread_delete_outlives_the_thread(make_app):
    data = In(make_app())
    thread_id = new_thread(data)
    opening = data.thread_events.events_after(thread_id, 0)[0].post_id
    other = new_thread(data)  # a thread of its own: none of its events mix in
    first = data.posting.add_reply(thread_id, "First").id
    second = data.posting.add_reply(thread_id, "Second").id
    data.posting.add_reply(other, "Elsewhere")
    data.moderation.delete_post(first, "milo")
    data.moderation.lock_thread(thread_id, True, "milo")
    data.moderation.lock_thread(thread_id, True, "milo")  # already locked: nothing happens, no event
    data.moderation.pin_thread(thread_id, True, "milo")  # a pin shows on the board page only: no event
    data.moderation.lock_thread(thread_id, False, "milo")
    data.moderation.move_thread(thread_id, "chess", "milo")
    data.moderation.move_thread(thread_id, "chess", "milo")  # already there
    before_delete = data.thread_events.events_after(thread_id, 0)
    data.moderation.delete_thread(thread_id, "milo")
    events = data.thread_events.events_after(thread_id, 0)

    assert [(event.kind, event.post_id) for event in events] == [
        ("post", opening),
        ("post", first),
        ("post", second),
        ("delete", first),
        ("lock", None),
        ("unlock", None),
        ("move", None),
        ("thread-delete", None),
    ]
    ids = [event.id for event in events]
    assert ids == sorted(set(ids))
    assert data.thread_events.last_event_id(thread_id) == ids[-1]
    assert before_delete[-1].board == "chess"
    assert [event.board for event in events] == [None] * len(events)  # the thread is gone
    assert [(event.kind, event.post) for event in events[1:3]] == [("post", None), ("post", None)]
    assert data.thread_events.last_event_id(999) == 0


def test_events_can_be_read_inside_a_transaction_too(make_app):
    """live.py reads them first thing (in autocommit mode on PostgreSQL); anyone else
    may read them in the middle of a request's transaction."""
    app = make_app()
    thread_id = new_thread(In(app))
    with app.app_context():
        last = chatsite.thread_events.last_event_id(thread_id)
        assert db.session().in_transaction()
        assert [event.id for event in chatsite.thread_events.events_after(thread_id, 0)] == [last]


def test_a_failed_change_writes_no_event_and_wakes_nobody(make_app):
    app = make_app()
    data = In(app)
    thread_id = new_thread(data)
    data.moderation.lock_thread(thread_id, True, "milo")
    woken = []
    notifier(app).notify = woken.append
    notifier(app).committed = woken.append
    last = data.thread_events.last_event_id(thread_id)
    with pytest.raises(Exception, match="locked"):
        data.posting.add_reply(thread_id, "Too late")
    assert (data.thread_events.last_event_id(thread_id), woken) == (last, [])


def test_a_board_that_prunes_a_thread_tells_its_pages(make_app):
    data = In(make_app())
    oldest = new_thread(data)
    new_thread(data)
    data.posting.prune_board("astronomy", 1, 10**9)
    assert [event.kind for event in data.thread_events.events_after(oldest, 0)] == ["post", "thread-delete"]


def test_events_older_than_a_day_are_pruned_now_and_then(make_app, monkeypatch):
    app = make_app()
    data = In(app)
    thread_id = new_thread(data)
    with app.app_context():
        long_ago = datetime.now(timezone.utc) - timedelta(days=1, minutes=1)
        db.session.add(ThreadEvent(thread_id=thread_id, kind="lock", created_at=long_ago))
        db.session.commit()
    assert [e.kind for e in data.thread_events.events_after(thread_id, 0)] == ["post", "lock"]
    monkeypatch.setattr("chatsite.thread_events.PRUNE_EVENTS_EVERY", 1)  # this time
    data.posting.add_reply(thread_id, "Now")
    assert [e.kind for e in data.thread_events.events_after(thread_id, 0)] == ["post", "post"]


# --- the sockets ---------------------------------------------------------------------------


def test_a_socket_gets_each_change_at_once_and_the_end_of_the_thread(make_app, served):
    """post, delete, lock, unlock, move, thread-delete: each at once (QUICK) with a
    30 s poll (this process's notifier, or NOTIFY on PostgreSQL), then a 1000 close."""
    app = make_app(**SLOW_POLL)
    data = In(app)
    sockets = served(app)
    thread_id = new_thread(data)
    doomed = data.posting.add_reply(thread_id, "Soon deleted").id
    ws = sockets.open(thread_id, after=data.thread_events.last_event_id(thread_id))
    client = app.test_client()
    got = {}

    def change(name, act):
        started = time.monotonic()
        act()
        got[name] = kinds(receive(ws, 1, within=QUICK))
        got[name + " in time"] = time.monotonic() - started < QUICK

    change("reply over HTTP", lambda: reply(client, thread_id, "Over <HTTP>"))
    change("delete", lambda: data.moderation.delete_post(doomed, "milo"))
    change("lock", lambda: data.moderation.lock_thread(thread_id, True, "milo"))
    change("unlock", lambda: data.moderation.lock_thread(thread_id, False, "milo"))
    change("move", lambda: data.moderation.move_thread(thread_id, "chess", "milo"))
    change("thread-delete", lambda: data.moderation.delete_thread(thread_id, "milo"))
    ending = closed(ws)
    posted = [event.post_id for event in data.thread_events.events_after(thread_id, 0)][2]
    assert got == {
        "reply over HTTP": [{"type": "post", "id": posted}],
        "delete": [{"type": "delete", "id": doomed}],
        "lock": [{"type": "lock"}],
        "unlock": [{"type": "unlock"}],
        "move": [{"type": "move", "board": "chess"}],
        "thread-delete": [{"type": "thread-delete"}],
        **{f"{name} in time": True for name in ("reply over HTTP", "delete", "lock", "unlock", "move")},
        "thread-delete in time": True,
    }
    assert ending == (1000, "this thread has been deleted")


def test_the_live_post_is_the_article_of_the_reloaded_page(make_app, served):
    """For a visitor, byte for byte; a moderator's page has its Delete button next
    to the article, outside it, so the article is the same."""
    app = make_app()
    data = In(app)
    sockets = served(app)
    thread_id = new_thread(data)
    ws = sockets.open(thread_id, after=data.thread_events.last_event_id(thread_id))
    post_id = data.posting.add_reply(thread_id, "Rings & <moons>\nsecond line").id
    [message] = receive(ws)
    page = app.test_client().get(f"/threads/{thread_id}").get_data(as_text=True)
    assert message["html"] == article(page, post_id)
    assert "&lt;moons&gt;" in message["html"]


def test_after_replays_what_a_page_missed_in_order(make_app, served):
    app = make_app()
    data = In(app)
    sockets = served(app)
    thread_id = new_thread(data)
    page_made = data.thread_events.last_event_id(thread_id)
    first = data.posting.add_reply(thread_id, "One").id
    gone = data.posting.add_reply(thread_id, "Two").id
    data.moderation.delete_post(gone, "milo")  # its post event says nothing: the post is gone
    data.moderation.lock_thread(thread_id, True, "milo")

    replayed = receive(sockets.open(thread_id, after=page_made), 3)
    from_now = receive(sockets.open(thread_id), 1, within=0.3)
    bad = [receive(sockets.open(thread_id, after=after), 1, within=0.3) for after in ("x", "-1", "9" * 11)]
    assert kinds(replayed) == [
        {"type": "post", "id": first}, {"type": "delete", "id": gone}, {"type": "lock"}
    ]  # fmt: skip
    assert [m["event"] for m in replayed] == sorted(m["event"] for m in replayed)
    assert (from_now, bad) == ([], [[], [], []])


def test_an_unknown_thread_is_refused(make_app, served):
    app = make_app()
    sockets = served(app)
    assert closed(sockets.open(12345)) == (1008, "no such thread")
    for unknown in (0, 2**31):  # not an id at all: 404 before the upgrade
        with pytest.raises(ConnectionError) as refused:
            sockets.open(unknown)
        assert refused.value.status_code == 404


def test_past_the_cap_a_socket_is_closed_with_1013_and_a_closed_one_frees_its_place(make_app, served):
    """LIVE_SOCKETS_PER_WORKER=1: a second socket is refused; once the first page
    closes, its place is free at once (not after the 30 s poll)."""
    app = make_app(LIVE_SOCKETS_PER_WORKER=1, **SLOW_POLL)
    sockets = served(app)
    thread_id = new_thread(In(app))
    first = sockets.open(thread_id)
    wait_until(lambda: notifier(app).sockets == 1, within=2, what="the first socket")
    refused = closed(sockets.open(thread_id))
    first.close()
    wait_until(lambda: notifier(app).sockets == 0, within=QUICK, what="the closed socket to leave")
    third = sockets.open(thread_id)
    assert refused == (1013, "too many live connections, try again later")
    assert closed(third, within=0.3) is None  # open, and quiet


def test_what_a_page_sends_is_thrown_away_and_a_big_message_closes_the_socket(make_app, served):
    app = make_app()
    data = In(app)
    sockets = served(app)
    thread_id = new_thread(data)
    chatty = sockets.open(thread_id, after=data.thread_events.last_event_id(thread_id))
    chatty.send("hello?")
    time.sleep(0.2)
    post_id = data.posting.add_reply(thread_id, "Still works").id
    flood = sockets.open(thread_id)
    flood.send("x" * (websocket.MAX_INCOMING_MESSAGE + 1))
    assert [m["id"] for m in receive(chatty)] == [post_id]
    assert closed(flood) == (1009, "Message is too big")


def test_too_much_at_once_is_a_catch_up(make_app):
    """A socket's first look counts the events it is owed no further than
    LIVE_BACKLOG_LIMIT + 1 (count_events_after); a message larger than
    LIVE_MAX_MESSAGE_BYTES is a "catch-up" in its place (new_messages)."""
    app = make_app(LIVE_MAX_MESSAGE_BYTES=2000)
    data = In(app)
    thread_id = new_thread(data)
    start = data.thread_events.last_event_id(thread_id)
    for n in range(3):
        data.posting.add_reply(thread_id, f"Reply {n}")
    data.posting.add_reply(thread_id, "long " * 500)
    counted = [data.thread_events.count_events_after(thread_id, start, at_most) for at_most in (0, 2, 10)]
    with app.test_request_context(f"/threads/{thread_id}/live"):
        looked = live.new_messages(thread_id, start)
    assert (counted, [message["type"] for _, message, _ in looked]) == (
        [1, 3, 4], ["post", "post", "post", "catch-up"]
    )  # fmt: skip


def test_a_replay_says_nothing_of_what_is_gone_since(make_app):
    """A post deleted since its event, a move of a thread deleted since: the page
    hears only of the deletions (new_messages, as the socket calls it)."""
    app = make_app()
    data = In(app)
    thread_id = new_thread(data)
    start = data.thread_events.last_event_id(thread_id)
    data.posting.add_reply(thread_id, "Gone")
    data.moderation.move_thread(thread_id, "chess", "milo")
    data.moderation.delete_thread(thread_id, "milo")
    with app.test_request_context(f"/threads/{thread_id}/live"):
        looked = live.new_messages(thread_id, start)
    assert [(kind and kind["type"], text and json.loads(text)["type"]) for _, kind, text in looked] == [
        (None, None), (None, None), ("thread-delete", "thread-delete")
    ]  # fmt: skip
    events = data.thread_events.events_after(thread_id, start)
    assert [event_id for event_id, _, _ in looked] == [event.id for event in events]


@pytest.mark.parametrize(
    "trouble, closing, logged",
    [
        (OperationalError("SELECT", {}, Exception("server closed the connection")),
         (1013, "the database is busy, try again later"), "database unavailable"),
        (KeyError("a bug"), (1011, "something went wrong, try again later"), "failed"),
    ],
    ids=["database down", "a bug"],
)  # fmt: skip
def test_a_socket_that_fails_is_closed_and_logged(
    make_app, served, monkeypatch, caplog, trouble, closing, logged
):
    """Never Flask's error page written on the socket's connection: a close the page understands."""
    app = make_app()
    sockets = served(app)
    thread_id = new_thread(In(app))

    def fail(*args, **kwargs):
        raise trouble

    monkeypatch.setattr("chatsite.live.events_after", fail)
    ws = sockets.open(thread_id)
    assert closed(ws) == closing
    wait_until(lambda: notifier(app).sockets == 0, within=2, what="the socket to end")
    assert any(logged in record.getMessage() for record in caplog.records)


def test_closing_a_socket_that_is_closed_already_is_quiet():
    class Closed:
        def close(self, reason, message):
            raise ConnectionClosed(1006, "")

    websocket.close_quietly(Closed(), websocket.INTERNAL_ERROR, "too late")


def test_the_sockets_of_a_thread_share_one_look_at_the_database():
    """Feed: the sockets woken by the same news take what the first one's look found;
    a later notify, a socket further behind than the Feed, or its size make it look again."""
    feed = live_notifier.Feed()
    looked, newest = [], [3]

    def look(after):
        looked.append(after)
        # Events with an even id say nothing (a post deleted since): None, None.
        said = {i: ({"event": i}, str(i)) if i % 2 else (None, None) for i in range(after + 1, newest[0] + 1)}
        return [(i, *message) for i, message in said.items()]

    def ids(found):
        news, last = found
        return [text for _, text in news], last

    woken = time.monotonic()
    assert ids(feed.news(0, woken, look)) == (["1", "3"], 3)
    assert ids(feed.news(1, woken, look)) == (["3"], 3)  # the same news: no look
    assert ids(feed.news(7, woken, look)) == ([], 7)  # ahead of the Feed
    newest[0] = 6
    assert ids(feed.news(3, time.monotonic(), look)) == (["5"], 6)  # new news: from the newest seen
    assert looked == [0, 3]
    newest[0] = 250
    news, last = feed.news(6, time.monotonic(), look)
    assert (len(news), last, looked[-1]) == (122, 250, 6)
    assert ids(feed.news(160, woken, look))[0][:1] == ["161"]  # among the last 100 kept: no look
    assert looked == [0, 3, 6]
    assert ids(feed.news(100, woken, look))[0][:1] == ["101"] and looked[-1] == 100  # further behind: looks
    assert ids(feed.news(150, woken, look))[0][:1] == ["151"] and len(looked) == 4


def test_a_client_that_never_answers_the_close_keeps_its_connection(make_app):
    """hang_up() cuts the connection only once the other side has said goodbye."""

    class NeverAnswers:
        def join(self, timeout):
            self.waited = timeout

        def is_alive(self):
            return True

    class Untouchable:
        def shutdown(self, how):
            raise AssertionError("the connection was cut")

    ws = type("Socket", (), {"thread": NeverAnswers(), "sock": Untouchable()})()
    websocket.hang_up(ws)
    assert ws.thread.waited == 1


def test_sockets_are_pinged_and_not_compressed(make_app):
    app = make_app(LIVE_PING_INTERVAL=7)
    options = app.config["SOCK_SERVER_OPTIONS"]
    assert (options["ping_interval"], options["event_class"]) == (7, websocket.WakingEvent)
    environ = {"HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate; client_max_window_bits"}
    with app.test_request_context("/threads/1/live", environ_base=environ):
        websocket.without_compression()
        assert "HTTP_SEC_WEBSOCKET_EXTENSIONS" not in request.environ


def test_the_socket_cap_follows_the_worker_connections(make_app):
    assert make_app().config["LIVE_SOCKETS_PER_WORKER"] == 900
    assert make_app(WORKER_CONNECTIONS=2000).config["LIVE_SOCKETS_PER_WORKER"] == 1800
    assert make_app(LIVE_SOCKETS_PER_WORKER=5).config["LIVE_SOCKETS_PER_WORKER"] == 5
    assert live_sockets_per_worker(1) == 1


# --- the API's ?after= -------------------------------------------------------------------------


def test_after_answers_what_is_new_with_an_etag_and_304_when_nothing_is(make_app):
    app = make_app()
    data = In(app)
    client = app.test_client()
    thread_id = create_thread(client, body="Opening post")
    opening = data.thread_events.events_after(thread_id, 0)[0].post_id
    url = f"/api/threads/{thread_id}/posts?after={opening}"
    empty = client.get(url)
    etag = empty.headers["ETag"]
    same = client.get(url, headers={"If-None-Match": etag})
    new = data.posting.add_reply(thread_id, "New").id
    changed = client.get(url, headers={"If-None-Match": etag})
    answer = changed.get_json()
    assert (empty.status_code, empty.get_json()["posts"]) == (200, [])
    assert empty.headers["Cache-Control"] == "no-cache"
    assert (same.status_code, same.data, same.headers["ETag"]) == (304, b"", etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [post["id"] for post in answer["posts"]] == [new]
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert answer["posts"][0]["html"] == article(page, new)
    assert (answer["post_ids"], answer["locked"], answer["last_event"]) == (
        [opening, new], False, data.thread_events.last_event_id(thread_id)
    )  # fmt: skip


@pytest.mark.parametrize("query", ["after=-1", "after=x", "after=", "after=2147483648", "after=1&page=0"])
def test_a_bad_after_or_page_is_a_json_400(make_app, query):
    app = make_app()
    client = app.test_client()
    thread_id = create_thread(client)
    response = client.get(f"/api/threads/{thread_id}/posts?{query}")
    assert (response.status_code, response.get_json()["error"]["status"]) == (400, 400)


def test_after_on_an_unknown_thread_is_a_json_404(make_app):
    response = make_app().test_client().get("/api/threads/4242/posts?after=0")
    assert (response.status_code, response.get_json()["error"]["status"]) == (404, 404)


def test_the_thread_page_carries_what_live_js_needs(make_app):
    app = make_app()
    data = In(app)
    client = app.test_client()
    thread_id = new_thread(data)
    post_id = data.posting.add_reply(thread_id, "Hi").id
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    last_event = data.thread_events.last_event_id(thread_id)
    assert f'data-last-event="{last_event}" data-last-post="{post_id}"' in html
    assert '<script src="/static/live.js" defer></script>' in html
    empty = client.get(f"/threads/{data.posting.add_thread('astronomy', 'Title only', '').id}")
    assert 'data-last-event="0" data-last-post="0"' in empty.get_data(as_text=True)


# --- PostgreSQL: LISTEN/NOTIFY ------------------------------------------------------------------


@pytest.fixture
def pg_url(postgres_server):
    """A fresh, migrated PostgreSQL database (these tests need no SQLite run)."""
    url = fresh_postgres_url(postgres_server)
    yield url
    postgres_server.drop_database(database_name(url))


@pytest.fixture
def pg_apps(pg_url, upload_folder):
    """pg_apps(n): n app objects on one PostgreSQL database, as n worker processes
    (or machines) are, each with a 30 s poll."""
    made = []

    def make(count):
        for _ in range(count):
            settings = {"TESTING": True, "SECRET_KEY": "test", "UPLOAD_FOLDER": str(upload_folder)}
            made.append(create_app({**settings, "DATABASE_URL": pg_url, **FLOOD_LIMITS_OFF, **SLOW_POLL}))
        return made

    yield make
    for app in made:
        dispose(app)


def listeners(url):
    """The backend pids of the live listeners connected to the database at `url`."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT pid FROM pg_stat_activity WHERE application_name = :name AND datname = :db"
            values = {"name": live_listener.LISTENER_NAME, "db": database_name(url)}
            return connection.execute(text(query), values).all()
    finally:
        engine.dispose()


def test_each_process_listens_once_while_it_has_sockets(pg_apps, pg_url, served):
    """One LISTEN connection per process, not one per socket, and it ends with the
    last socket. (That a reply stored by another app reaches a socket through it
    at once is step 21's test, tests/test_21_serving.py, which runs here too.)"""
    first, second = pg_apps(2)
    sockets = served(first)
    thread_id = new_thread(In(second))
    for _ in range(3):
        sockets.open(thread_id)
    wait_until(lambda: notifier(first).listener.listening, within=5, what="the listener")
    assert len(listeners(pg_url)) == 1
    sockets.close_all()
    wait_until(lambda: not listeners(pg_url), within=5, what="the listener to stop with the last socket")


def test_the_listener_connects_again_when_its_connection_is_killed(pg_apps, pg_url, served, caplog):
    first, second = pg_apps(2)
    sockets = served(first)
    thread_id = new_thread(In(second))
    ws = sockets.open(thread_id)
    wait_until(lambda: notifier(first).listener.listening, within=5, what="the listener")
    [(pid,)] = listeners(pg_url)
    with caplog.at_level(logging.INFO, logger="chatsite.live"):
        engine = create_engine(pg_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        engine.dispose()
        wait_until(lambda: [row.pid for row in listeners(pg_url)] not in ([], [pid]), 10, "a new listener")
        wait_until(lambda: notifier(first).listener.listening, within=5, what="the LISTEN")
        started = time.monotonic()
        post_id = In(second).posting.add_reply(thread_id, "After the reconnection").id
        arrived = receive(ws, 1, within=5)
        took = time.monotonic() - started
    assert ([m["id"] for m in arrived], took < QUICK) == ([post_id], True), took
    log = [record.getMessage() for record in caplog.records if record.name == "chatsite.live"]
    assert any("lost the PostgreSQL LISTEN connection" in line for line in log), log
    assert any("listening to PostgreSQL again" in line for line in log), log


def test_a_notification_that_names_no_thread_is_ignored(pg_apps, pg_url, served):
    [app] = pg_apps(1)
    sockets = served(app)
    thread_id = new_thread(In(app))
    ws = sockets.open(thread_id)
    wait_until(lambda: notifier(app).listener.listening, within=5, what="the listener")
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_notify('chatsite_events', 'not a thread')"))
    engine.dispose()
    post_id = In(app).posting.add_reply(thread_id, "Still listening").id
    assert [m["id"] for m in receive(ws, 1, within=QUICK)] == [post_id]


def test_a_listener_that_cannot_connect_tries_again_while_sockets_are_open(pg_url, monkeypatch, caplog):
    """A database that does not answer: the listener logs it and tries again (0.5 s,
    1 s, 2 s... here much shorter), and stops once no socket is left."""
    engine = create_engine(pg_url.replace(pg_url.split("@")[1].split("/")[0], "127.0.0.1:1"))
    notifier_ = live_notifier.Notifier()
    wake_up = notifier_.join(7, limit=10)  # a socket is open
    listener = live_listener.Listener(engine, notifier_)
    monkeypatch.setattr(live_listener, "LISTENER_RETRY_FIRST", 0.01)
    tries = []

    def pause(seconds):
        tries.append(seconds)
        if len(tries) == 3:
            notifier_.leave(7, wake_up)  # the last socket closes

    listener.pause = pause
    listener.running = True
    with caplog.at_level(logging.INFO, logger="chatsite.live"):
        listener.run()  # here, not in a thread of its own: it returns once nobody needs it
    assert (tries, listener.running) == ([0.01, 0.02, 0.04], False)
    messages = [record.getMessage() for record in caplog.records]
    assert sum("connecting again" in message for message in messages) == 3
    assert "no socket is open" in messages[-1]
    engine.dispose()
