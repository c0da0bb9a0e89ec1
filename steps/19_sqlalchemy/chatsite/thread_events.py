"""Live updates: the events of each thread, written with each change, read by the open pages.

Every change a reader of a thread page should see at once (a post, a deleted
post, the thread locked, unlocked, moved or deleted) writes a ThreadEvent in
the same transaction as the change (record_event). The live sockets (live.py)
and the API's ?after= (api.py) read them (events_after, last_event_id).

Once an event is committed, the news goes out: the `event_recorded` signal,
sent in this process (live.py connects to it and wakes its sockets on that
thread). Other processes' sockets find the event at their next look.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from blinker import Namespace
from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from .db import after_commit, db, on_postgresql
from .models import Post, Thread, ThreadEvent, utc_now
from .quoting import with_quotes

# Events older than this are deleted: a page left without a single check for a
# day has long been reloaded, or falls back to the API, whose post_ids need no events.
KEEP_EVENTS_FOR = timedelta(days=1)
# ...once every this many events (by id): often enough to keep the table small,
# rarely enough that the DELETE costs nothing to speak of.
PRUNE_EVENTS_EVERY = 100

# A signal (blinker, the library Flask's own signals use): whoever wants to hear
# of new events connects a function to it, here live.py. Sent after the COMMIT,
# with the app as sender and the thread's id: receiver(app, thread_id=7).
signals = Namespace()
event_recorded = signals.signal("event-recorded")


@dataclass
class NewEvent:
    """An event, with what a live page's message about it needs (events_after)."""

    id: int
    kind: str  # models.EVENT_KINDS
    post_id: int | None  # the post of a "post" or "delete"
    board: str | None  # the board the thread is on now; None once it is deleted
    post: Post | None  # a "post" event's post, with its image and quotes; None once deleted


def record_event(session, thread_id, kind, post_id=None):
    """Write one event of a thread, in the transaction of `session` (the
    write_transaction of the change): stored with the change, or not at all.

    `kind` is one of models.EVENT_KINDS; `post_id` names the post of a "post"
    or "delete". Then the news goes out, but only once the change is committed:
    right after the COMMIT (db.after_commit), the `event_recorded` signal:
    live.py wakes this process's sockets on the thread.

    The ids of one thread's events follow the order of their COMMITs, which is
    what lets a socket remember only "the last id I sent". On SQLite writers
    take turns. On PostgreSQL every change of a thread first locks the thread's
    row (FOR UPDATE, or the DELETE itself) and only then takes its event id,
    and holds the lock until it commits: no event of a thread can take an id
    and commit after a later one. (Without the lock, a socket could send event
    12, and never see 11 committed a moment later.)

    Once every PRUNE_EVENTS_EVERY events, those older than KEEP_EVENTS_FOR go.
    """
    now = utc_now()
    event = ThreadEvent(thread_id=thread_id, kind=kind, post_id=post_id, created_at=now)
    session.add(event)
    session.flush()  # its id, now
    # The app itself, not the current_app proxy: receivers are connected for one app.
    app = current_app._get_current_object()
    after_commit(session, lambda: event_recorded.send(app, thread_id=thread_id))
    if event.id % PRUNE_EVENTS_EVERY == 0:
        old = delete(ThreadEvent).where(ThreadEvent.created_at < now - KEEP_EVENTS_FOR)
        # synchronize_session=False: the session holds no old events to forget.
        session.execute(old.execution_options(synchronize_session=False))


def last_event_id(thread_id):
    """The id of the thread's newest event, or 0 if it has none (yet, or any
    more: they are deleted after a day). Every change of the thread writes an
    event with a higher id than any before it, so this number changes
    whenever the thread does (the API's ETag is made from it)."""
    query = select(func.coalesce(func.max(ThreadEvent.id), 0)).where(ThreadEvent.thread_id == thread_id)
    return db.session.scalar(query)


def count_events_after(thread_id, after, at_most):
    """How many of the thread's events have an id greater than `after`,
    counting no further than `at_most` + 1: enough to tell "more than
    at_most" (live.py, LIVE_BACKLOG_LIMIT) without reading them all."""
    waiting = (
        select(ThreadEvent.id)
        .where(ThreadEvent.thread_id == thread_id, ThreadEvent.id > after)
        .limit(at_most + 1)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(waiting))


def events_after(thread_id, after):
    """The thread's events whose id is greater than `after`, oldest first, each a
    NewEvent: a "post" event has its post, as the thread page shows it.

    One query, whatever comes back: ix_thread_events_thread_id_id finds the
    events (most often none at all), the primary keys their thread, post
    and image. Each open socket runs it about once a second. As the first
    query of its session (live.py's is), on PostgreSQL, it runs in
    autocommit mode: a single SELECT is consistent by itself, and one round
    trip to the server is cheaper than three (BEGIN, SELECT, ROLLBACK).
    Only when new posts came, two more, by primary key and index: their
    quotes and the backlinks a page must now show (quoting.with_quotes).
    """
    if on_postgresql() and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    rows = db.session.execute(events_after_query(), {"thread_id": thread_id, "after": after})
    events = [NewEvent(*row) for row in rows]
    with_quotes([event.post for event in events if event.post], updates=True)
    return events


@cache
def events_after_query():
    """The SELECT of events_after, built once and kept: the sockets run it
    thousands of times a minute, and building it each time cost more than
    running it (see text_search.search_queries)."""
    return (
        select(ThreadEvent.id, ThreadEvent.kind, ThreadEvent.post_id, Thread.board, Post)
        .outerjoin(Thread, Thread.id == ThreadEvent.thread_id)
        .outerjoin(Post, and_(ThreadEvent.kind == "post", Post.id == ThreadEvent.post_id))
        .where(ThreadEvent.thread_id == bindparam("thread_id"), ThreadEvent.id > bindparam("after"))
        .order_by(ThreadEvent.id)
        .options(joinedload(Post.image))  # in the same query, not one more
    )
