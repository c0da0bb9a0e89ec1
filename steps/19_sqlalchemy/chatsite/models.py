"""The tables: threads, their posts, the images attached to posts, and which
posts quote which; for moderation, the staff's accounts, visitors' reports and
the audit log; and for live updates, the events of each thread; and the
requests flood control counted (limit_entries).

Boards are not a table: they are settings (config.BOARDS), and a thread names
its board by slug (Board, at the end, is what the pages are given of one).
Every change to the tables needs a migration in migrations/versions/ (a test
compares the two).

The pages and the JSON answers are given these objects as they are: a thread
page's template reads thread.title, post.body, post.image.width...

The search indexes are not here either: SQLite's FTS5 tables and PostgreSQL's
GIN indexes are different things, so the migration creates the right one for
the database it runs on (see migrations/versions/0001_initial.py).
"""

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


def utc_now():
    """The current time in UTC, as an aware datetime: what every *_at column holds."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A moment in time, always handed back as an aware datetime in UTC.

    PostgreSQL keeps the time zone (timestamptz). SQLite has no date type at all
    and stores text, so we store UTC there and put the zone back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Thread(db.Model):
    __tablename__ = "threads"
    # AUTOINCREMENT: SQLite never hands out a deleted thread's id again.
    __table_args__ = (
        # A board page: this board's threads, pinned ones first, then the most
        # recently active (read backwards: pinned DESC, bump_order DESC).
        Index("ix_threads_board_pinned_bump_order", "board", "pinned", "bump_order"),
        # Search results, site-wide, most recently active first.
        Index("ix_threads_bump_order", "bump_order"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    bumped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Grows by one with every new thread and every reply, across the site: the
    # board lists threads by it. A counter, not the clock: two clocks can tie.
    bump_order: Mapped[int] = mapped_column(BigInteger)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # Kept as counters so that a board page does not count 50 threads' posts.
    # Every post is a reply except the opening post, so a thread has one post more
    # than it has replies exactly when its opening post is there (a thread can be
    # started with a title only, and a moderator can delete its opening post).
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set by moderators: a locked thread takes no replies; a pinned one stays at
    # the top of its board.
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    posts: Mapped[list["Post"]] = relationship(
        back_populates="thread", order_by="Post.id", passive_deletes=True
    )

    @property
    def has_opening_post(self):
        """True if the thread started with a post, False for a title-only thread
        (or one whose opening post a moderator deleted).

        The counters say it: every post is a reply except the opening post, so a
        thread with one has one post more than it has replies."""
        return self.post_count > self.reply_count


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # A thread page: this thread's posts, oldest first.
        Index("ix_posts_thread_id_id", "thread_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship(back_populates="posts")
    image: Mapped["Image | None"] = relationship(back_populates="post", passive_deletes=True)

    # Not columns: what a page needs to link quotes, filled for all of its posts
    # at once (quoting.with_quotes; formatting.body_html and backlinks read them).
    # quotes: {quoted id: its thread id}, the posts this one links to.
    quotes = None
    # backlinks: [(quoting id, its thread id)], the posts that quote this one.
    backlinks = None
    # For a new post sent to live pages: the posts of its thread it quotes, whose
    # backlinks line those pages must draw again ([quoting.QuotedPost]).
    backlink_updates = None


class Image(db.Model):
    """What we know of an uploaded image or video; the bytes are files in UPLOAD_FOLDER.

    (The table kept its name when videos came: a video is a row here too, with
    no width, height or thumbnail.) Files are named by their content, so posts
    with the same file share it: see uploads.py."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    # The SHA-256 (hex) of the stored bytes; None for files stored before
    # migration 0006. Indexed: "does any post still use this file?"
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where the file is, inside UPLOAD_FOLDER: "<sha[:2]>/<sha>.png" (before 0006,
    # "<board>/<YYYY>/<MM>/<random>.png"). Not unique: posts share files.
    path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)  # of the stored bytes
    width: Mapped[int | None] = mapped_column(Integer)  # None for a video
    height: Mapped[int | None] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(200))
    # Base64 of the MD5 of the bytes (24 characters), as 4chan's API gives it; None for
    # images stored before migration 0003 (until `flask fill-md5` reads their files).
    md5: Mapped[str | None] = mapped_column(String(24))
    # The JPEG thumbnail, "<sha[:2]>/<sha>.thumb.jpg", and its size; None for a
    # video, and for images stored before migration 0006 (pages show those whole).
    thumbnail_path: Mapped[str | None] = mapped_column(String(255))
    thumbnail_width: Mapped[int | None] = mapped_column(Integer)
    thumbnail_height: Mapped[int | None] = mapped_column(Integer)

    post: Mapped[Post] = relationship(back_populates="image")


class Quote(db.Model):
    """Post `post_id` quotes post `quoted_id` (">>N" in its text, N existing when
    it was stored; formatting.py). Written in the post's own transaction; both
    go with either post (ON DELETE CASCADE), so a deleted post's links and
    backlinks disappear everywhere at once."""

    __tablename__ = "quotes"
    __table_args__ = (
        # A post's backlinks: the posts that quote it.
        Index("ix_quotes_quoted_id", "quoted_id"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    quoted_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)


class User(db.Model):
    """A staff member: a moderator or an admin. Visitors have no accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))  # as it was typed: "Mia"
    # The name lower-cased: "Mia" and "mia" are the same user. Unique, and how
    # login finds a user. (Names are ASCII, see forms.USERNAME_PATTERN.)
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # "admin" or "moderator" (ROLES)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Which "generation" of this account's sessions is valid. logins.login_user puts
    # it in the session next to the id; logging out and disabling the account add 1, so
    # every session from before, and every copy of its cookie, stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_admin(self):
        return self.role == "admin"


# The longest client address a report keeps: an IPv6 address has at most 45
# characters; behind a proxy, remote_addr is whatever ProxyFix found.
MAX_CLIENT_LENGTH = 100


class Report(db.Model):
    """A visitor's report of a post. It goes with its post (ON DELETE CASCADE)."""

    __tablename__ = "reports"
    __table_args__ = (
        # The open reports (dismissed_at IS NULL), newest first.
        Index("ix_reports_dismissed_at_id", "dismissed_at", "id"),
        Index("ix_reports_post_id", "post_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # forms.REPORT_REASONS
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who dismissed it and when; None while it is open. A name, not a user id:
    # the record outlives any change to the account.
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by: Mapped[str | None] = mapped_column(String(32))
    # Who sent it: the client's IP address, as flood control counts it (flood.py).
    # One client has at most one open report of a post. None for reports stored
    # before migration 0008.
    client: Mapped[str | None] = mapped_column(String(MAX_CLIENT_LENGTH))

    post: Mapped[Post] = relationship()


class AuditEntry(db.Model):
    """One thing a staff member did ("lock thread", "thread 3"). Everything is
    kept as text, the username too: an entry outlives what it describes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # newest first: id DESC
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text, default="")


class ThreadEvent(db.Model):
    """Something a reader of a thread page should see without reloading: a new
    post, a deleted post, the thread locked, unlocked, moved or deleted.

    Written in the same transaction as the change itself (thread_events.record_event),
    so there is never a change without its event, nor an event of a change that
    failed. The live sockets (live.py) and the API's ?after= (api.py) read them.

    Why a table, and not a message passed around inside the server? Several
    worker processes (and machines) have one database and many memories: every
    process sees the same rows, in one order (the id), and each socket only has
    to remember the last id it sent.

    No foreign keys, on purpose: a thread's "thread-delete" row must outlive
    the thread (open pages learn from it that the thread is gone), and the
    "delete" row of a post outlives the post it names.
    """

    __tablename__ = "thread_events"
    __table_args__ = (
        # "The events of thread 7 after event 41", about once a second for each
        # open socket: the index holds each thread's events in id order.
        Index("ix_thread_events_thread_id_id", "thread_id", "id"),
        # Events older than a day are deleted now and then: found by their time.
        Index("ix_thread_events_created_at", "created_at"),
        CheckConstraint(
            "kind IN ('post', 'delete', 'lock', 'unlock', 'move', 'thread-delete')",
            name="ck_thread_events_kind",
        ),
        # AUTOINCREMENT: SQLite never hands out an id twice, not even that of a
        # deleted (pruned) row, so "every event after 41" can never go back.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # EVENT_KINDS
    # The post of a "post" or "delete" event; None for the others.
    post_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SiteIdentity(db.Model):
    """One row: a random id of this site's database, made by migration 0010.

    The first upload writes it into the upload folder too (files.SITE_ID_FILE).
    `flask prune-uploads` deletes files only when the two match: it must know
    that the database it reads is the one those files belong to."""

    __tablename__ = "site_identity"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)


EVENT_KINDS = ("post", "delete", "lock", "unlock", "move", "thread-delete")


class LimitEntry(db.Model):
    """One request that flood control counted (a post, a report, a failed login):
    flood.py's marks. `key` says whose and which limit ("<view>/<address>").
    Times are seconds since 1970 (time.time()). A row stops counting at
    expires_at, and is deleted some time after."""

    __tablename__ = "limit_entries"
    __table_args__ = (
        # "How many under this key in the last N seconds?", at every limited request.
        Index("ix_limit_entries_key_at", "key", "at"),
        # The clean-up: the rows that no longer count.
        Index("ix_limit_entries_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


@dataclass(frozen=True)
class Board:
    """A board, as the settings describe it (config.BOARDS): not a table.

    thread_count is how many threads it has, where a page shows it
    (reading.all_boards), else None."""

    slug: str
    name: str
    description: str
    thread_count: int | None = None
