"""Moderation: what the staff do to threads and posts, visitors' reports, the audit log.

Each action (mod.py's forms) is one write transaction that changes something
and writes its audit log entry (`moderator`: the staff member's username): the
log never says something happened that did not, nor misses something that
did. Nothing changes, and nothing is logged, when the thing is not there
(None: the view answers 404) or already is as asked (a second "lock" of a
locked thread). A change that open thread pages must show writes its event
too (thread_events.record_event).
"""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Conflict

from . import files
from .db import after_commit, db, write_transaction
from .models import AuditEntry, Post, Report, Thread, utc_now
from .reading import find_board
from .thread_events import record_event


class AlreadyReported(Conflict):
    """A second report of a post from a client whose first one is still open: 409,
    nothing stored (a hundred copies of one report would only bury the others)."""

    description = "You have already reported this post. A moderator will look at it soon."


def audit(session, username, action, target, details=""):
    """Add an audit log entry to the transaction of `session`: stored with the
    change it describes, or not at all."""
    entry = AuditEntry(created_at=utc_now(), username=username, action=action, target=target, details=details)
    session.add(entry)


# --- posts and threads ---------------------------------------------------------------


def delete_post(post_id, moderator):
    """Delete a post, with its image's row and its reports; return its thread as
    it is now, or None for an unknown post. Its files go too, unless another
    post uses them (files.remove_unused).

    The thread counts one post less, and one reply less unless the post was
    its opening post (see models.Thread.has_opening_post: a thread has one post
    more than replies while its opening post, its first post, is there).
    The search indexes forget the post (see migration 0004).
    """
    with write_transaction() as session:
        thread_id = session.scalar(select(Post.thread_id).where(Post.id == post_id))
        if thread_id is None:
            return None
        # FOR UPDATE: on PostgreSQL, deletions and replies in this thread take
        # turns on its row, so that its counters stay right.
        thread = session.get(Thread, thread_id, with_for_update=True)
        # Read again now that it is our turn: another moderator may have been first.
        post = session.scalar(select(Post).where(Post.id == post_id))
        if post is None:
            return None
        first_post_id = session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread_id))
        was_opening_post = thread.has_opening_post and post.id == first_post_id
        images = files.images_where(session, Post.id == post_id)
        details = post.body[:100]
        session.execute(delete(Post).where(Post.id == post_id))  # its image and reports cascade
        thread.post_count -= 1
        if not was_opening_post:
            thread.reply_count -= 1
        audit(session, moderator, "delete post", f"post {post_id} in thread {thread_id}", details)
        record_event(session, thread_id, "delete", post_id)
        after_commit(session, lambda: files.remove_unused(images))
        return thread


def delete_thread(thread_id, moderator):
    """Delete a thread with all its posts, images and reports; return the thread
    as it was, or None. The files go too, unless another post uses them
    (files.remove_unused)."""
    with write_transaction() as session:
        thread = session.get(Thread, thread_id, with_for_update=True)
        if thread is None:
            return None
        images = files.images_where(session, Post.thread_id == thread_id)
        session.execute(delete(Thread).where(Thread.id == thread_id))  # posts, images, reports cascade
        audit(session, moderator, "delete thread", f"thread {thread_id}", thread.title[:100])
        # thread_events has no foreign key: this row outlives the thread, and
        # the pages that have it open learn from it that it is gone.
        record_event(session, thread_id, "thread-delete")
        after_commit(session, lambda: files.remove_unused(images))
        return thread


def lock_thread(thread_id, locked, moderator):
    """Lock (True) or unlock (False) a thread; return it, or None."""
    action = "lock thread" if locked else "unlock thread"
    return set_thread_flag(thread_id, "locked", locked, moderator, action)


def pin_thread(thread_id, pinned, moderator):
    """Pin (True) or unpin (False) a thread; return it, or None."""
    action = "pin thread" if pinned else "unpin thread"
    return set_thread_flag(thread_id, "pinned", pinned, moderator, action)


def set_thread_flag(thread_id, flag, value, moderator, action):
    with write_transaction() as session:
        thread = session.get(Thread, thread_id, with_for_update=True)
        if thread is None:
            return None
        if getattr(thread, flag) != value:
            setattr(thread, flag, value)
            audit(session, moderator, action, f"thread {thread_id}", thread.title[:100])
            if flag == "locked":  # a pin changes the board page, not the thread's
                record_event(session, thread_id, "lock" if value else "unlock")
        return thread


def move_thread(thread_id, board_slug, moderator):
    """Move a thread to another board; return it, or None for an unknown thread.
    Its images stay where they are (their paths name the old board: only a name).
    Raises KeyError for an unknown board."""
    if find_board(board_slug) is None:
        raise KeyError(board_slug)
    with write_transaction() as session:
        thread = session.get(Thread, thread_id, with_for_update=True)
        if thread is None:
            return None
        if thread.board != board_slug:
            details = f"{thread.board} → {board_slug}"
            thread.board = board_slug
            audit(session, moderator, "move thread", f"thread {thread_id}", details)
            record_event(session, thread_id, "move")
        return thread


# --- reports -------------------------------------------------------------------------------


def add_report(post_id, reason, details, client=None):
    """A visitor's report of a post; returns the post, or None for an unknown post.

    `client` is who sent it (its IP address, as flood control counts it): while
    its report of this post is open, another one raises AlreadyReported."""
    with write_transaction() as session:
        # FOR UPDATE: the post cannot be deleted while its report is being stored,
        # and two reports of it take turns here (on SQLite, every writer does).
        post = session.get(Post, post_id, with_for_update=True)
        if post is None:
            return None
        if client is not None:
            already = select(Report.id).where(
                Report.post_id == post_id, Report.client == client, Report.dismissed_at.is_(None)
            )
            if session.scalar(already.limit(1)) is not None:
                raise AlreadyReported()
        session.add(
            Report(post_id=post_id, reason=reason, details=details, created_at=utc_now(), client=client)
        )
        return post


def open_reports(page=1, per_page=50):
    """One page of the reports no moderator has dismissed, newest first, each
    with its post; and how many there are in all: (reports, total)."""
    total = open_report_count()
    query = (
        select(Report)
        .where(Report.dismissed_at.is_(None))
        .order_by(Report.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(selectinload(Report.post).selectinload(Post.image))
    )
    return list(db.session.scalars(query)), total


def open_report_count():
    """How many reports are open."""
    query = select(func.count()).select_from(Report).where(Report.dismissed_at.is_(None))
    return db.session.scalar(query)


def dismiss_report(report_id, moderator):
    """Close an open report without touching its post. False if there is no
    such report or it was already dismissed."""
    with write_transaction() as session:
        report = session.get(Report, report_id, with_for_update=True)
        if report is None or report.dismissed_at is not None:
            return False
        report.dismissed_at = utc_now()
        report.dismissed_by = moderator
        target = f"report {report_id} of post {report.post_id}"
        audit(session, moderator, "dismiss report", target, report.reason)
        return True


# --- the audit log ---------------------------------------------------------------------------


def audit_log(page=1, per_page=100):
    """One page of the audit log, newest first, and how many entries it has in all."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(per_page).offset((page - 1) * per_page)
    return list(db.session.scalars(query)), total
