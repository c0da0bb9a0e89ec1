"""Live updates: new replies appear on an open thread page, with no reload.

The thread page (thread.html) loads static/live.js, which opens a WebSocket to
/threads/<id>/live. This module answers it, with flask-sock (simple-websocket
underneath): the socket sends the page each change of the thread as it
happens, as JSON, and the page puts it in place. Where a WebSocket cannot get
through, live.js asks the API instead (api.py, ?after=).

Where the news comes from, and how it travels:

1. Every change a reader should see writes a ThreadEvent row (models.py), in
   the same transaction as the change (thread_events.record_event). The database, not
   a process, is where the news lives: the site runs several worker processes
   (gunicorn), maybe on several machines, with one database.
2. After the COMMIT, the Notifier of the process that made the change wakes
   that process's sockets on the thread (db.after_commit).
3. Each socket (live_updates) then reads the thread's events after the last
   one it sent, in one quick indexed query, sends them, and waits again: until
   it is woken, or for LIVE_POLL_INTERVAL seconds at most. That timeout
   brings the events of other processes within about a second. (The sockets
   of one thread in one process share that query and the rendering of its
   messages: the first one woken runs it, the others take its results from
   the thread's Feed.)
4. On PostgreSQL the wait is cut short everywhere: record_event also runs
   pg_notify('chatsite_events', '<thread id>'), which PostgreSQL delivers on
   COMMIT to every connection that LISTENs to that channel. Each worker
   process has one such connection (Listener, below), which wakes that
   process's Notifier. So a reply reaches every open page at once, whichever
   process (or machine) stored it; the poll remains, as a safety net.

Why does the socket send each post's HTML, and not its text? The page is made
from the templates. The socket renders templates/_post.html, the very include
thread.html uses for each post, so a post that arrives live is exactly what a
reload shows, and nothing has to escape the text a second time in JavaScript.
It is the visitors' HTML, the same for every reader: a post that arrives live
has no moderator's Delete button, even on a moderator's page (that button sits
outside the include, in thread.html). A moderator reloads the page to act on it.

What a socket must never do:

- Hold a database connection (or transaction) while it waits. A socket waits
  for hours, and thousands may be open. Each look borrows a connection from
  the pool (db.session), runs one query, and gives the connection back
  (db.session.remove()) before it renders, sends or waits: about a
  millisecond. A new post wakes all of a thread's sockets at once: one of
  them looks (Feed), and at most CHECKS_AT_ONCE looks of a process (for as
  many threads) run at the same moment, the others queue for their turn. So
  50 sockets in each of 4 workers use at most 4 x 3 pooled connections
  between them (plus one LISTEN connection per worker on PostgreSQL),
  however many sockets there are.
- Let a slow reader hold up the others. Each socket has its own greenlet
  (gunicorn's gevent worker; a thread under `flask run`), and sends its own
  messages: a page that stops reading stalls its own socket, and nothing else.
- Trust the page. The number of sockets a process keeps is capped
  (LIVE_SOCKETS_PER_WORKER: past it the socket is closed with 1013, and the
  page polls the API instead); every socket is pinged each LIVE_PING_INTERVAL
  seconds and closed when the browser does not answer; what a page sends is
  thrown away, and a message of more than MAX_INCOMING_MESSAGE bytes closes it.
  A handshake that is not a proper WebSocket one is refused with 400 (or 426,
  for another version of the protocol), before the upgrade.
- Send too much at once. A page that comes back owed more than
  LIVE_BACKLOG_LIMIT events, or a message larger than LIVE_MAX_MESSAGE_BYTES
  (a post that quotes many others carries all their lists of replies), gets
  "catch-up" instead, and the socket closes: live.js loads the news from the
  API (?after=, in pages of 100 posts), then opens a new socket from there.
- Lose part of a message. simple-websocket writes each message with one
  send(), which under gevent may send only its first part: WholeWrites.

WebSockets have no same-origin rule: a page on any site may open this socket.
That is fine here, because it only tells what every visitor may read anyway.
A socket that acted for a logged-in user would have to check the Origin header
first (the CSRF problem, in another shape).

Under gunicorn's gevent worker, gevent has "monkey-patched" the threading
module before the app was loaded: threading.Thread starts a greenlet, and
threading.Lock and threading.Event block only the greenlet that waits on them.
So the same code runs under `flask run` (real threads) and under gunicorn
(greenlets). It would not if the app were loaded before the patching (gunicorn's
preload_app): these locks would then block the whole worker.
"""

import base64
import binascii
import json
import logging
import socket
import threading
import time

from flask import Blueprint, Response, current_app, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from sqlalchemy.exc import SQLAlchemyError
from wsproto.utilities import RemoteProtocolError  # wsproto: simple-websocket's protocol library

from chatsite.api import live_html
from chatsite.db import db
from chatsite.forms import id_or_zero
from chatsite.models import Thread
from chatsite.thread_events import (
    EVENTS_CHANNEL,
    count_events_after,
    event_recorded,
    events_after,
    last_event_id,
)

bp = Blueprint("live", __name__)

# The flask-sock extension; init_app() below sets it up for the app. The route
# is attached to this module's blueprint, which create_app() registers.
sock = Sock()

# How a socket is closed: the WebSocket protocol's codes, which the browser
# hands to live.js (event.code).
NORMAL_CLOSURE = 1000  # done: the thread has been deleted
POLICY_VIOLATION = 1008  # this request cannot be served: no such thread
INTERNAL_ERROR = 1011  # a bug: logged
TRY_AGAIN_LATER = 1013  # this worker is full, or the database busy: live.js polls the API instead
TOO_MANY_SOCKETS = "too many live connections, try again later"
# What the socket says instead of too much news at once (LIVE_BACKLOG_LIMIT,
# LIVE_MAX_MESSAGE_BYTES): live.js then loads it over HTTP, from the API.
CATCH_UP = {"type": "catch-up"}
CATCHING_UP = "too much at once: load it over HTTP"

# The only version of the WebSocket protocol there is (RFC 6455), as browsers
# send it in the handshake's Sec-WebSocket-Version header.
WEBSOCKET_VERSION = "13"

# The page never sends anything. A larger message than this closes the socket
# (1009) instead of filling the server's memory.
MAX_INCOMING_MESSAGE = 1024

# How many looks at the database a process's sockets may run at the same moment
# (new_messages): fewer than the connection pool holds (SQLAlchemy's default:
# 5), so that the pages and forms always find a connection there too.
CHECKS_AT_ONCE = 3

# The PostgreSQL listener (Listener below): how often it looks up from its
# connection to see whether any socket is still open, and how long it waits
# before connecting again after losing its connection (doubling each time, up
# to the maximum). Meanwhile the sockets still check every LIVE_POLL_INTERVAL.
LISTENER_IDLE_CHECK = 1.0
LISTENER_RETRY_FIRST = 0.5
LISTENER_RETRY_MAX = 30.0
# How the listener's connection shows in PostgreSQL's pg_stat_activity.
LISTENER_NAME = "chatsite live listener"

logger = logging.getLogger(__name__)


def init_app(app):
    """Give the app live updates: flask-sock, its socket options, this process's
    Notifier and, on PostgreSQL, its Listener (started with the first socket)."""
    sock.init_app(app)
    # flask-sock hands these to simple-websocket's Server, for each new socket.
    # ping_interval: a "ping" every so many seconds; the socket is closed if the
    # browser has not answered the previous one. event_class: see WakingEvent.
    options = {"ping_interval": app.config["LIVE_PING_INTERVAL"], "max_message_size": MAX_INCOMING_MESSAGE}
    options.update(app.config.get("SOCK_SERVER_OPTIONS", {}))
    options["event_class"] = WakingEvent
    app.config["SOCK_SERVER_OPTIONS"] = options
    notifier = Notifier()
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        notifier.listener = Listener(engine, notifier)
    app.extensions["live"] = notifier
    # thread_events.py sends this signal after each COMMIT of an event of this app.
    event_recorded.connect(wake_sockets, sender=app)


def wake_sockets(app, thread_id):
    """An event of `thread_id` has just been committed in this process: tell the Notifier."""
    app.extensions["live"].committed(thread_id)


class Notifier:
    """Wakes the sockets of this process that watch a thread.

    Each open socket has its own threading.Event: a flag that anyone may set,
    and that the socket's greenlet (or thread) waits for, with a timeout. Why
    one Event per socket, rather than one threading.Condition for all?

    - A Condition wakes only those waiting on it at that very moment. A socket
      busy sending the last post when the next one is committed would miss its
      wake-up and sleep a whole LIVE_POLL_INTERVAL. An Event stays set until
      its own socket clears it (just before it looks): no wake-up is lost.
    - notify(7) sets the Events of thread 7's sockets only; a Condition's
      notify_all() would wake every socket of every thread, each to look and
      find nothing.

    The sockets of one thread share a Feed (below). The Notifier also counts
    the open sockets (LIVE_SOCKETS_PER_WORKER), and starts and stops the
    PostgreSQL Listener: it runs while this process has sockets.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._feeds = {}  # {thread id: the Feed of this process's sockets on that thread}
        self._count = 0
        self.listener = None  # a Listener on PostgreSQL
        # How many Feeds may look at the database at once (new_messages).
        self.checks = threading.BoundedSemaphore(CHECKS_AT_ONCE)

    def join(self, thread_id, limit):
        """(a new Event, the thread's Feed) for a socket that watches `thread_id`;
        None if `limit` sockets are open already (the caller closes the socket)."""
        with self._lock:
            if self._count >= limit:
                return None
            wake_up = threading.Event()
            feed = self._feeds.setdefault(thread_id, Feed())
            feed.sockets.add(wake_up)
            self._count += 1
            if self.listener is not None:
                self.listener.start()
            return wake_up, feed

    def leave(self, thread_id, wake_up):
        """The socket of `wake_up` is done: forget it (and the thread's Feed with
        the last of its sockets)."""
        with self._lock:
            feed = self._feeds[thread_id]
            feed.sockets.discard(wake_up)
            if not feed.sockets:
                del self._feeds[thread_id]
            self._count -= 1

    def notify(self, thread_id):
        """Wake every socket of this process that watches `thread_id`."""
        with self._lock:
            feed = self._feeds.get(thread_id)
            if feed is not None:
                feed.wake()

    def committed(self, thread_id):
        """This process has just committed an event of `thread_id` (thread_events.record_event,
        after the COMMIT). Its sockets are woken now, unless the Listener is
        listening: it hears this commit's NOTIFY a moment later, as every
        process does, and one wake-up per change is enough."""
        if self.listener is None or not self.listener.listening:
            self.notify(thread_id)

    def notify_all(self):
        """Wake every socket of this process: each looks once for news."""
        with self._lock:
            for feed in self._feeds.values():
                feed.wake()

    @property
    def sockets(self):
        """How many sockets this process has open."""
        return self._count

    def release(self, listener):
        """For the Listener: True (and it must stop) if no socket is left. Under the
        same lock as join(), so that a socket that opens meanwhile starts it again."""
        with self._lock:
            if self._count:
                return False
            listener.running = False
            return True


class Feed:
    """The latest events of one thread, shared by this process's sockets on it.

    A new post wakes every socket of its thread at once. If each of them looked
    at the database, 500 readers of a busy thread would cost 500 queries and
    500 renderings of the same post, in each worker, for each post. Instead,
    the first socket to look runs the query and renders the messages, and
    keeps them here (the newest KEEP); the others, woken by the same news, wait
    for it (the lock) and take their messages from here. Each socket still
    sends its own, and remembers the last event it sent.

    When may a socket take the messages here rather than look itself? When the
    newest look started after the news that woke it: after the notify that
    set its Event (woken_at; a notify comes after its COMMIT, so that look saw
    the change), or after its own poll interval ran out. And when the Feed
    holds every event after the last one the socket sent (a socket opened with
    an old ?after= looks for itself, and the Feed starts again from there).
    """

    # How many of the thread's latest events a Feed keeps.
    KEEP = 100

    def __init__(self):
        self.sockets = set()  # the Events of the sockets that share it (the Notifier's lock guards it)
        self.woken_at = float("-inf")  # when the latest notify for this thread came (time.monotonic())
        self._lock = threading.Lock()  # one look at a time; the others wait for it
        self._looked_at = float("-inf")  # when the latest look started
        self._base = None  # the Feed holds every event after this id...
        self._newest = None  # ...up to this one: [(event id, message or None, its JSON)]
        self._events = []

    def wake(self):
        """Wake every socket of the thread (called under the Notifier's lock)."""
        self.woken_at = time.monotonic()
        for wake_up in self.sockets:
            wake_up.set()

    def news(self, last_sent, since, look):
        """The messages (with their JSON) of the events after `last_sent`, as a look
        at the database that started at `since` or later saw them; and the newest
        event id seen. `look(after)` looks: [(event id, message or None, JSON)]."""
        with self._lock:
            holds = self._base is not None and self._base <= last_sent
            if not holds or self._looked_at < since:
                started = time.monotonic()
                found = look(self._newest if holds else last_sent)
                if holds:
                    self._events += found
                else:
                    self._base, self._newest, self._events = last_sent, last_sent, found
                if found:
                    self._newest = found[-1][0]
                self._looked_at = started
            news = [(message, text) for event, message, text in self._events if event > last_sent and message]
            newest = max(last_sent, self._newest)
            if len(self._events) > self.KEEP:  # only now: `news` may have needed the oldest
                self._base = self._events[-self.KEEP - 1][0]
                del self._events[: -self.KEEP]
        return news, newest


class WakingEvent(threading.Event):
    """The Event simple-websocket sets when a message arrives or the connection
    closes (SOCK_SERVER_OPTIONS' event_class), which also sets `also`: the
    socket's own Event from the Notifier. So a socket whose page has gone stops
    waiting at once, and gives back its place, instead of noticing at its next look."""

    also = None

    def set(self):
        super().set()
        if self.also is not None:
            self.also.set()


@bp.before_request
def without_compression():
    """Take the browser's offer of compression (permessage-deflate) off the request,
    before flask-sock hands it to simple-websocket, which would accept it.

    Compressing a socket's messages keeps a zlib compressor for as long as the
    socket is open, about 100 kB of memory each (measured: ~150 kB a socket with
    it, ~50 kB without, in a gunicorn worker). The messages are a post's HTML,
    a few hundred bytes, which compression would hardly shrink.
    """
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


@bp.before_request
def refuse_bad_handshakes():
    """Refuse a request that is not a proper WebSocket handshake, before the upgrade.

    Werkzeug only sends this blueprint's route requests with "Upgrade:
    websocket" and "Connection: Upgrade" (anything else gets a 400 page).
    simple-websocket (wsproto, underneath) checks the rest when it answers,
    and raises on what it cannot answer: that would be a 500. RFC 6455 says
    what to answer instead (sections 4.2.1 and 4.4).
    """
    version = request.headers.get("Sec-WebSocket-Version")
    if version is None:
        return bad_handshake("Sec-WebSocket-Version is missing.")
    if version.strip() != WEBSOCKET_VERSION:
        # 426 Upgrade Required, and the version this server speaks: a client
        # that knows several may try again with that one.
        answer = bad_handshake("This server speaks WebSocket version 13 only.", 426)
        answer.headers["Sec-WebSocket-Version"] = WEBSOCKET_VERSION
        return answer
    # The key: 16 random bytes in base64, which the server's answer must prove
    # it has read (wsproto does not check that it is one).
    try:
        key = base64.b64decode(request.headers.get("Sec-WebSocket-Key", ""), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 16:
        return bad_handshake("Sec-WebSocket-Key must be 16 bytes in base64.")
    return None


@bp.errorhandler(RemoteProtocolError)
@bp.errorhandler(UnicodeError)
def refuse_what_wsproto_refuses(error):
    """Anything else wsproto cannot answer in the handshake (a Transfer-Encoding it
    does not know, a Host that is no domain name: it decodes it as one, and
    UnicodeError is what fails) is a bad request too, not a 500."""
    return bad_handshake("This is not a WebSocket handshake this server can answer.")


def bad_handshake(reason, status=400):
    """A short plain-text answer for a WebSocket client: it is not a page a reader sees."""
    return Response(reason + "\n", status, mimetype="text/plain")


@bp.before_request
def whole_writes():
    """Give simple-websocket a connection whose send() always sends all it is given.

    simple-websocket sends each message with one sock.send(). A socket's send()
    may send only the first part of the bytes, and say how many (the reader, or
    the network, is slower than the server): the rest of the message would be
    lost, and the browser would read the next message's bytes in its place
    (code 1007 or "Invalid frame header"). Under gunicorn's gevent worker,
    whose sockets never block, it happens to large messages. sendall() sends
    everything, waiting as long as it takes. So the connection the server puts
    in the request (environ) is wrapped, before flask-sock hands it on.
    """
    for name in ("werkzeug.socket", "gunicorn.socket"):
        if name in request.environ:
            request.environ[name] = WholeWrites(request.environ[name])


class WholeWrites:
    """A network connection whose send() is sendall(), one at a time; the rest is
    the connection's own.

    One at a time: simple-websocket's own thread sends too (pings, the answer to
    a close). While sendall() waits for a slow reader, a ping sent meanwhile
    would land inside the message. The lock makes it wait for the message's end.
    """

    def __init__(self, connection):
        self.connection = connection
        self.lock = threading.Lock()

    def send(self, data):
        with self.lock:
            self.connection.sendall(data)
        return len(data)

    def __getattr__(self, name):
        # recv, close, shutdown, fileno...: those of the connection itself.
        return getattr(self.connection, name)


@sock.route("/threads/<id:thread_id>/live", bp=bp)
def live_updates(ws, thread_id):
    """The WebSocket of one thread page: send the thread's events as they happen.

    ?after=<event id> (the page's data-last-event): first every event after
    that one, then each new one. Without it (or with anything but an event
    id), only the events from now on.

    This "request" lasts as long as the page is open, and Flask keeps its
    request context all that time. The database session (db.session) belongs
    to it: every look at the database ends with db.session.remove(), which
    gives the connection back to the pool; the next look borrows one again.
    """
    try:
        watch_thread(ws, thread_id)
    except (ConnectionClosed, OSError):
        pass  # the reader left (closed the tab, lost the network)
    except SQLAlchemyError as error:
        # The database is down or too busy: the page polls the API meanwhile,
        # and opens a socket again later (live.js).
        current_app.logger.warning("Live updates: socket of thread %s closed, database unavailable: %s",
                                   thread_id, error)  # fmt: skip
        close_quietly(ws, TRY_AGAIN_LATER, "the database is busy, try again later")
    except Exception:
        # A bug. Flask's error page must not be written on the socket's
        # connection (under gunicorn it would be): log it, and close properly.
        current_app.logger.exception("Live updates: socket of thread %s failed", thread_id)
        close_quietly(ws, INTERNAL_ERROR, "something went wrong, try again later")
    finally:
        db.session.remove()
        hang_up(ws)


def close_quietly(ws, code, reason):
    """Close the socket, unless it is closed already."""
    try:
        ws.close(reason=code, message=reason)
    except (ConnectionClosed, OSError):
        pass


def watch_thread(ws, thread_id):
    """Check the thread and the limit, then send the thread's events until the socket closes."""
    backlog_limit = current_app.config["LIVE_BACKLOG_LIMIT"]
    try:
        found = db.session.get(Thread, thread_id) is not None
        last_sent = starting_point(thread_id) if found else 0
        owed = count_events_after(thread_id, last_sent, backlog_limit) if found else 0
    finally:
        db.session.remove()
    if not found:
        ws.close(reason=POLICY_VIOLATION, message="no such thread")
        return
    if owed > backlog_limit:
        # A page that comes back after a long time: the API sends it all, in pages.
        ws.send(json.dumps(CATCH_UP))
        ws.close(reason=NORMAL_CLOSURE, message=CATCHING_UP)
        return
    notifier = current_app.extensions["live"]
    seat = notifier.join(thread_id, limit=current_app.config["LIVE_SOCKETS_PER_WORKER"])
    if seat is None:
        # Each open socket holds a greenlet and memory for as long as the page is
        # open. Past the limit, the page is told to poll the API instead.
        ws.close(reason=TRY_AGAIN_LATER, message=TOO_MANY_SOCKETS)
        return
    wake_up, feed = seat
    ws.event.also = wake_up  # a message or the close wakes the socket too (WakingEvent)
    try:
        send_events(ws, thread_id, last_sent, wake_up, feed)
    finally:
        notifier.leave(thread_id, wake_up)


def starting_point(thread_id):
    """The event id to send the events after: ?after=, or else the thread's newest event."""
    after = id_or_zero(request.args.get("after", ""))
    if after is None:
        return last_event_id(thread_id)
    return after


def send_events(ws, thread_id, last_sent, wake_up, feed):
    """Send the thread's new events, then wait; again and again, until the socket closes.

    The Event is cleared *before* the socket looks (at the connection, then at
    the database, or at the Feed). A commit, or a close, that comes after that
    sets it again, and the wait that follows returns at once: nothing slips
    through between looking and waiting.
    """
    poll_interval = current_app.config["LIVE_POLL_INTERVAL"]
    since = time.monotonic()  # a look from before this socket opened will not do

    def look(after):
        return new_messages(thread_id, after)

    while True:
        wake_up.clear()
        if not ws.connected:
            return
        messages, last_sent = feed.news(last_sent, since, look)
        for message, text in messages:
            ws.send(text)
            if message["type"] == "thread-delete":
                ws.close(reason=NORMAL_CLOSURE, message="this thread has been deleted")
                return
            if message["type"] == "catch-up":
                ws.close(reason=NORMAL_CLOSURE, message=CATCHING_UP)
                return
        throw_away_incoming(ws)
        if wake_up.wait(timeout=poll_interval):
            since = feed.woken_at  # a look since the news that woke it (or since an earlier one)
        else:
            since = time.monotonic()  # the poll: a look from now on


def new_messages(thread_id, last_sent):
    """[(event id, message or None, its JSON)] for the thread's events after
    `last_sent`, oldest first (None: an event that says nothing any more).

    One query (thread_events.events_after), on a connection borrowed from the pool and
    given back at once, before anything is rendered or sent. At most
    CHECKS_AT_ONCE looks of this process run at the same moment: when posts
    wake the sockets of 50 threads, their Feeds take turns (a millisecond
    each) for the pool's connections instead of asking it for 50. Past its
    size, the pool would open a new database connection for each and close it
    after: on PostgreSQL, a new server process each time.
    """
    with current_app.extensions["live"].checks:
        try:
            events = events_after(thread_id, last_sent)
        finally:
            db.session.remove()
    return [(event.id, *message_of(event)) for event in events]


def message_of(event):
    """(the message of an event, its JSON), or (None, None) for one that says nothing.
    A message larger than LIVE_MAX_MESSAGE_BYTES is CATCH_UP instead: the page
    loads that post from the API."""
    message = {"type": event.kind, "event": event.id}
    if event.kind == "post":
        post = event.post
        if post is None:
            return None, None  # deleted since: its "delete" event comes next, so say nothing
        message["id"] = post.id
        # The visitor's HTML of the post: the very include thread.html uses; and
        # the new backlinks lines of the posts of this thread it quotes.
        message.update(live_html(post))
    elif event.kind == "delete":
        message["id"] = event.post_id
    elif event.kind == "move":
        if event.board is None:
            return None, None  # the thread is gone: its "thread-delete" comes next
        message["board"] = event.board
    text = json.dumps(message)
    # json.dumps writes ASCII only (\u escapes): its length is its size in bytes.
    if len(text) > current_app.config["LIVE_MAX_MESSAGE_BYTES"]:
        return CATCH_UP, json.dumps(CATCH_UP)
    return message, text


def throw_away_incoming(ws):
    """The page never sends anything: whatever arrives anyway is read and dropped."""
    while ws.receive(timeout=0) is not None:
        pass


def hang_up(ws):
    """End the network connection under a socket that is done.

    Werkzeug's development server (`flask run`) does not know that this
    request became a WebSocket: when the view returns, it writes an ordinary
    HTTP answer on the same connection, which a browser reads as a broken
    WebSocket message (code 1006 instead of ours). So the connection is shut
    first, and Werkzeug's answer goes nowhere. Under gunicorn, flask-sock
    writes nothing after the socket, and this changes nothing.

    Only once the other side is done, though: after our "close", a browser
    answers with a "close" of its own, and simple-websocket's reading thread
    (ws.thread) stops. This waits up to a second for it; a client that has not
    answered by then is left alone (cutting it off could lose what it has not
    read yet).
    """
    ws.thread.join(timeout=1)
    if ws.thread.is_alive():
        return
    try:
        ws.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the connection is gone already


class Listener:
    """PostgreSQL only: one LISTEN connection per worker process, which wakes
    this process's sockets when any process (on any machine) commits an event.

    - Started by the first socket this process opens (Notifier.join), in a
      thread of its own (a greenlet under gunicorn's gevent worker); it stops,
      and closes its connection, once no socket is left. A process that
      serves no live page has no listener.
    - Its own connection, outside the pool, in autocommit mode: LISTEN
      counts from the moment it runs, and a notification is delivered only
      between transactions, so a connection that sat in one would hear nothing.
    - conn.notifies() yields each notification as it arrives. psycopg 3 waits
      for them cooperatively under gevent (it notices the monkey-patching).
    - The notification says which thread (its payload): the Notifier wakes
      that thread's sockets, and they read the events from the table as
      always. The table is still the only source of truth: a lost
      notification only means that the poll brings the event a second later.
    - If the connection drops (the database restarts, an administrator ends
      it), the loss is logged and it connects again, after 0.5 s, then 1, 2,
      4... up to 30 s. Meanwhile the sockets still look every
      LIVE_POLL_INTERVAL. Once listening again, it wakes every socket once,
      for what was announced while nobody listened.
    """

    def __init__(self, engine, notifier):
        self.notifier = notifier
        # The arguments SQLAlchemy itself would give psycopg.connect() for this
        # database (host, port, user, password, dbname...).
        self._connect_args = engine.dialect.create_connect_args(engine.url)
        self.running = False  # started, and not stopped
        self.listening = False  # ...and its LISTEN is in place

    def start(self):
        """Start listening, unless it is already. Called under the Notifier's lock."""
        if self.running:
            return
        self.running = True
        threading.Thread(target=self.run, name="chatsite-live-listener", daemon=True).start()

    def run(self):
        failures = 0
        while True:
            try:
                self.listen(again=failures > 0)
                return  # no socket left
            except Exception as error:  # psycopg.Error: lost or refused; anything else: a bug, logged too
                failures += 1
                delay = min(LISTENER_RETRY_MAX, LISTENER_RETRY_FIRST * 2 ** (failures - 1))
                if self.notifier.release(self):
                    logger.info("Live updates: the LISTEN connection ended (%s); no socket is open.", error)
                    return
                logger.warning(
                    "Live updates: lost the PostgreSQL LISTEN connection (%s); connecting again in %.1f s. "
                    "Meanwhile each socket checks every LIVE_POLL_INTERVAL seconds.",
                    error,
                    delay,
                )
                self.pause(delay)

    def pause(self, seconds):
        """Wait before connecting again."""
        time.sleep(seconds)

    def listen(self, again=False):
        """Listen until no socket is left; raise if the connection fails.
        `again`: after a failure (it says so in the log)."""
        import psycopg

        args, kwargs = self._connect_args
        options = {**kwargs, "autocommit": True, "application_name": LISTENER_NAME}
        with psycopg.connect(*args, **options) as connection:
            connection.execute(f"LISTEN {EVENTS_CHANNEL}")
            if again:
                logger.warning("Live updates: listening to PostgreSQL again.")
            self.listening = True
            try:
                self.notifier.notify_all()  # what was announced while nobody listened
                while True:
                    for notification in connection.notifies(timeout=LISTENER_IDLE_CHECK):
                        if notification.payload.isdigit():
                            self.notifier.notify(int(notification.payload))
                    if self.notifier.release(self):
                        return
            finally:
                self.listening = False
