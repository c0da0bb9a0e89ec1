"""The WebSocket protocol's side of live updates: the handshake, the connection, the close.

flask-sock (simple-websocket, and wsproto underneath) speaks the protocol for
live.py. What this module adds:

- A handshake that is not a proper WebSocket one is refused with 400 (or 426,
  for another version of the protocol), before the upgrade: never a 500.
- No compression: it would keep ~100 kB of memory per open socket.
- WholeWrites: simple-websocket writes each message with one send(), which
  under gevent may send only its first part. Here it always sends all of it.
- WakingEvent: a message from the page, or the connection's close, wakes the
  socket's wait at once.
- hang_up: the connection under a finished socket is shut, so that `flask run`
  writes no HTTP answer after it.
"""

import base64
import binascii
import socket
import threading

from flask import Response, request
from simple_websocket import ConnectionClosed
from wsproto.utilities import RemoteProtocolError  # wsproto: simple-websocket's protocol library

# How a socket is closed: the WebSocket protocol's codes, which the browser
# hands to live.js (event.code).
NORMAL_CLOSURE = 1000  # done: the thread has been deleted
POLICY_VIOLATION = 1008  # this request cannot be served: no such thread
INTERNAL_ERROR = 1011  # a bug: logged
TRY_AGAIN_LATER = 1013  # this worker is full, or the database busy: live.js polls the API instead

# The only version of the WebSocket protocol there is (RFC 6455), as browsers
# send it in the handshake's Sec-WebSocket-Version header.
WEBSOCKET_VERSION = "13"

# The page never sends anything. A larger message than this closes the socket
# (1009) instead of filling the server's memory.
MAX_INCOMING_MESSAGE = 1024


def set_up_handshakes(blueprint):
    """Have every request to `blueprint` (its WebSocket routes) go through the
    checks below, in this order, before flask-sock answers the handshake."""
    blueprint.before_request(without_compression)
    blueprint.before_request(refuse_bad_handshakes)
    blueprint.before_request(whole_writes)
    blueprint.register_error_handler(RemoteProtocolError, refuse_what_wsproto_refuses)
    blueprint.register_error_handler(UnicodeError, refuse_what_wsproto_refuses)


def without_compression():
    """Take the browser's offer of compression (permessage-deflate) off the request,
    before flask-sock hands it to simple-websocket, which would accept it.

    Compressing a socket's messages keeps a zlib compressor for as long as the
    socket is open, about 100 kB of memory each (measured: ~150 kB a socket with
    it, ~50 kB without, in a gunicorn worker). The messages are a post's HTML,
    a few hundred bytes, which compression would hardly shrink.
    """
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


def refuse_bad_handshakes():
    """Refuse a request that is not a proper WebSocket handshake, before the upgrade.

    Werkzeug only sends the live route requests with "Upgrade:
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


def refuse_what_wsproto_refuses(error):
    """Anything else wsproto cannot answer in the handshake (a Transfer-Encoding it
    does not know, a Host that is no domain name: it decodes it as one, and
    UnicodeError is what fails) is a bad request too, not a 500."""
    return bad_handshake("This is not a WebSocket handshake this server can answer.")


def bad_handshake(reason, status=400):
    """A short plain-text answer for a WebSocket client: it is not a page a reader sees."""
    return Response(reason + "\n", status, mimetype="text/plain")


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


def close_quietly(ws, code, reason):
    """Close the socket, unless it is closed already."""
    try:
        ws.close(reason=code, message=reason)
    except (ConnectionClosed, OSError):
        pass


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
