"""The site's data layer: boards, threads and posts, kept in the database.

Every read and every write goes through the Store, so views and templates never
write SQL. It hands out plain dictionaries, the same shapes as when the data
lived in memory (views and templates did not change when the storage did):

    thread: {"id", "board", "title", "created_at", "bumped_at", "reply_count", "post_count",
             "locked", "pinned"}
    post:   {"id", "thread_id", "body", "image", "created_at"}, and where a page
            shows it, "quotes" and "backlinks" (with_quotes)
    report: {"id", "reason", "details", "created_at", "post"}
    user:   {"id", "username", "role", "created_at", "disabled"}
    audit entry: {"id", "created_at", "username", "action", "target", "details"}

"image" is None or {"sha256", "path", "content_type", "size", "width", "height",
"original_name", "md5", "thumbnail_path", "thumbnail_width", "thumbnail_height"}
(models.Image; a video has no width, height or thumbnail). Times are aware
datetimes in UTC.

Uploaded files are named by their content and shared by the posts that have
the same file (files.py): the store writes a post's file back if it went
missing, and removes a file once no post uses it, both race-free (see
keep_files and Store.remove_unused_files).

Safe under many workers: every write is one transaction (db.write_transaction),
so a reply and its thread's bump are stored together or not at all, and no
process keeps data in its own memory. Fast at any size: every page reads
through an index (see models.py), never by scanning all threads or posts.

The not-found lookups (find_board_or_404, find_thread_or_404, find_post_or_404)
live here too, so that the JSON API and the HTML pages stop a request the same way.

Moderation (the /mod/ pages, mod.py) changes threads and posts here too, and
each change writes its audit log entry in the same transaction: the log never
says something happened that did not, nor misses something that did.

Quotes: a post's ">>N" of posts that exist are written in the quotes table in
the post's own transaction (record_quotes); pages read them with the posts
(with_quotes), for the quote links and each post's backlinks.

Live updates: every change a reader of a thread page should see at once (a
post, a deleted post, the thread locked, unlocked, moved or deleted) writes a
ThreadEvent in the same transaction as the change (record_event). The live
sockets (live.py) and the API's ?after= (api.py) read them.
"""

import re
from collections import namedtuple
from datetime import datetime, timedelta, timezone
from functools import cache

from flask import abort, current_app
from sqlalchemy import (
    Sequence,
    and_,
    bindparam,
    delete,
    func,
    intersect,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql import column, table
from werkzeug.exceptions import Conflict, Forbidden

from chatsite import files
from chatsite.db import after_commit, db, write_transaction
from chatsite.formatting import quoted_ids
from chatsite.models import (
    IMAGE_FIELDS,
    THREAD_FIELDS,
    AuditEntry,
    Image,
    Post,
    Quote,
    Report,
    SiteIdentity,
    Thread,
    ThreadEvent,
    User,
)

# How many threads one board page shows, and how many results one search page shows.
THREADS_PER_PAGE = 50
RESULTS_PER_PAGE = 50

# PostgreSQL hands out bump numbers from a sequence (see next_bump_order).
BUMP_ORDER_SEQUENCE = Sequence("thread_bump_order_seq")

# SQLite's full-text indexes (FTS5 tables made by the migration). Declared
# here only so that queries can name them.
POST_SEARCH = table("post_search", column("rowid"))
THREAD_SEARCH = table("thread_search", column("rowid"))
# PostgreSQL: the text-search configuration of the GIN indexes. "simple" only
# lowercases, like SQLite's unicode61 tokenizer: no stemming, so both find the same.
SIMPLE = literal_column("'simple'::regconfig")

# A search looks at no more than this many distinct words.
MAX_SEARCH_WORDS = 8

# Live updates (record_event): the PostgreSQL channel that tells every worker
# process, on every machine, "thread N has a new event" (live.py listens to it).
EVENTS_CHANNEL = "chatsite_events"
# Events older than this are deleted: a page left without a single check for a
# day has long been reloaded, or falls back to the API, whose post_ids need no events.
KEEP_EVENTS_FOR = timedelta(days=1)
# ...once every this many events (by id): often enough to keep the table small,
# rarely enough that the DELETE costs nothing to speak of.
PRUNE_EVENTS_EVERY = 100


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


class AlreadyReported(Conflict):
    """A second report of a post from a client whose first one is still open: 409,
    nothing stored (a hundred copies of one report would only bury the others)."""

    description = "You have already reported this post. A moderator will look at it soon."


class UsernameTaken(ValueError):
    """Another account already has this name (whatever its case)."""


def init_app(app):
    """Give the app its store: app.extensions["store"]."""
    app.extensions["store"] = Store(app.config["BOARDS"])


def get_store():
    """The store of the app handling the current request."""
    return current_app.extensions["store"]


def find_board_or_404(slug):
    """The board with this slug; an unknown slug stops the request with 404 Not Found.

    Without "thread_count": a page that shows the count asks for it (a count is a
    query, and a board page would otherwise count its threads twice more)."""
    board = get_store().board_settings(slug)
    if board is None:
        abort(404)
    return board


def find_thread_or_404(thread_id):
    """The thread with this id; an unknown id stops the request with 404 Not Found."""
    thread = get_store().thread(thread_id)
    if thread is None:
        abort(404)
    return thread


def find_post_or_404(post_id):
    """The post with this id; an unknown id stops the request with 404 Not Found."""
    post = get_store().post(post_id)
    if post is None:
        abort(404)
    return post


class Store:
    """Boards (from the settings) and threads and posts (from the database)."""

    def __init__(self, boards):
        # Boards never change while the app runs: keep them A to Z, and by slug.
        self._boards_a_to_z = sorted((dict(board) for board in boards), key=lambda b: b["name"].lower())
        self._boards = {board["slug"]: board for board in self._boards_a_to_z}
        if len(self._boards) != len(self._boards_a_to_z):
            raise ValueError("Two boards have the same slug.")

    # --- boards ---------------------------------------------------------------

    def boards(self):
        """Every board, A to Z by name, each with its "thread_count"."""
        counts = dict(db.session.execute(select(Thread.board, func.count()).group_by(Thread.board)).all())
        return [{**board, "thread_count": counts.get(board["slug"], 0)} for board in self._boards_a_to_z]

    def board_settings(self, slug):
        """The board with this slug as the settings describe it (a copy), or None."""
        board = self._boards.get(slug)
        return dict(board) if board else None

    def board(self, slug):
        """The board with this slug (with its "thread_count"), or None."""
        board = self._boards.get(slug)
        if board is None:
            return None
        return {**board, "thread_count": self._count_threads(slug)}

    def board_page(self, slug, page, per_page=THREADS_PER_PAGE):
        """One page of a board's threads: the pinned ones, then the others, each
        most recently active first.

        Returns (threads, total): the threads on page `page` (1 is the first; a
        page past the end is an empty list) and how many threads the board has.

        LIMIT/OFFSET makes page N skip N-1 pages of index entries: cheap for the
        first pages people read, and the page count is known, so nobody can ask
        for page 10**9 (see forms.requested_page and boards.render_board).
        """
        if slug not in self._boards:
            raise KeyError(slug)
        total = self._count_threads(slug)
        start = (page - 1) * per_page
        if start >= total:
            return [], total  # past the end: no need to ask (page 1 of an empty board too)
        query = (
            select(Thread)
            .where(Thread.board == slug)
            # Pinned threads first: ix_threads_board_pinned_bump_order read backwards.
            .order_by(Thread.pinned.desc(), Thread.bump_order.desc())
            .limit(per_page)
            .offset(start)
        )
        return [thread_dict(thread) for thread in db.session.scalars(query)], total

    def _count_threads(self, slug):
        return db.session.scalar(select(func.count()).select_from(Thread).where(Thread.board == slug))

    # --- threads and posts ------------------------------------------------------

    def thread(self, thread_id):
        """The thread with this id (without its posts), or None."""
        thread = db.session.get(Thread, thread_id)
        return thread_dict(thread) if thread else None

    def posts(self, thread_id):
        """A thread's posts, oldest first, as a new list; None for an unknown thread."""
        if db.session.get(Thread, thread_id) is None:
            return None
        query = (
            select(Post)
            .where(Post.thread_id == thread_id)
            .order_by(Post.id)
            .options(selectinload(Post.image))  # every post's image in one more query
        )
        return with_quotes([post_dict(post) for post in db.session.scalars(query)])

    def add_thread(self, board_slug, title, body, image=None):
        """Start a thread on a board; return it.

        The thread gets an opening post when there is a body or an image.
        Raises KeyError for an unknown board.
        """
        if board_slug not in self._boards:
            raise KeyError(board_slug)
        now = _now()
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
            opening_post = None
            if body or image:
                opening_post = new_post(thread, body, image, now)
                session.add(opening_post)
                thread.post_count = 1
            session.flush()  # the database gives the thread (and its post) an id now
            keep_files(session, image)
            if opening_post is not None:
                record_quotes(session, opening_post)
            if opening_post is not None:
                # Nobody can have the thread open yet, but its page starts from
                # this event (data-last-event), like after any other post.
                record_event(session, thread.id, "post", opening_post.id)
            return thread_dict(thread)

    def posts_page(self, thread_id, page, per_page):
        """One page of a thread's posts, oldest first, and how many it has: (posts, total)."""
        thread = db.session.get(Thread, thread_id)
        if thread is None:
            raise KeyError(thread_id)
        start = (page - 1) * per_page
        if start >= thread.post_count:
            return [], thread.post_count
        query = (
            select(Post)
            .where(Post.thread_id == thread_id)
            .order_by(Post.id)
            .limit(per_page)
            .offset(start)
            .options(selectinload(Post.image))
        )
        return with_quotes([post_dict(post) for post in db.session.scalars(query)]), thread.post_count

    def add_reply(self, thread_id, body, image=None, bump_limit=None, reply_limit=None):
        """Add a reply to a thread and bump the thread to the top; return the post.

        One transaction: the post and the bump are stored together or not at all.
        A locked thread takes no reply: ThreadLocked (403). A thread with
        `reply_limit` replies is closed: ThreadClosed (403). Replies
        after the first `bump_limit` are kept but no longer bump the thread, so
        that it sinks (None: no limit). Raises KeyError for an unknown thread.
        """
        now = _now()
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
            post = new_post(thread, body, image, now)
            session.add(post)
            thread.reply_count += 1
            thread.post_count += 1
            if bump_limit is None or thread.reply_count <= bump_limit:
                thread.bumped_at = now
                thread.bump_order = next_bump_order()
            session.flush()
            keep_files(session, image)
            record_quotes(session, post)
            record_event(session, thread_id, "post", post.id)
            return post_dict(post)

    # --- live updates -------------------------------------------------------------

    def last_event_id(self, thread_id):
        """The id of the thread's newest event, or 0 if it has none (yet, or any
        more: they are deleted after a day). Every change of the thread writes an
        event with a higher id than any before it, so this number changes
        whenever the thread does (the API's ETag is made from it)."""
        query = select(func.coalesce(func.max(ThreadEvent.id), 0)).where(ThreadEvent.thread_id == thread_id)
        return db.session.scalar(query)

    def count_events_after(self, thread_id, after, at_most):
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

    def events_after(self, thread_id, after):
        """The thread's events whose id is greater than `after`, oldest first:
        dictionaries {"id", "kind", "post_id", "board", "post"}.

        "board" is the board the thread is on now (None once it is deleted):
        what a "move" tells the page. "post" is the post of a "post" event, with
        its image, as the thread page shows it (None once it is deleted).

        One query, whatever comes back: ix_thread_events_thread_id_id finds the
        events (most often none at all), the primary keys their thread, post
        and image. Each open socket runs it about once a second. As the first
        query of its session (live.py's is), on PostgreSQL, it runs in
        autocommit mode: a single SELECT is consistent by itself, and one round
        trip to the server is cheaper than three (BEGIN, SELECT, ROLLBACK).
        Only when new posts came, two more, by primary key and index: their
        quotes and the backlinks a page must now show (with_quotes).
        """
        if on_postgresql() and not db.session().in_transaction():
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        rows = db.session.execute(events_after_query(), {"thread_id": thread_id, "after": after})
        events = [
            {"id": id_, "kind": kind, "post_id": post_id, "board": board, "post": post and post_dict(post)}
            for id_, kind, post_id, board, post in rows
        ]
        with_quotes([event["post"] for event in events if event["post"]], updates=True)
        return events

    def posts_after(self, thread_id, after, limit):
        """At most `limit` posts of the thread whose id is greater than `after`,
        oldest first (the API's ?after=). ix_posts_thread_id_id starts right at
        the first new post: the old ones are not read at all."""
        query = (
            select(Post)
            .where(Post.thread_id == thread_id, Post.id > after)
            .order_by(Post.id)
            .limit(limit)
            .options(selectinload(Post.image))
        )
        return with_quotes([post_dict(post) for post in db.session.scalars(query)], updates=True)

    def post_ids(self, thread_id):
        """The ids of every post the thread has now, lowest first (read from the index alone)."""
        return list(db.session.scalars(select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id)))

    def prune_board(self, slug, max_threads, max_upload_bytes):
        """Delete a board's least recently active threads while it is over a budget
        (pinned threads only when no other is left).

        `max_threads`: how many threads a board keeps; `max_upload_bytes`: how
        many bytes of images. Returns the paths (inside UPLOAD_FOLDER) of the
        deleted threads' images. Their files go once this transaction is
        committed, never before (a failed delete keeps its files), and only
        those no other post uses (remove_unused_files).
        """
        removed = []
        with write_transaction() as session:
            # Pinned threads go last, after every other one (the board's index, read forwards).
            oldest_first = (
                select(Thread.id).where(Thread.board == slug).order_by(Thread.pinned, Thread.bump_order)
            )
            count = self._count_threads(slug)
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
                images = images_of_thread(session, thread_id)
                session.execute(delete(Thread).where(Thread.id == thread_id))  # posts and images cascade
                record_event(session, thread_id, "thread-delete")
                removed += images
                used -= sum(image["size"] for image in images)
                count -= 1
        self.remove_unused_files(removed)
        return [image["path"] for image in removed]

    def image_paths(self):
        """Every stored file's path, thumbnails included, as a set (for `flask prune-uploads`)."""
        rows = db.session.execute(select(Image.path, Image.thumbnail_path))
        return {path for row in rows for path in row if path}

    def site_id(self):
        """The random id of this database (models.SiteIdentity), or None if it has none."""
        return db.session.scalar(select(SiteIdentity.id))

    def remove_unused_files(self, images):
        """Delete the files of these images (store's image dictionaries) that no
        post uses any more: the other half of keep_files.

        Files are shared (files.py), so "is this SHA-256 still used?" and the
        unlink must not race with a new post of the same file, which could find
        the file there, store its row, and lose the file to us a moment later.
        So both run inside one write transaction that holds each SHA-256's lock
        (lock_file): on SQLite, BEGIN IMMEDIATE already lets one writer in at a
        time; on PostgreSQL, pg_advisory_xact_lock(key of the SHA-256), which
        the uploader's transaction takes too, after inserting its row. Either
        the uploader goes first, and we see its committed row and keep the file;
        or we go first, and the uploader, its turn come, finds the file gone
        and writes it again from memory. The query runs after the locks are
        taken, so it sees every row committed before them.

        Files stored before migration 0006 (no SHA-256) belong to their one post:
        they go at once. Call this once the rows are deleted and committed.
        """
        shared = sorted({image["sha256"] for image in images if image["sha256"]})
        files.remove(path for image in images if not image["sha256"] for path in files.paths_of(image))
        if not shared:
            return
        with write_transaction() as session:
            for sha256 in shared:  # always in the same order: two deleters never wait for each other
                lock_file(session, sha256)
            used = set(session.scalars(select(Image.sha256).where(Image.sha256.in_(shared)).distinct()))
            unused = [image for image in images if image["sha256"] and image["sha256"] not in used]
            files.remove(path for image in unused for path in files.paths_of(image))

    # --- search -------------------------------------------------------------------

    def search(self, query, page=1, per_page=RESULTS_PER_PAGE):
        """Threads whose title or posts contain every word of the query, ignoring case.

        A word matches the start of a word in the text: "tele" finds "telescope".
        Returns (results, total): one page of {"thread", "board", "excerpt"}, the
        most recently active thread first, and how many threads match in all.
        An empty query finds nothing. The database's full-text index finds the
        matches (FTS5 on SQLite, a GIN index on PostgreSQL), not a scan.
        """
        words = search_words(query)
        if not words:
            return [], 0
        dialect = db.session.get_bind().dialect.name
        queries = search_queries(dialect, len(words))
        values = {f"word{number}": word_pattern(dialect, word) for number, word in enumerate(words)}
        # How many threads match, and the highest thread id (about how many
        # threads there are, to choose how to find the page), in one query.
        total, last_id = db.session.execute(queries.count, values).one()
        start = (page - 1) * per_page
        if start >= total:
            return [], total
        page_query = queries.walk if walking_is_shorter(total, last_id, start, per_page) else queries.look_up
        rows = db.session.execute(page_query, {**values, "start": start, "per_page": per_page})
        threads = [dict(thread) for thread in rows.mappings()]
        excerpts = excerpts_for([thread["id"] for thread in threads], words[0])
        results = [
            {
                "thread": thread,
                "board": dict(self._boards[thread["board"]]),
                "excerpt": excerpts.get(thread["id"], ""),
            }
            for thread in threads
        ]
        return results, total

    # --- moderation: posts and threads ----------------------------------------------
    #
    # Each method is one write transaction that changes something and writes its
    # audit log entry (`moderator`: the staff member's username). Nothing changes,
    # and nothing is logged, when the thing is not there (None: the view answers
    # 404) or already is as asked (a second "lock" of a locked thread).

    def post(self, post_id):
        """The post with this id, or None."""
        post = db.session.get(Post, post_id, options=[selectinload(Post.image)])
        return post_dict(post) if post else None

    def delete_post(self, post_id, moderator):
        """Delete a post, with its image's row and its reports; return (its thread
        as it is now, the paths of its image files), or None for an unknown post.
        Its files go too, unless another post uses them (remove_unused_files).

        The thread counts one post less, and one reply less unless the post was
        its opening post (see fourchan_data.has_opening_post: a thread has one post
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
            post = session.scalar(select(Post).where(Post.id == post_id).options(selectinload(Post.image)))
            if post is None:
                return None
            first_post_id = session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread_id))
            was_opening_post = thread.post_count > thread.reply_count and post.id == first_post_id
            images = [image_dict(post.image)] if post.image else []
            details = post.body[:100]
            session.execute(delete(Post).where(Post.id == post_id))  # its image and reports cascade
            thread.post_count -= 1
            if not was_opening_post:
                thread.reply_count -= 1
            audit(session, moderator, "delete post", f"post {post_id} in thread {thread_id}", details)
            record_event(session, thread_id, "delete", post_id)
            found = thread_dict(thread)
        self.remove_unused_files(images)
        return found, [image["path"] for image in images]

    def delete_thread(self, thread_id, moderator):
        """Delete a thread with all its posts, images and reports; return (the
        thread as it was, the paths of its image files), or None. The files go
        too, unless another post uses them (remove_unused_files)."""
        with write_transaction() as session:
            thread = session.get(Thread, thread_id, with_for_update=True)
            if thread is None:
                return None
            found = thread_dict(thread)
            images = images_of_thread(session, thread_id)
            session.execute(delete(Thread).where(Thread.id == thread_id))  # posts, images, reports cascade
            audit(session, moderator, "delete thread", f"thread {thread_id}", found["title"][:100])
            # thread_events has no foreign key: this row outlives the thread, and
            # the pages that have it open learn from it that it is gone.
            record_event(session, thread_id, "thread-delete")
        self.remove_unused_files(images)
        return found, [image["path"] for image in images]

    def lock_thread(self, thread_id, locked, moderator):
        """Lock (True) or unlock (False) a thread; return it, or None."""
        action = "lock thread" if locked else "unlock thread"
        return self._set_thread_flag(thread_id, "locked", locked, moderator, action)

    def pin_thread(self, thread_id, pinned, moderator):
        """Pin (True) or unpin (False) a thread; return it, or None."""
        action = "pin thread" if pinned else "unpin thread"
        return self._set_thread_flag(thread_id, "pinned", pinned, moderator, action)

    def _set_thread_flag(self, thread_id, flag, value, moderator, action):
        with write_transaction() as session:
            thread = session.get(Thread, thread_id, with_for_update=True)
            if thread is None:
                return None
            if getattr(thread, flag) != value:
                setattr(thread, flag, value)
                audit(session, moderator, action, f"thread {thread_id}", thread.title[:100])
                if flag == "locked":  # a pin changes the board page, not the thread's
                    record_event(session, thread_id, "lock" if value else "unlock")
            return thread_dict(thread)

    def move_thread(self, thread_id, board_slug, moderator):
        """Move a thread to another board; return it, or None for an unknown thread.
        Its images stay where they are (their paths name the old board: only a name).
        Raises KeyError for an unknown board."""
        if board_slug not in self._boards:
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
            return thread_dict(thread)

    # --- moderation: reports ------------------------------------------------------------

    def add_report(self, post_id, reason, details, client=None):
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
                Report(post_id=post_id, reason=reason, details=details, created_at=_now(), client=client)
            )
            return {"id": post.id, "thread_id": post.thread_id}

    def open_reports(self, page=1, per_page=50):
        """One page of the reports no moderator has dismissed, newest first, each
        with its post; and how many there are in all: (reports, total)."""
        total = self.open_report_count()
        query = (
            select(Report)
            .where(Report.dismissed_at.is_(None))
            .order_by(Report.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .options(selectinload(Report.post).selectinload(Post.image))
        )
        return [report_dict(report) for report in db.session.scalars(query)], total

    def open_report_count(self):
        """How many reports are open."""
        query = select(func.count()).select_from(Report).where(Report.dismissed_at.is_(None))
        return db.session.scalar(query)

    def dismiss_report(self, report_id, moderator):
        """Close an open report without touching its post. False if there is no
        such report or it was already dismissed."""
        with write_transaction() as session:
            report = session.get(Report, report_id, with_for_update=True)
            if report is None or report.dismissed_at is not None:
                return False
            report.dismissed_at = _now()
            report.dismissed_by = moderator
            target = f"report {report_id} of post {report.post_id}"
            audit(session, moderator, "dismiss report", target, report.reason)
            return True

    # --- moderation: the audit log -------------------------------------------------------

    def audit_log(self, page=1, per_page=100):
        """One page of the audit log, newest first, and how many entries it has in all."""
        total = db.session.scalar(select(func.count()).select_from(AuditEntry))
        newest_first = select(AuditEntry).order_by(AuditEntry.id.desc())
        query = newest_first.limit(per_page).offset((page - 1) * per_page)
        return [audit_dict(entry) for entry in db.session.scalars(query)], total

    # --- staff accounts ---------------------------------------------------------------------

    def add_user(self, username, password_hash, role, by=None):
        """Create a staff account; return it. Raises UsernameTaken if the name (in
        any case) is taken. `by`: the admin who did it, for the audit log (None from
        the command line: whoever can run `flask` on the server owns the site)."""
        with write_transaction() as session:
            key = username.lower()
            if session.scalar(select(User.id).where(User.username_key == key)) is not None:
                raise UsernameTaken(username)
            user = User(
                username=username, username_key=key, password_hash=password_hash, role=role, created_at=_now()
            )
            session.add(user)
            try:
                session.flush()  # two admins creating "mia" at the same moment: one wins
            except IntegrityError:
                raise UsernameTaken(username) from None
            if by is not None:
                audit(session, by, "create user", f"user {username}", f"role {role}")
            return user_dict(user)

    def users(self):
        """Every staff account, A to Z."""
        return [user_dict(user) for user in db.session.scalars(select(User).order_by(User.username_key))]

    def user(self, user_id):
        """The account with this id (a dictionary), or None."""
        user = db.session.get(User, user_id)
        return user_dict(user) if user else None

    def login_user(self, user_id, session_version):
        """For Flask-Login: the enabled account with this id as a models.User (what
        Flask-Login keeps as current_user), or None. Read on every request, so a
        new role, a disabled account or a logout counts from the next request on.
        None too when the session is of an older version (end_sessions)."""
        user = db.session.get(User, user_id)
        if user is None or user.disabled or user.session_version != session_version:
            return None
        return user

    def end_sessions(self, user_id):
        """End every session of this account, every copy of its cookie included:
        they hold the old session_version (models.User.get_id)."""
        with write_transaction() as session:
            session.execute(
                update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
            )

    def user_by_name(self, username):
        """The account with this name, in any case, as a models.User; or None."""
        if "\x00" in username:
            return None  # no name has one, and PostgreSQL's text cannot hold it (an error, not None)
        return db.session.scalar(select(User).where(User.username_key == username.lower()))

    def set_role(self, user_id, role, by):
        """Give an account a new role; return it, or None for an unknown id."""
        with write_transaction() as session:
            user = session.get(User, user_id, with_for_update=True)
            if user is None:
                return None
            if user.role != role:
                audit(session, by, "change role", f"user {user.username}", f"{user.role} → {role}")
                user.role = role
            return user_dict(user)

    def set_disabled(self, user_id, disabled, by):
        """Disable (True) or enable (False) an account; return it, or None."""
        with write_transaction() as session:
            user = session.get(User, user_id, with_for_update=True)
            if user is None:
                return None
            if user.disabled != disabled:
                user.disabled = disabled
                if disabled:  # its sessions end for good: enabled again, it logs in afresh
                    user.session_version += 1
                audit(session, by, "disable user" if disabled else "enable user", f"user {user.username}")
            return user_dict(user)


# --- helpers ------------------------------------------------------------------------


def record_event(session, thread_id, kind, post_id=None):
    """Write one event of a thread, in the transaction of `session` (the
    write_transaction of the change): stored with the change, or not at all.

    `kind` is one of models.EVENT_KINDS; `post_id` names the post of a "post"
    or "delete". Then the news goes out, but only once the change is committed:

    - this process's sockets on the thread are woken right after the COMMIT
      (db.after_commit: the live Notifier, see live.py);
    - on PostgreSQL, pg_notify() tells every process (live.py's Listener),
      this one included. PostgreSQL delivers a NOTIFY when its transaction
      commits, and never if it rolls back: the same guarantee, from the database.

    The ids of one thread's events follow the order of their COMMITs, which is
    what lets a socket remember only "the last id I sent". On SQLite writers
    take turns. On PostgreSQL every change of a thread first locks the thread's
    row (FOR UPDATE, or the DELETE itself) and only then takes its event id,
    and holds the lock until it commits: no event of a thread can take an id
    and commit after a later one. (Without the lock, a socket could send event
    12, and never see 11 committed a moment later.)

    Once every PRUNE_EVENTS_EVERY events, those older than KEEP_EVENTS_FOR go.
    """
    now = _now()
    event = ThreadEvent(thread_id=thread_id, kind=kind, post_id=post_id, created_at=now)
    session.add(event)
    session.flush()  # its id, now
    if on_postgresql():
        session.execute(select(func.pg_notify(EVENTS_CHANNEL, str(thread_id))))
    notifier = current_app.extensions["live"]
    after_commit(session, lambda: notifier.committed(thread_id))
    if event.id % PRUNE_EVENTS_EVERY == 0:
        old = delete(ThreadEvent).where(ThreadEvent.created_at < now - KEEP_EVENTS_FOR)
        # synchronize_session=False: the session holds no old events to forget.
        session.execute(old.execution_options(synchronize_session=False))



def new_post(thread, body, image, now):
    """A new post for `thread`, with its image's description if it has one."""
    post = Post(thread=thread, body=body, created_at=now)
    if image:
        post.image = Image(**{field: image.get(field) for field in IMAGE_FIELDS})
    return post


def record_quotes(session, post):
    """Write the quotes of a new post (its id known: flushed), in its transaction:
    the distinct >>N of its text (the first MAX_QUOTES_PER_POST), of posts that
    exist now, never itself. A >>N of a later post stays text for good."""
    wanted = [post_id for post_id in quoted_ids(post.body) if post_id != post.id]
    if not wanted:
        return
    existing = session.scalars(select(Post.id).where(Post.id.in_(wanted)))
    session.add_all(Quote(post_id=post.id, quoted_id=quoted_id) for quoted_id in existing)


def with_quotes(posts, updates=False):
    """Add to each post dictionary what its page needs for quotes, in two queries
    for any number of posts (see formatting.body_html and backlinks):

    - "quotes": {quoted id: its thread id}, the posts it links to;
    - "backlinks": [(quoting id, its thread id)], the posts that quote it, oldest first;
    - with `updates` (a new post, for live pages): "backlink_updates",
      {quoted id: its backlinks as above} for each post it quotes in its own
      thread, whose backlinks line an open page must now show anew.

    Returns `posts`. A deleted post's rows went with it (ON DELETE CASCADE)."""
    if not posts:
        return posts
    ids = [post["id"] for post in posts]
    rows = db.session.execute(
        select(Quote.post_id, Quote.quoted_id, Post.thread_id)
        .join(Post, Post.id == Quote.quoted_id)
        .where(Quote.post_id.in_(ids))
    )
    quotes = {}
    for post_id, quoted_id, thread_id in rows:
        quotes.setdefault(post_id, {})[quoted_id] = thread_id
    for post in posts:
        post["quotes"] = dict(sorted(quotes.get(post["id"], {}).items()))

    def quoted_here(post):
        return [quoted for quoted, thread in post["quotes"].items() if thread == post["thread_id"]]

    updated = [quoted for post in posts for quoted in quoted_here(post)] if updates else []
    backlinks = backlinks_of([*ids, *updated])
    for post in posts:
        post["backlinks"] = backlinks.get(post["id"], [])
        if updates:
            post["backlink_updates"] = {quoted: backlinks.get(quoted, []) for quoted in quoted_here(post)}
    return posts


def backlinks_of(post_ids):
    """{post id: [(quoting id, its thread id)], oldest first} for these posts."""
    rows = db.session.execute(
        select(Quote.quoted_id, Quote.post_id, Post.thread_id)
        .join(Post, Post.id == Quote.post_id)
        .where(Quote.quoted_id.in_(post_ids))
        .order_by(Quote.post_id)
    )
    backlinks = {}
    for quoted_id, post_id, thread_id in rows:
        backlinks.setdefault(quoted_id, []).append((post_id, thread_id))
    return backlinks


def keep_files(session, image):
    """The uploader's half of Store.remove_unused_files: with the new post's row
    inserted (not yet committed), take the file's lock and write its files
    (image["contents"]: {path: bytes}, see uploads.describe_upload) unless they
    are there: another post has the same file, and a deleter cannot remove it
    now. image["wrote_files"] says whether it wrote any (uploads.saved_image).

    The files are written here, inside the transaction, and not before it: a
    post that cannot be stored (a locked thread, a busy database) has written
    nothing. It holds the write lock for the few milliseconds of the writing."""
    if image and image.get("contents"):
        lock_file(session, image["sha256"])
        if files.site_id() is None:
            # The first upload pairs the folder with this database, for `flask prune-uploads`.
            files.write_site_id(session.scalar(select(SiteIdentity.id)))
        image["wrote_files"] = files.write_missing(image["contents"])


def lock_file(session, sha256):
    """PostgreSQL: take the lock of this SHA-256's file until the transaction ends
    (pg_advisory_xact_lock, keyed on the first 64 bits of the SHA-256). SQLite:
    nothing to do, a write transaction is the only one."""
    if on_postgresql():
        key = int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(key)))


def images_of_thread(session, thread_id):
    """The image dictionaries of a thread's posts."""
    query = select(Image).join(Post, Image.post_id == Post.id).where(Post.thread_id == thread_id)
    return [image_dict(image) for image in session.scalars(query)]


def next_bump_order():
    """The next bump number: higher than every thread's so far.

    On SQLite the writer holds the database's only write lock (BEGIN IMMEDIATE),
    so max() + 1 cannot be handed out twice, and the index makes max() instant.
    On PostgreSQL writers run side by side, so a sequence hands out the numbers.
    """
    if on_postgresql():
        return db.session.scalar(BUMP_ORDER_SEQUENCE.next_value())
    return db.session.scalar(select(func.coalesce(func.max(Thread.bump_order), 0) + 1))


def search_words(query):
    """The distinct lower-case words of a query, in order, at most MAX_SEARCH_WORDS.

    A "word" is a run of letters and digits, the same rule as the full-text
    indexes, so punctuation can never reach the search syntax.
    """
    words = dict.fromkeys(re.findall(r"[^\W_]+", query.lower()))
    return list(words)[:MAX_SEARCH_WORDS]


# The SELECTs of a search for some number of words (see search_queries).
SearchQueries = namedtuple("SearchQueries", "count walk look_up")


@cache
def search_queries(dialect, word_count):
    """The SELECTs of a search for `word_count` words on `dialect` ("sqlite" or
    "postgresql"), built once and kept.

    Building a SELECT this size with SQLAlchemy takes about as long as SQLite
    takes to run it, so each is built once, with placeholders (bindparam) for
    the words (word0, word1... see word_pattern) and the page (start, per_page),
    and run with new values each time:

    - count: how many threads match, and the highest thread id;
    - walk and look_up: one page of them, most recently active first, found
      one of two ways (see walking_is_shorter).
    """
    words = [bindparam(f"word{number}") for number in range(word_count)]
    matching = threads_with_every_word(dialect, words).subquery()
    count = select(func.count(matching.c.thread_id.distinct()), select(func.max(Thread.id)).scalar_subquery())
    columns = [getattr(Thread, field) for field in THREAD_FIELDS]  # the thread dictionaries' keys
    newest_first = (
        select(*columns)
        .order_by(Thread.bump_order.desc())
        .limit(bindparam("per_page"))
        .offset(bindparam("start"))
    )
    look_up = newest_first.where(Thread.id.in_(select(matching.c.thread_id)))
    if dialect != "sqlite":
        return SearchQueries(count, look_up, look_up)  # PostgreSQL's planner chooses by itself
    # "threads.id + 0" is not the id column: SQLite cannot use it to find the
    # threads, so it walks ix_threads_bump_order instead.
    walk = newest_first.where((Thread.id + 0).in_(select(matching.c.thread_id)))
    return SearchQueries(count, walk, look_up)


@cache
def events_after_query():
    """The SELECT of Store.events_after, built once and kept (see search_queries):
    the sockets run it thousands of times a minute, and building it each time
    cost more than running it."""
    return (
        select(ThreadEvent.id, ThreadEvent.kind, ThreadEvent.post_id, Thread.board, Post)
        .outerjoin(Thread, Thread.id == ThreadEvent.thread_id)
        .outerjoin(Post, and_(ThreadEvent.kind == "post", Post.id == ThreadEvent.post_id))
        .where(ThreadEvent.thread_id == bindparam("thread_id"), ThreadEvent.id > bindparam("after"))
        .order_by(ThreadEvent.id)
        .options(joinedload(Post.image))  # in the same query, not one more
    )


def walking_is_shorter(total, threads, start, per_page):
    """Whether to find a page of results by walking, for `total` matches among about `threads`.

    There are two ways to find the page, and the faster one depends on how many match:

    - walk all threads newest first (index ix_threads_bump_order), keeping the
      matching ones until the page is full: about (start + per_page) x threads / total
      steps, few when many threads match;
    - look every matching thread up by id, then sort them: about `total` steps.

    PostgreSQL's planner estimates how many rows a full-text search finds and
    chooses by itself. SQLite's cannot see into FTS5, so we choose for it.
    """
    return (start + per_page) * threads < total * total


def word_pattern(dialect, word):
    """The value for a word's placeholder: "a word starting with `word`" in the
    database's own syntax. `word` holds only letters and digits (search_words)."""
    if dialect == "postgresql":
        return word + ":*"  # a tsquery
    return f'"{word}"*'  # FTS5: a quoted word, * for "starting with"


def threads_with_every_word(dialect, words):
    """A SELECT of the ids ("thread_id") of the threads that have every one of `words`
    (their placeholders): one set of threads per word, and the threads that are
    in all of them. (An id may come more than once: count them with DISTINCT.)"""
    per_word = [threads_with_word(dialect, word) for word in words]
    if len(per_word) == 1:
        return per_word[0]
    # Each set in brackets, as a subquery: SQLite reads "a UNION b INTERSECT c" left to right.
    return intersect(*(select(threads.subquery().c.thread_id) for threads in per_word))


def threads_with_word(dialect, word):
    """A SELECT of the ids ("thread_id") of the threads whose title or some post has a
    word starting with `word` (a placeholder, see word_pattern).

    A thread with the word in several posts comes several times: UNION ALL,
    not UNION, which would sort them out at a cost. "IN (...)" and INTERSECT
    take each id once anyway.

    On SQLite the post index knows each post's thread (its rowid is a search key,
    see thread_of_key), so this reads the index and nothing else.
    """
    if dialect == "postgresql":
        title_has_word = func.to_tsvector(SIMPLE, Thread.title).op("@@")(func.to_tsquery(SIMPLE, word))
        in_posts = select(Post.thread_id).where(post_has_word(word))
        in_titles = select(Thread.id).where(title_has_word)
    else:
        in_posts = select(thread_of_key(POST_SEARCH.c.rowid).label("thread_id"))
        in_posts = in_posts.where(fts_match("post_search", word))
        in_titles = select(THREAD_SEARCH.c.rowid).where(fts_match("thread_search", word))
    return union_all(in_posts, in_titles)  # the first SELECT names the column


def posts_with_word(dialect, word, thread_ids):
    """A SELECT of the ids of the posts of these threads that have a word starting with `word`."""
    if dialect == "postgresql":
        return select(Post.id).where(Post.thread_id.in_(thread_ids), post_has_word(word))
    key = POST_SEARCH.c.rowid
    return select(post_of_key(key)).where(fts_match("post_search", word), thread_of_key(key).in_(thread_ids))


def post_has_word(word):
    """PostgreSQL: the condition "this post has a word starting with `word`", for a WHERE clause."""
    # The same expression as the GIN index, so that PostgreSQL uses the index.
    return func.to_tsvector(SIMPLE, Post.body).op("@@")(func.to_tsquery(SIMPLE, word))


def thread_of_key(key):
    """SQLite: the thread id in a post's search key (the rowid of post_search).

    The key is thread_id << 32 | post id (migration 0002): the thread in the
    high bits, the post in the low 32 bits.
    """
    return key.bitwise_rshift(32)


def post_of_key(key):
    """SQLite: the post id in a post's search key (see thread_of_key)."""
    return key.bitwise_and(0xFFFFFFFF)


def fts_match(index, word):
    """SQLite: "<index> MATCH :word", for the FTS5 table `index`."""
    return literal_column(index).op("MATCH")(word)


def on_postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


@cache
def excerpt_queries(dialect):
    """The two SELECTs of excerpts_for, built once (see search_queries): the posts
    of some threads (placeholder thread_ids) that have a word (word0), and the
    first post of each of some threads (thread_ids)."""
    thread_ids = bindparam("thread_ids", expanding=True)  # a list of any length
    with_word = (
        select(Post.thread_id, Post.body)
        .where(Post.id.in_(posts_with_word(dialect, bindparam("word0"), thread_ids)))
        .order_by(Post.id.desc())  # the oldest last, so that it wins
    )
    first_post_ids = select(func.min(Post.id)).where(Post.thread_id.in_(thread_ids)).group_by(Post.thread_id)
    first_posts = select(Post.thread_id, Post.body).where(Post.id.in_(first_post_ids))
    return with_word, first_posts


def excerpts_for(thread_ids, word, width=160):
    """{thread id: excerpt} for one page of results: about `width` characters around
    `word` in the first post that has it, else the start of the thread's first post."""
    if not thread_ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    with_word, first_posts = excerpt_queries(dialect)
    excerpts = {}
    values = {"word0": word_pattern(dialect, word), "thread_ids": thread_ids}
    for thread_id, body in db.session.execute(with_word, values):
        position = body.lower().find(word)
        if position != -1:
            excerpts[thread_id] = cut(body, max(0, position - width // 3), width)
    # The others (found by their title): the start of their first post, if they have one.
    others = [thread_id for thread_id in thread_ids if thread_id not in excerpts]
    if others:
        for thread_id, body in db.session.execute(first_posts, {"thread_ids": others}):
            excerpts[thread_id] = cut(body, 0, width)
    return excerpts


def thread_dict(thread):
    """A thread row as a dictionary (see the top of this file)."""
    return {field: getattr(thread, field) for field in THREAD_FIELDS}


def image_dict(image):
    """An image row as a dictionary (see the top of this file)."""
    return {field: getattr(image, field) for field in IMAGE_FIELDS}


def post_dict(post):
    """A post row as a dictionary, with its image's description or None."""
    image = image_dict(post.image) if post.image else None
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "body": post.body,
        "image": image,
        "created_at": post.created_at,
    }


def audit(session, username, action, target, details=""):
    """Add an audit log entry to the transaction of `session`: stored with the
    change it describes, or not at all."""
    entry = AuditEntry(created_at=_now(), username=username, action=action, target=target, details=details)
    session.add(entry)


def report_dict(report):
    """A report as a dictionary, with its post (store.post_dict)."""
    return {
        "id": report.id,
        "reason": report.reason,
        "details": report.details,
        "created_at": report.created_at,
        "post": post_dict(report.post),
    }


def user_dict(user):
    """An account as a dictionary: never its password hash."""
    return {field: getattr(user, field) for field in ("id", "username", "role", "created_at", "disabled")}


def audit_dict(entry):
    fields = ("id", "created_at", "username", "action", "target", "details")
    return {field: getattr(entry, field) for field in fields}


def _now():
    """The current time in UTC, as an aware datetime."""
    return datetime.now(timezone.utc)


def cut(text, start, width):
    """text[start:start + width], with "…" where something was left out."""
    piece = text[start : start + width]
    if start > 0:
        piece = "…" + piece
    if start + width < len(text):
        piece = piece + "…"
    return piece
