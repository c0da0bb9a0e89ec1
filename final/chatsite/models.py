"""The tables: threads, their posts, and the images attached to posts.

Boards are not a table: they are settings (config.BOARDS), and a thread names
its board by slug. Every change to these classes needs a migration in
migrations/versions/ (a test compares the two).

The search indexes are not here either: SQLite's FTS5 tables and PostgreSQL's
GIN indexes are different things, so the migration creates the right one for
the database it runs on (see migrations/versions/0001_initial.py).
"""

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chatsite.db import db


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
        # A board page: this board's threads, most recently active first.
        Index("ix_threads_board_bump_order", "board", "bump_order"),
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
    post_count: Mapped[int] = mapped_column(Integer, default=0)

    posts: Mapped[list["Post"]] = relationship(
        back_populates="thread", order_by="Post.id", passive_deletes=True
    )


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


class Image(db.Model):
    """What we know of an uploaded image; the bytes are a file in UPLOAD_FOLDER."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    # Where the file is, inside UPLOAD_FOLDER: "<board>/<YYYY>/<MM>/<random>.png".
    path: Mapped[str] = mapped_column(String(255), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(200))
    # Base64 of the MD5 of the bytes (24 characters), as 4chan's API gives it; None for
    # images stored before migration 0003 (until `flask fill-md5` reads their files).
    md5: Mapped[str | None] = mapped_column(String(24))

    post: Mapped[Post] = relationship(back_populates="image")


# The columns store.py copies into the dictionaries it hands to views and templates.
THREAD_FIELDS = ("id", "board", "title", "created_at", "bumped_at", "reply_count", "post_count")
IMAGE_FIELDS = ("path", "content_type", "size", "width", "height", "original_name", "md5")
