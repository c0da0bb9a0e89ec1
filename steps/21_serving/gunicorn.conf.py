"""Gunicorn's settings for serving the final app: `make serve` uses this file.

    gunicorn -c final/gunicorn.conf.py "chatsite:create_app()"

Run `flask --app chatsite db upgrade` first (make serve does): the workers
expect the database to have the newest schema.
"""

import multiprocessing
import os

# Several worker processes: no data lives in a process any more (it is all in
# the database), so any worker can answer any request. 2 x cores + 1 is
# gunicorn's own rule of thumb: while one worker waits for the disk or the
# database, another one can use the processor.
workers = int(os.environ.get("CHATSITE_WORKERS", 2 * multiprocessing.cpu_count() + 1))

# gevent: each connection is a "greenlet", a very light thread that gives way
# to the others whenever it waits for the network. A visitor who sends a request
# one byte at a time ("slowloris") then costs a few kilobytes, not one of a
# handful of threads: with threads, 4 slow clients took the whole site offline.
# The same holds for WebSockets (live.py), which stay open for as long as a
# page is: gunicorn hands the connection to flask-sock (environ["gunicorn.socket"]),
# and each socket then costs two greenlets, one for the page's request and one
# that reads the connection.
# psycopg 3 (PostgreSQL) cooperates with gevent by itself. SQLite's calls are
# short and do not cooperate: while one waits for another writer (busy
# timeout), its worker waits too, which is one more reason for several workers.
#
# gevent patches the standard library ("monkey-patching": sockets, threading,
# select...) in each worker before the app is loaded, which is what makes
# psycopg, the live sockets' locks and events, and simple-websocket's threads
# cooperate. Hence no preload_app, and no `import chatsite` in this file: a
# module loaded before the patching would block its whole worker.
worker_class = "gevent"
# How many connections one worker holds at once, slow ones and WebSockets
# included. The app reads the same variable: it keeps at most nine tenths of
# them for live pages (LIVE_SOCKETS_PER_WORKER), so that a worker full of
# sockets still answers ordinary requests. One open socket costs ~50 kB of
# memory (the greenlets' stacks, the request, simple-websocket's buffers) and
# one file descriptor; an idle one costs a ping every 25 s and one small query
# a second (LIVE_POLL_INTERVAL). To hold more than ~1,000, raise this and the
# process's limit of open files (ulimit -n; LimitNOFILE= under systemd), which
# is often 1,024.
worker_connections = int(os.environ.get("CHATSITE_WORKER_CONNECTIONS", 1000))

bind = os.environ.get("CHATSITE_BIND", "127.0.0.1:5000")
# Gunicorn's control socket (~/.gunicorn/gunicorn.ctl) is shared by every
# gunicorn of the same user; we do not use it, so two servers never fight over it.
control_socket_disable = True
# One line per request on the terminal, like Flask's development server.
accesslog = "-"
