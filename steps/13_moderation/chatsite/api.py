"""A read-only JSON API under /api/, for programs rather than people.

A view that returns a dictionary gets it turned into a JSON response by Flask.
Errors under /api/ are JSON too (see errors.py).
"""

import math

from flask import Blueprint, abort, url_for

from .forms import requested_api_page
from .store import find_board_or_404, find_thread_or_404, get_store

# url_prefix: "/boards" below answers at /api/boards.
bp = Blueprint("api", __name__, url_prefix="/api")

# How many threads one answer of /api/boards/<slug>/threads holds, and how many
# posts one answer of /api/threads/<id>/posts holds: ?page=2 gives the next ones.
THREADS_PER_PAGE = 50
POSTS_PER_PAGE = 100


@bp.get("/boards")
def boards():
    """Every board, A to Z, with its number of threads."""
    store = get_store()
    counts = store.thread_counts()
    return {"boards": [board_json(board, counts[board["slug"]]) for board in store.boards_a_to_z()]}


@bp.get("/boards/<slug>/threads")
def board_threads(slug):
    """One board and one page of its threads, the most recently active first (?page=N)."""
    board = find_board_or_404(slug)
    page = requested_api_page()
    store = get_store()
    total = store.count_threads(board)
    where = paging(page, THREADS_PER_PAGE, total)
    return {
        "board": board_json(board, total),
        "threads": [thread_json(thread) for thread in store.board_page(board, page, THREADS_PER_PAGE)],
        **where,
    }


@bp.get("/threads/<int:thread_id>/posts")
def thread_posts(thread_id):
    """One thread and one page of its posts, oldest first (?page=N)."""
    thread = find_thread_or_404(thread_id)
    page = requested_api_page()
    # post_count: the opening post (if any) and the replies, counted as they were stored.
    where = paging(page, POSTS_PER_PAGE, thread["post_count"])
    posts = get_store().posts_page(thread, page, POSTS_PER_PAGE)
    return {
        "thread": {
            "id": thread["id"],
            "board": thread["board"],
            "title": thread["title"],
            "created_at": iso_time(thread["created_at"]),
            "url": url_for("boards.show_thread", thread_id=thread["id"], _external=True),
        },
        "posts": [post_json(post) for post in posts],
        **where,
    }


def paging(page, per_page, total):
    """Where this answer is in the whole list: its page, the page size, how many
    items there are in all, how many pages. A page past the last is 404 (page 1
    always exists, even for an empty list)."""
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        abort(404)
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}


def board_json(board, thread_count):
    """A board as the API shows it."""
    return {
        "slug": board["slug"],
        "name": board["name"],
        "description": board["description"],
        "thread_count": thread_count,
        "url": url_for("api.board_threads", slug=board["slug"], _external=True),
    }


def thread_json(thread):
    """A thread in a board's list of threads."""
    return {
        "id": thread["id"],
        "title": thread["title"],
        "created_at": iso_time(thread["created_at"]),
        "bumped_at": iso_time(thread["bumped_at"]),
        "reply_count": thread["reply_count"],
        "url": url_for("api.thread_posts", thread_id=thread["id"], _external=True),
    }


def post_json(post):
    """A post, with its image (or null)."""
    image = post["image"]
    if image is not None:
        image = {
            "url": url_for("uploads.uploaded_file", filename=image["path"], _external=True),
            "content_type": image["content_type"],
            "size": image["size"],
            "width": image["width"],
            "height": image["height"],
            "original_name": image["original_name"],
        }
    return {
        "id": post["id"],
        "thread_id": post["thread_id"],
        "body": post["body"],
        "created_at": iso_time(post["created_at"]),
        "image": image,
    }


def iso_time(moment):
    """A UTC time as an ISO 8601 string, e.g. "2026-11-24T23:41:04.123Z"."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
