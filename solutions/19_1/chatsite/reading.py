"""What the pages read: the boards, a board's page of threads, a thread's posts.

Boards come from the settings (config.BOARDS), as models.Board; threads and
posts from the database, as the models themselves (models.Thread, models.Post),
which the templates and the JSON answers read. The writes are in posting.py.

Fast at any size: every page reads through an index (see models.py), never
by scanning all threads or posts.
"""

from dataclasses import replace

from flask import abort, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .db import db
from .models import Board, Post, Thread
from .quoting import with_quotes

# How many threads one board page shows.
THREADS_PER_PAGE = 50


def init_app(app):
    """Read the boards from the settings once: they never change while the app runs.
    Kept A to Z by name, by slug (app.extensions["boards"])."""
    a_to_z = sorted((Board(**board) for board in app.config["BOARDS"]), key=lambda board: board.name.lower())
    boards = {board.slug: board for board in a_to_z}
    if len(boards) != len(a_to_z):
        raise ValueError("Two boards have the same slug.")
    app.extensions["boards"] = boards


def find_board(slug):
    """The board with this slug, or None. (Without its thread_count: a page that
    shows the count asks for it, a count being a query.)"""
    return current_app.extensions["boards"].get(slug)


def board_or_404(slug):
    """The board with this slug; an unknown slug stops the request with 404 Not Found."""
    board = find_board(slug)
    if board is None:
        abort(404)
    return board


def all_boards():
    """Every board, A to Z by name, each with its thread_count."""
    counts = dict(db.session.execute(select(Thread.board, func.count()).group_by(Thread.board)).all())
    boards = current_app.extensions["boards"].values()
    return [replace(board, thread_count=counts.get(board.slug, 0)) for board in boards]


def count_threads(slug):
    """How many threads the board has."""
    return db.session.scalar(select(func.count()).select_from(Thread).where(Thread.board == slug))


def board_page(slug, page, per_page=THREADS_PER_PAGE):
    """One page of a board's threads: the pinned ones, then the others, each
    most recently active first.

    Returns (threads, total): the threads on page `page` (1 is the first; a
    page past the end is an empty list) and how many threads the board has.

    LIMIT/OFFSET makes page N skip N-1 pages of index entries: cheap for the
    first pages people read, and the page count is known, so nobody can ask
    for page 10**9 (see params.requested_page and boards.render_board).
    """
    total = count_threads(slug)
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
    return list(db.session.scalars(query)), total


def thread_posts(thread_id):
    """A thread's posts, oldest first, with their images and quotes (an unknown
    thread has none)."""
    query = (
        select(Post)
        .where(Post.thread_id == thread_id)
        .order_by(Post.id)
        .options(selectinload(Post.image))  # every post's image in one more query
    )
    return with_quotes(list(db.session.scalars(query)))


def posts_page(thread, page, per_page):
    """One page of a thread's posts, oldest first, and how many it has: (posts, total)."""
    start = (page - 1) * per_page
    if start >= thread.post_count:
        return [], thread.post_count
    query = (
        select(Post)
        .where(Post.thread_id == thread.id)
        .order_by(Post.id)
        .limit(per_page)
        .offset(start)
        .options(selectinload(Post.image))
    )
    return with_quotes(list(db.session.scalars(query))), thread.post_count


def posts_after(thread_id, after, limit):
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
    return with_quotes(list(db.session.scalars(query)), updates=True)


def busiest_threads(since, limit=5):
    """The threads with the most posts since `since` (an aware datetime), the most
    first, as (thread, how many posts) pairs; of two with as many, the most
    recently active first. A thread with no post since then is not in the list.

    ix_posts_created_at finds the posts since `since` without reading the older
    ones; GROUP BY counts them by thread.
    """
    posts = func.count(Post.id).label("posts")
    query = (
        select(Thread, posts)
        .join(Post, Post.thread_id == Thread.id)
        .where(Post.created_at >= since)
        .group_by(Thread.id)
        .order_by(posts.desc(), Thread.bump_order.desc())
        .limit(limit)
    )
    return [(thread, count) for thread, count in db.session.execute(query)]


def post_ids(thread_id):
    """The ids of every post the thread has now, lowest first (read from the index alone)."""
    return list(db.session.scalars(select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id)))
