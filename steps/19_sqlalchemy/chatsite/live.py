"""Live updates: new replies appear on an open thread page, with no reload.

The thread page (thread.html) loads static/live.js, which opens a WebSocket to
/threads/<id>/live. This module answers it, with flask-sock (simple-websocket
underneath): the socket sends the page each change of the thread as it
happens, as JSON, and the page puts it in place. Where a WebSocket cannot get
through, live.js asks the API instead (api.py, ?after=).

Where the news comes from, and how it travels:

1. Every change a reader should see writes a ThreadEvent row (models.py), in
   the same transaction as the change (thread_events.record_event). The
   database, not a process, is where the news lives: a site that runs several
   server processes has one database and many memories.
2. After the COMMIT, the Notifier of the process that made the change wakes
   that process's sockets on the thread: thread_events sends its
   `event_recorded` signal (db.after_commit), and wake_sockets below passes
   it on to the Notifier (live_notifier.py).
3. Each socket (live_updates) then reads the thread's events after the last
   one it sent, in one quick indexed query, sends them, and waits again: until
   it is woken, or for LIVE_POLL_INTERVAL seconds at most. That timeout
   brings the events of other processes within about a second. (The sockets
   of one thread in one process share that query and the rendering of its
   messages: the first one woken runs it, the others take its results from
   the thread's Feed.)

Why does the socket send each post's HTML, and not its text? So that a post
that arrives live is exactly what a reload shows: see live_messages.py.

What a socket must never do:

- Hold a database connection (or transaction) while it waits. A socket waits
  for hours, and thousands may be open. Each look borrows a connection from
  the pool (db.session), runs one query, and gives the connection back
  (db.session.remove()) before it renders, sends or waits: about a
  millisecond. A new post wakes all of a thread's sockets at once: one of
  them looks (Feed), and at most CHECKS_AT_ONCE looks of a process (for as
  many threads) run at the same moment, the others queue for their turn. So
  a process's sockets use at most 3 pooled connections between them, however
  many sockets there are.
- Let a slow reader hold up the others. Each socket has its own thread (of
  `flask run`'s server), and sends its own messages: a page that stops
  reading stalls its own socket, and nothing else.
- Trust the page. The number of sockets a process keeps is capped
  (LIVE_SOCKETS_PER_WORKER: past it the socket is closed with 1013, and the
  page polls the API instead); every socket is pinged each LIVE_PING_INTERVAL
  seconds and closed when the browser does not answer; what a page sends is
  thrown away, and a message of more than MAX_INCOMING_MESSAGE bytes closes it.
  A handshake that is not a proper WebSocket one is refused with 400 (or 426,
  for another version of the protocol), before the upgrade (websocket.py).
- Send too much at once. A page that comes back owed more than
  LIVE_BACKLOG_LIMIT events, or a message larger than LIVE_MAX_MESSAGE_BYTES
  (a post that quotes many others carries all their lists of replies), gets
  "catch-up" instead, and the socket closes: live.js loads the news from the
  API (?after=, in pages of 100 posts), then opens a new socket from there.
- Lose part of a message. simple-websocket writes each message with one
  send(), which may send only its first part: websocket.WholeWrites.

WebSockets have no same-origin rule: a page on any site may open this socket.
That is fine here, because it only tells what every visitor may read anyway.
A socket that acted for a logged-in user would have to check the Origin header
first (the CSRF problem, in another shape).
"""

import json
import time

from flask import Blueprint, current_app, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .live_messages import CATCH_UP, message_of
from .live_notifier import Notifier
from .models import Thread
from .params import id_or_zero
from .thread_events import count_events_after, event_recorded, events_after, last_event_id
from .websocket import (
    INTERNAL_ERROR,
    MAX_INCOMING_MESSAGE,
    NORMAL_CLOSURE,
    POLICY_VIOLATION,
    TRY_AGAIN_LATER,
    WakingEvent,
    close_quietly,
    hang_up,
    set_up_handshakes,
    throw_away_incoming,
)

bp = Blueprint("live", __name__)
set_up_handshakes(bp)  # a bad handshake is a 400, before the upgrade (websocket.py)

# The flask-sock extension; init_app() below sets it up for the app. The route
# is attached to this module's blueprint, which create_app() registers.
sock = Sock()

TOO_MANY_SOCKETS = "too many live connections, try again later"
CATCHING_UP = "too much at once: load it over HTTP"


def init_app(app):
    """Give the app live updates: flask-sock, its socket options and this
    process's Notifier (live_notifier.py)."""
    sock.init_app(app)
    # flask-sock hands these to simple-websocket's Server, for each new socket.
    # ping_interval: a "ping" every so many seconds; the socket is closed if the
    # browser has not answered the previous one. event_class: see websocket.WakingEvent.
    options = {"ping_interval": app.config["LIVE_PING_INTERVAL"], "max_message_size": MAX_INCOMING_MESSAGE}
    options.update(app.config.get("SOCK_SERVER_OPTIONS", {}))
    options["event_class"] = WakingEvent
    app.config["SOCK_SERVER_OPTIONS"] = options
    app.extensions["live"] = Notifier()
    # thread_events.py sends this signal after each COMMIT of an event of this app.
    event_recorded.connect(wake_sockets, sender=app)


def wake_sockets(app, thread_id):
    """An event of `thread_id` has just been committed in this process: tell the Notifier."""
    app.extensions["live"].committed(thread_id)


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
        # connection: log it, and close properly.
        current_app.logger.exception("Live updates: socket of thread %s failed", thread_id)
        close_quietly(ws, INTERNAL_ERROR, "something went wrong, try again later")
    finally:
        db.session.remove()
        hang_up(ws)


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
        # Each open socket holds a thread and memory for as long as the page is
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

    One query (thread_events.events_after), on a connection borrowed from the
    pool and given back at once, before anything is rendered or sent. At most
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
