"""Who to wake when a thread changes: the sockets of this process that watch it.

Every change a reader should see is recorded as a ThreadEvent
(thread_events.record_event). After its COMMIT, the Notifier of the process
that made the change wakes that process's sockets on the thread:
Notifier.committed, called by live.wake_sockets when the `event_recorded`
signal comes. The sockets of other processes find the event at their next
look (LIVE_POLL_INTERVAL).

The sockets of one thread in one process share a Feed: the first one woken
reads and renders the thread's new events, the others take them from there.
"""

import threading
import time

# How many looks at the database a process's sockets may run at the same moment
# (live.new_messages): fewer than the connection pool holds (SQLAlchemy's default:
# 5), so that the pages and forms always find a connection there too.
CHECKS_AT_ONCE = 3


class Notifier:
    """Wakes the sockets of this process that watch a thread.

    Each open socket has its own threading.Event: a flag that anyone may set,
    and that the socket's thread waits for, with a timeout. Why one Event
    per socket, rather than one threading.Condition for all?

    - A Condition wakes only those waiting on it at that very moment. A socket
      busy sending the last post when the next one is committed would miss its
      wake-up and sleep a whole LIVE_POLL_INTERVAL. An Event stays set until
      its own socket clears it (just before it looks): no wake-up is lost.
    - notify(7) sets the Events of thread 7's sockets only; a Condition's
      notify_all() would wake every socket of every thread, each to look and
      find nothing.

    The sockets of one thread share a Feed (below). The Notifier also counts
    the open sockets (LIVE_SOCKETS_PER_WORKER).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._feeds = {}  # {thread id: the Feed of this process's sockets on that thread}
        self._count = 0
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
        """This process has just committed an event of `thread_id`
        (thread_events.record_event, after the COMMIT): wake its sockets now."""
        self.notify(thread_id)

    @property
    def sockets(self):
        """How many sockets this process has open."""
        return self._count


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
