"""Writing posts: new threads and replies, and keeping each board within its budget.

Safe under many workers: every write is one transaction (db.write_transaction),
so a reply and its thread's bump are stored together or not at all, and no
process keeps data in its own memory. In the same transaction go the post's
quotes (quoting.record_quotes), its event for the live pages
(thread_events.record_event) and its uploaded file (files.write_for_post).
"""

from sqlalchemy import Sequence, delete, func, select
from werkzeug.exceptions import Forbidden

from . import files
from .db import after_commit, db, on_postgresql, write_transaction
from .models import Image, Post, Thread, utc_now
from .quoting import record_quotes
from .reading import find_board
from .thread_events import record_event

# PostgreSQL hands out bump numbers from a sequence (see next_bump_order).
BUMP_ORDER_SEQUENCE = Sequence("thread_bump_order_seq")


class ThreadClosed(Forbidden):
    """A reply to a thread that has reached its reply limit: 403, nothing stored."""

    def __init__(self, reply_limit):
        super().__init__(
            f"This thread has reached its limit of {reply_limit} replies and is closed. "
            "Nothing was posted; start a new thread to carry on."
        )


class ThreadLocked(Forbidden):
    """A reply to a thread a moderator has locked: 403, nothing stored."""

    description = "This thread is locked."


def add_thread(board_slug, title, body, upload=None):
    """Start a thread on a board; return it (a models.Thread).

    The thread gets an opening post when there is a body or an upload (the
    description of an uploaded file, upload_storage.describe_upload, or None).
    Raises KeyError for an unknown board.
    """
    if find_board(board_slug) is None:
        raise KeyError(board_slug)
    now = utc_now()
    with write_transaction() as session:
        thread = Thread(
            board=board_slug,
            title=title,
            created_at=now,
            bumped_at=now,
            bump_order=next_bump_order(),
            reply_count=0,
            post_count=0,
        )
        session.add(thread)
        if body or upload:
            opening_post = new_post(thread, body, upload, now)
            session.add(opening_post)
            thread.post_count = 1
            session.flush()  # the database gives the thread and its post an id now
            files.write_for_post(session, opening_post.image, upload)
            record_quotes(session, opening_post)
            # Nobody can have the thread open yet, but its page starts from
            # this event (data-last-event), like after any other post.
            record_event(session, thread.id, "post", opening_post.id)
        return thread


def add_reply(thread_id, body, upload=None, bump_limit=None, reply_limit=None):
    """Add a reply to a thread and bump the thread to the top; return the post.

    One transaction: the post and the bump are stored together or not at all.
    A locked thread takes no reply: ThreadLocked (403). A thread with
    `reply_limit` replies is closed: ThreadClosed (403). Replies
    after the first `bump_limit` are kept but no longer bump the thread, so
    that it sinks (None: no limit). Raises KeyError for an unknown thread.
    """
    now = utc_now()
    with write_transaction() as session:
        # FOR UPDATE: on PostgreSQL, replies to one thread take turns on its
        # row, so none of its counters is lost and the limits hold exactly.
        # (SQLite's BEGIN IMMEDIATE already lets one writer in at a time.)
        thread = session.get(Thread, thread_id, with_for_update=True)
        if thread is None:
            raise KeyError(thread_id)
        if thread.locked:
            raise ThreadLocked()
        if reply_limit is not None and thread.reply_count >= reply_limit:
            raise ThreadClosed(reply_limit)
        post = new_post(thread, body, upload, now)
        session.add(post)
        thread.reply_count += 1
        thread.post_count += 1
        if bump_limit is None or thread.reply_count <= bump_limit:
            thread.bumped_at = now
            thread.bump_order = next_bump_order()
        session.flush()
        files.write_for_post(session, post.image, upload)
        record_quotes(session, post)
        record_event(session, thread_id, "post", post.id)
        return post


def new_post(thread, body, upload, now):
    """A new post for `thread`, with an Image row if a file was uploaded."""
    image = None
    if upload:
        # Every key of the description is a column of images, but its "contents".
        image = Image(**{name: value for name, value in upload.items() if name != "contents"})
    return Post(thread=thread, body=body, created_at=now, image=image)


def next_bump_order():
    """The next bump number: higher than every thread's so far.

    On SQLite the writer holds the database's only write lock (BEGIN IMMEDIATE),
    so max() + 1 cannot be handed out twice, and the index makes max() instant.
    On PostgreSQL writers run side by side, so a sequence hands out the numbers.
    """
    if on_postgresql():
        return db.session.scalar(BUMP_ORDER_SEQUENCE.next_value())
    return db.session.scalar(select(func.coalesce(func.max(Thread.bump_order), 0) + 1))


def prune_board(slug, max_threads, max_upload_bytes):
    """Delete a board's least recently active threads while it is over a budget
    (pinned threads only when no other is left).

    `max_threads`: how many threads a board keeps; `max_upload_bytes`: how
    many bytes of images. Returns the paths (inside UPLOAD_FOLDER) of the
    deleted threads' images. Their files go once this transaction is committed,
    never before (a failed delete keeps its files), and only those no other
    post uses (files.remove_unused).
    """
    removed = []
    with write_transaction() as session:
        # Pinned threads go last, after every other one (the board's index, read forwards).
        oldest_first = (
            select(Thread.id).where(Thread.board == slug).order_by(Thread.pinned, Thread.bump_order)
        )
        count = session.scalar(select(func.count()).select_from(Thread).where(Thread.board == slug))
        used = session.scalar(
            select(func.coalesce(func.sum(Image.size), 0))
            .join(Post, Image.post_id == Post.id)
            .join(Thread, Post.thread_id == Thread.id)
            .where(Thread.board == slug)
        )
        # .all(): read the ids first, then delete (not while reading the same table).
        for thread_id in session.scalars(oldest_first).all():
            if count <= max_threads and used <= max_upload_bytes:
                break
            images = files.images_where(session, Post.thread_id == thread_id)
            session.execute(delete(Thread).where(Thread.id == thread_id))  # posts and images cascade
            record_event(session, thread_id, "thread-delete")
            removed += images
            used -= sum(image.size for image in images)
            count -= 1
        after_commit(session, lambda: files.remove_unused(removed))
    return [image.path for image in removed]
