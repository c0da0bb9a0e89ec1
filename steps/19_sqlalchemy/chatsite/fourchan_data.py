"""The database side of the 4chan-compatible API (fourchan.py).

reading.py reads what the site's own pages need. 4chan's answers need a few
things more, about many threads at once: each thread's opening post, its last
few replies, when it last changed and how many images its replies carry. The
queries for those live here, so that fourchan.py, like the other views, writes
no SQL. They hand out the models (models.Thread, models.Post, models.Image),
and a ThreadSummary for what is computed about a thread.

Every list is read through an index, never by reading every post of a board:
"the first post of a thread" and "its last post" are each one step along
ix_posts_thread_id_id (thread_id, id), whatever the size of the thread.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import selectinload

from .db import db, write_transaction
from .images import md5_base64
from .models import Image, Post, Thread


@dataclass
class ThreadSummary:
    """What 4chan's answers tell of a thread (thread_summaries)."""

    thread: Thread
    first_post_id: int | None  # None if it has no posts
    last_post_at: datetime  # when its newest post was written (its start, if it has none)
    # Only with_posts (else None, [] and 0):
    opening_post: Post | None = None  # None for a title-only thread
    last_replies: list = field(default_factory=list)  # its last few replies, oldest first
    image_replies: int = 0  # how many of its replies carry an image


def thread_summaries(slug, with_posts=False, last_replies=5):
    """Every thread of a board in board order (pinned ones first, then the most
    recently active first), each as a ThreadSummary: with `with_posts`, with
    its opening post, its last `last_replies` replies and how many of its
    replies carry an image.
    """

    def of_this_thread(query):
        return query.where(Post.thread_id == Thread.id).correlate(Thread).scalar_subquery()

    first_post_id = of_this_thread(select(func.min(Post.id)))
    last_post_at = of_this_thread(select(Post.created_at).order_by(Post.id.desc()).limit(1))
    images = of_this_thread(select(func.count(Image.id)).join(Post, Image.post_id == Post.id))
    # The id of the thread's last_replies-th newest post: its posts from there on
    # are its last ones (all of them, 0, when it has fewer).
    nth_newest = of_this_thread(select(Post.id).order_by(Post.id.desc()).offset(last_replies - 1).limit(1))
    columns = [Thread, first_post_id.label("first_post_id"), last_post_at.label("last_post_at")]
    if with_posts:
        columns += [images.label("images"), func.coalesce(nth_newest, 0).label("last_replies_from")]
    board_threads = select(*columns).where(Thread.board == slug)
    # In board order: pinned threads first (4chan lists its stickies first too).
    newest_first = board_threads.order_by(Thread.pinned.desc(), Thread.bump_order.desc())
    rows = db.session.execute(newest_first).all()
    posts = posts_to_show(board_threads.subquery()) if with_posts else {}

    summaries = []
    for row in rows:
        thread = row.Thread
        summary = ThreadSummary(thread, row.first_post_id, row.last_post_at or thread.created_at)
        if with_posts:
            shown = posts.get(thread.id, [])
            opening_post = shown[0] if thread.has_opening_post and shown else None
            image_replies = row.images
            if opening_post is not None:
                shown = shown[1:]
                image_replies -= 1 if opening_post.image else 0
            summary.opening_post = opening_post
            summary.last_replies = shown[-last_replies:]
            summary.image_replies = image_replies
        summaries.append(summary)
    return summaries


def posts_to_show(threads):
    """{thread id: [its first post, then its last posts]} for the `threads` subquery
    of thread_summaries, oldest first. One query, each part an index lookup:
    a first post by its id, the last ones by (thread_id, id)."""
    first_posts = select(threads.c.first_post_id)
    last_posts = select(Post.id).join(threads, Post.thread_id == threads.c.id)
    last_posts = last_posts.where(Post.id >= threads.c.last_replies_from)
    query = (
        select(Post)
        .where(Post.id.in_(union_all(first_posts, last_posts)))
        .order_by(Post.id)
        .options(selectinload(Post.image))
    )
    by_thread = {}
    for post in db.session.scalars(query):
        by_thread.setdefault(post.thread_id, []).append(post)
    return by_thread


def thread_with_first_post(thread_id):
    """(thread, id of its first post or None), or None for an unknown thread."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        return None
    first = db.session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread_id))
    return thread, first


def thread_of_post(post_id):
    """The id of the thread this post is in, or None for an unknown post."""
    return db.session.scalar(select(Post.thread_id).where(Post.id == post_id))


def image_of_post(post_id):
    """(board slug, models.Image) of a post that has an image, else None."""
    query = (
        select(Thread.board, Image)
        .join(Post, Post.thread_id == Thread.id)
        .join(Image, Image.post_id == Post.id)
        .where(Post.id == post_id)
    )
    row = db.session.execute(query).first()
    if row is None:
        return None
    return tuple(row)


def fill_missing_md5(upload_folder, batch_size=100):
    """Store the MD5 of every image that has none (stored before migration 0003).

    The files are read outside any transaction, and the MD5s are written a batch
    at a time: posting goes on while this runs. Returns (filled, missing files)."""
    images = db.session.execute(select(Image.id, Image.path).where(Image.md5.is_(None))).all()
    db.session.rollback()  # end the read: nothing waits on us while the files are read
    filled = missing = 0
    for start in range(0, len(images), batch_size):
        sums = {}
        for image_id, path in images[start : start + batch_size]:
            try:
                sums[image_id] = md5_base64((Path(upload_folder) / path).read_bytes())
            except FileNotFoundError:
                missing += 1
        with write_transaction() as session:
            for image in session.scalars(select(Image).where(Image.id.in_(sums))):
                image.md5 = sums[image.id]
        filled += len(sums)
    return filled, missing
