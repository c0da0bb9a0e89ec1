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
# The same holds for WebSockets, which stay open for as long as a page is.
# psycopg 3 (PostgreSQL) cooperates with gevent by itself. SQLite's calls are
# short and do not cooperate: while one waits for another writer (busy
# timeout), its worker waits too, which is one more reason for several workers.
worker_class = "gevent"
# How many connections one worker holds at once, slow ones included.
worker_connections = int(os.environ.get("CHATSITE_WORKER_CONNECTIONS", 1000))

bind = os.environ.get("CHATSITE_BIND", "127.0.0.1:5000")
# Gunicorn's control socket (~/.gunicorn/gunicorn.ctl) is shared by every
# gunicorn of the same user; we do not use it, so two servers never fight over it.
control_socket_disable = True
# One line per request on the terminal, like Flask's development server.
accesslog = "-"
