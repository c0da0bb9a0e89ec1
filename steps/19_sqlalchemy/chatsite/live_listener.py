"""PostgreSQL's LISTEN: news of every process's events, for this process's sockets.

thread_events.record_event runs pg_notify('chatsite_events', '<thread id>'),
which PostgreSQL delivers on COMMIT to every connection that LISTENs to that
channel. Each worker process has one such connection, the Listener below,
which wakes that process's sockets (live_notifier.Notifier). So a reply
reaches every open page at once, whichever process (or machine) stored it.
"""

import logging
import threading
import time

from .thread_events import EVENTS_CHANNEL

# The PostgreSQL listener (Listener below): how often it looks up from its
# connection to see whether any socket is still open, and how long it waits
# before connecting again after losing its connection (doubling each time, up
# to the maximum). Meanwhile the sockets still check every LIVE_POLL_INTERVAL.
LISTENER_IDLE_CHECK = 1.0
LISTENER_RETRY_FIRST = 0.5
LISTENER_RETRY_MAX = 30.0
# How the listener's connection shows in PostgreSQL's pg_stat_activity.
LISTENER_NAME = "chatsite live listener"

# The live updates' log, whichever of their modules writes to it.
logger = logging.getLogger("chatsite.live")


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
