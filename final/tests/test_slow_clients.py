"""Slow clients do not take the site offline.

A "slowloris" visitor opens connections and sends a request one byte at a
time, or sends the headers and then trickles the body. A server that gives
each connection a thread for as long as it lasts runs out of threads: 4 such
connections made `make serve` (then 4 threads) stop answering anyone.

Here 100 slow connections are open on the server, 50 trickling their headers
and 50 their bodies, while a normal visitor loads pages. Every page must come
quickly. All traffic goes to 127.0.0.1; the slow sockets are closed at the end.
"""

import socket
import statistics
import threading
import time
import urllib.request

import pytest
from liveserver import Gunicorn

pytestmark = pytest.mark.live

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


def test_a_visitor_gets_pages_while_100_slow_clients_are_connected(tmp_path, database_url):
    with Gunicorn(tmp_path, database_url, workers=2) as server:
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
