"""Live updates: new replies appear on an open thread page, with no reload.

Why WebSockets? In HTTP the browser asks and the server answers: the server
can never speak first. A page that wants to know about new replies would have
to ask again and again ("polling"), and almost every answer would be "nothing
new". A WebSocket is a connection that the page opens once, with an ordinary
HTTP request that asks to "upgrade", and then keeps open: from then on either
side may send a message at any moment. So the server tells the page about a
reply the moment it is stored. flask-sock gives Flask such routes
(`sock.route`), and simple-websocket, underneath it, speaks the protocol.

How the pieces fit together:

1. Every change a reader should see writes an event row (thread_events in
   schema.sql, store.record_event), in the same transaction as the change.
   The database, not this process, is where the news lives: a site that runs
   several server processes has one database and many memories.
2. After the COMMIT, the view that made the change calls notify_thread(): it
   wakes the sockets of this server process that watch that thread.
3. Each socket (live_updates below) reads the thread's events after the last
   one it sent, sends them to its page as JSON, and waits again: until it is
   woken, or for LIVE_POLL_INTERVAL seconds at most. That timeout is what
   brings the events written by *other* processes, whose notify_thread()
   cannot reach this one: they arrive within about a second.
4. static/live.js, on the page, puts each new post in place.

Why does the server send the post's HTML, and not only its text? The page is
made from the templates. If live.js built posts out of JSON, the site would
have two copies of "what a post looks like" (one in Jinja, one in JavaScript)
that would drift apart, and the JavaScript one would have to escape every
post's text itself. The server renders the same templates/_post.html that the
thread page includes for each post: a live post is exactly what a reload shows.
It is the visitors' HTML, the same for every reader: a post that arrives live
has no Delete button, even on a moderator's page (a moderator reloads to act).

Step 18: the post arrives formatted (its quote links, formatting.py), and a
reply that quotes older posts of the thread changes those posts too: their
lists of replies grow. So a "post" message also carries, for each of them,
its new list (backlink_updates below), and live.js swaps it in.

Three things a socket must never do:

- Hold a database transaction (or connection) while it waits: it waits for
  minutes, hours, and thousands of pages may be open. It opens a connection,
  runs one quick query, closes it, and only then waits.
- Trust the page to be polite: the number of sockets one process keeps open is
  capped (LIVE_SOCKETS_PER_WORKER), each open socket is pinged every
  LIVE_PING_INTERVAL seconds (a browser that has gone without closing its
  socket does not answer, and the socket is closed), and whatever a page sends
  is thrown away. A handshake that is not a proper WebSocket one is refused
  with 400 (or 426, for another version of the protocol), before the upgrade.
- Send too much at once. More than LIVE_BACKLOG_LIMIT events waiting (a page
  that comes back with an old ?after=), or one message larger than
  LIVE_MAX_MESSAGE_BYTES, are not sent: the socket says "catch-up" and closes,
  and live.js loads what it missed from the API (?after=), in pages of 100
  posts, then opens a new socket from there.

WebSockets have no same-origin rule: a page on any site may open this socket.
That is fine here, because it only tells what every visitor may read anyway.
A socket that acted for a logged-in user would have to check the request's
Origin header first (the CSRF problem of step 12, in another shape).
"""

import base64
import binascii
import json
import socket
import threading

from flask import Blueprint, Response, current_app, render_template, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.utilities import RemoteProtocolError  # wsproto: simple-websocket's protocol library

from .db import close_db
from .forms import whole_number
from .store import get_store

bp = Blueprint("live", __name__)

# The flask-sock extension. create_app() calls init_app(app) below, and the
# route is attached to this module's blueprint (sock.route(..., bp=bp)), which
# create_app() registers with the others.
sock = Sock()

# How a socket is closed: the standard codes of the WebSocket protocol, which
# the browser hands to live.js (event.code) with the message.
NORMAL_CLOSURE = 1000  # done: here, the thread has been deleted
POLICY_VIOLATION = 1008  # "this request cannot be served": no such thread
TRY_AGAIN_LATER = 1013  # the server is full for now: live.js polls the API instead
TOO_MANY_SOCKETS = "too many live connections, try again later"
# What the socket says instead of too much news at once (LIVE_BACKLOG_LIMIT,
# LIVE_MAX_MESSAGE_BYTES): live.js then loads it over HTTP, from the API.
CATCH_UP = {"type": "catch-up"}

# The only version of the WebSocket protocol there is (RFC 6455), as browsers
# send it in the handshake's Sec-WebSocket-Version header.
WEBSOCKET_VERSION = "13"


def init_app(app):
    """Give the app live updates: flask-sock, the ping setting, and this process's notifier."""
    sock.init_app(app)
    # flask-sock hands SOCK_SERVER_OPTIONS to simple-websocket's Server for each
    # new socket. ping_interval: send a "ping" every so many seconds, and close
    # the socket if the browser has not answered the previous one.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"ping_interval": app.config["LIVE_PING_INTERVAL"]})
    app.extensions["live"] = Notifier()


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
    may send only the first part of the bytes, and say how many (the network, or
    the reader, is slower than the server): the rest of the message would be
    lost, and the browser would read the next message's bytes in its place
    ("Invalid frame header", code 1007). It happens for large messages under
    gunicorn's gevent worker, whose sockets never block. sendall() sends
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


class Notifier:
    """Wakes the sockets of this server process that watch a thread.

    Each open socket has its own threading.Event: a flag that any thread can
    set and that the socket's thread waits for (with a timeout). Why one Event
    per socket, and not one threading.Condition shared by all?

    - A Condition only wakes the threads that are waiting on it at that very
      moment. A socket that is busy sending the last post when the next one is
      committed would miss its wake-up, and sleep a full LIVE_POLL_INTERVAL.
      An Event stays set until its own socket clears it: no wake-up is lost.
    - notify(7) sets the Events of thread 7's sockets only. A Condition's
      notify_all() would wake every socket of every thread, each to run a query
      and find nothing new.

    The notifier also counts the open sockets, for LIVE_SOCKETS_PER_WORKER.
    One lock guards the dictionary: the view of a reply and hundreds of
    sockets use it at the same time, from their own threads.
    """

    def __init__(self):
        self._lock = threading.Lock()
        # {thread id: the set of Events of the sockets watching that thread}
        self._sockets = {}
        self._count = 0

    def join(self, thread_id, limit):
        """A new Event for a socket that watches `thread_id`; None if `limit`
        sockets are open already (the caller must then close the socket)."""
        with self._lock:
            if self._count >= limit:
                return None
            wake_up = threading.Event()
            self._sockets.setdefault(thread_id, set()).add(wake_up)
            self._count += 1
            return wake_up

    def leave(self, thread_id, wake_up):
        """The socket of `wake_up` has closed: forget it."""
        with self._lock:
            watching = self._sockets[thread_id]
            watching.discard(wake_up)
            if not watching:
                del self._sockets[thread_id]
            self._count -= 1

    def notify(self, thread_id):
        """Wake every socket that watches `thread_id`."""
        with self._lock:
            for wake_up in self._sockets.get(thread_id, ()):
                wake_up.set()


def notify_thread(thread_id):
    """Tell this process's sockets on `thread_id` that the thread has a new event.

    Call it AFTER the transaction that wrote the event has committed: a socket
    woken before the COMMIT would look, find nothing yet, and go back to sleep.
    Forgetting to call it is not a disaster, only slower: the sockets look
    every LIVE_POLL_INTERVAL seconds anyway.
    """
    current_app.extensions["live"].notify(thread_id)


@sock.route("/threads/<int:thread_id>/live", bp=bp)
def live_updates(ws, thread_id):
    """The WebSocket of one thread page: send the thread's events as they happen.

    ?after=<event id> (the page's data-last-event): first every event after
    that one, then each new one. Without it (or with anything but a number),
    only the events from now on.

    This "request" lasts as long as the page is open. Flask keeps its request
    context, and ``g`` with it, all that time, so the connection get_db() puts
    on ``g`` would stay open for hours: close_db() closes it after each look
    (the next get_db() opens a fresh one). The first close_db() also closes the
    connection that accounts.py opened before the view, to load g.user.
    """
    try:
        watch_thread(ws, thread_id)
    except (ConnectionClosed, OSError):
        pass  # the reader left (closed the tab, lost the network)
    finally:
        hang_up(ws)


def watch_thread(ws, thread_id):
    """Check the thread and the limit, then send the thread's events until the socket closes."""
    try:
        thread = get_store().find_thread(thread_id)
        last_sent = starting_point(thread_id) if thread else 0
    finally:
        close_db()
    if thread is None:
        ws.close(reason=POLICY_VIOLATION, message="no such thread")
        return
    notifier = current_app.extensions["live"]
    wake_up = notifier.join(thread_id, limit=current_app.config["LIVE_SOCKETS_PER_WORKER"])
    if wake_up is None:
        # Each open socket holds one of this process's threads for as long as
        # the page is open. Past the limit, the page is told to poll instead.
        ws.close(reason=TRY_AGAIN_LATER, message=TOO_MANY_SOCKETS)
        return
    try:
        send_events(ws, thread_id, last_sent, wake_up)
    finally:
        notifier.leave(thread_id, wake_up)


def starting_point(thread_id):
    """The event id to send the events after: ?after=, or else the thread's newest event."""
    after = whole_number(request.args.get("after", ""))
    if after is None:
        return get_store().last_event_id(thread_id)
    return after


def send_events(ws, thread_id, last_sent, wake_up):
    """Send the thread's new events, then wait; again and again, until the socket closes.

    The Event is cleared *before* the database is read. A commit that lands
    after the read sets it again, so the wait that follows returns at once:
    nothing slips through between reading and waiting.
    """
    poll_interval = current_app.config["LIVE_POLL_INTERVAL"]
    while ws.connected:
        wake_up.clear()
        messages, last_sent = new_messages(thread_id, last_sent)
        for message in messages:
            ws.send(json.dumps(message))
            if message["type"] == "thread-delete":
                ws.close(reason=NORMAL_CLOSURE, message="this thread has been deleted")
                return
            if message["type"] == "catch-up":
                ws.close(reason=NORMAL_CLOSURE, message="too much at once: load it over HTTP")
                return
        throw_away_incoming(ws)
        wake_up.wait(timeout=poll_interval)


def new_messages(thread_id, last_sent):
    """The messages for the thread's events after `last_sent`, and the id of the
    newest event read. One short look at the database: its connection is closed
    before this returns, so that nothing is held while the socket waits.

    Too much news at once is only CATCH_UP: more than LIVE_BACKLOG_LIMIT events
    (a page that comes back after a long time), or one message larger than
    LIVE_MAX_MESSAGE_BYTES. The page loads those from the API instead, in
    pages, as HTTP answers that take as long as they take."""
    store = get_store()
    messages = []
    try:
        events = store.events_after(thread_id, last_sent)
        if len(events) > current_app.config["LIVE_BACKLOG_LIMIT"]:
            return [CATCH_UP], events[-1]["id"]
        for event in events:
            last_sent = event["id"]
            message = {"type": event["kind"], "event": event["id"]}
            if event["kind"] == "post":
                post = store.find_post_with_image(event["post_id"])
                if post is None:
                    continue  # deleted since: its "delete" event comes next, so say nothing
                message["id"] = post["id"]
                # The visitor's HTML of the post: the very include thread.html uses.
                message["html"] = render_template("_post.html", post=post)
                # Step 18: the new lists of replies of the posts it quotes (if
                # any: a post that quotes none is sent as in step 15).
                updates = backlink_updates(post)
                if updates:
                    message["backlinks"] = updates
            elif event["kind"] == "delete":
                message["id"] = event["post_id"]
            elif event["kind"] == "move":
                if event["board"] is None:
                    continue  # the thread is gone: its "thread-delete" event comes next
                message["board"] = event["board"]
            # json.dumps writes ASCII only (\u escapes): its length is its size in bytes.
            if len(json.dumps(message)) > current_app.config["LIVE_MAX_MESSAGE_BYTES"]:
                messages.append(CATCH_UP)
                break
            messages.append(message)
    finally:
        close_db()
    return messages, last_sent


def backlink_updates(post):
    """Step 18: the lists of replies that `post` changed, as live.js applies them.

        [{"post_id": 129, "html": '<p class="backlinks">Replies: <a ...>&gt;&gt;130</a></p>'}]

    One item for each post of the same thread that `post` quotes, with that
    post's whole list as it is now, rendered by the same _backlinks.html as the
    thread page: live.js replaces the old list with it (or adds it, for the
    first reply). Posts of other threads are not on this page: nothing to send.
    The API's ?after= answer gives each post the same list (api.py).
    """
    return [
        {"post_id": quoted["id"], "html": render_template("_backlinks.html", post=quoted).strip()}
        for quoted in get_store().quoted_in_thread(post)
    ]


def hang_up(ws):
    """End the network connection under a socket that is done.

    Werkzeug's development server (`flask run`) does not know that this
    request became a WebSocket. When the view returns, it writes an ordinary
    HTTP answer, "HTTP/1.1 200 OK...", on the same connection; a browser would
    read those bytes as a broken WebSocket message, log "Invalid frame header"
    and hand live.js the code 1006 (connection lost) instead of ours (1013,
    1000...). So the connection is shut first, and Werkzeug's answer goes
    nowhere (Werkzeug takes that quietly: the client left, as clients do).

    Only once the other side is done, though. After our "close", a browser
    answers with a "close" of its own (that is how a WebSocket ends politely);
    simple-websocket's reading thread (ws.thread) stops when that answer
    arrives, or when the connection drops. This waits up to a second for it. A
    client that has not answered by then is left alone: cutting its connection
    could lose what it has not read yet. (Under gunicorn, flask-sock writes
    nothing after the socket, and all this changes nothing.)
    """
    ws.thread.join(timeout=1)
    if ws.thread.is_alive():
        return
    try:
        ws.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the connection is gone already


def throw_away_incoming(ws):
    """The page never sends anything. Whatever arrives anyway is read and
    dropped here, so that a misbehaving client cannot fill the server's memory."""
    while ws.receive(timeout=0) is not None:
        pass
