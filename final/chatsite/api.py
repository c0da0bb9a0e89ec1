"""A read-only JSON API under /api/, for programs rather than people.

A view that returns a dictionary gets it turned into a JSON response by Flask.
Errors under /api/ are JSON too (see errors.py).

The API is described, for people and for tools, by openapi.json next to this
file (OpenAPI 3.1), served at /api/openapi.json. It is written by hand, and the
tests hold it to the truth (final/tests/test_openapi.py): every route here is
in it and every path in it is a route here, every answer it describes is
checked against its schema, and Schemathesis fuzzes the API with it.
"""

from pathlib import Path

from flask import Blueprint, current_app, url_for

from chatsite.forms import last_page_or_404, requested_api_page
from chatsite.store import THREADS_PER_PAGE, find_board_or_404, find_thread_or_404, get_store

# How many posts one answer of /api/threads/<id>/posts holds.
POSTS_PER_PAGE = 100

# The API's description: see the top of this file.
OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/boards")
def boards():
    """Every board, A to Z, with its number of threads."""
    return {"boards": [board_json(board) for board in get_store().boards()]}


@bp.get("/boards/<slug>/threads")
def board_threads(slug):
    """One page of a board's threads, the most recently active first (?page=N)."""
    board = find_board_or_404(slug)
    page = requested_api_page()
    threads, total = get_store().board_page(slug, page)
    # Count with the list we send, so that the count and the list always agree.
    board["thread_count"] = total
    return {
        "board": board_json(board),
        "threads": [thread_json(thread) for thread in threads],
        **paging(page, THREADS_PER_PAGE, total),
    }


@bp.get("/threads/<id:thread_id>/posts")
def thread_posts(thread_id):
    """One thread and one page of its posts, oldest first (?page=N)."""
    thread = find_thread_or_404(thread_id)
    page = requested_api_page()
    posts, total = get_store().posts_page(thread_id, page, POSTS_PER_PAGE)
    return {
        "thread": {
            "id": thread["id"],
            "board": thread["board"],
            "title": thread["title"],
            "created_at": iso_time(thread["created_at"]),
            "url": url_for("boards.show_thread", thread_id=thread["id"], _external=True),
        },
        "posts": [post_json(post) for post in posts],
        **paging(page, POSTS_PER_PAGE, total),
    }


@bp.get("/openapi.json")
def openapi_document():
    """This API described in OpenAPI 3.1, for tools: client generators, Schemathesis,
    the docs' API reference (docs/hooks/openapi_reference.py renders it)."""
    return current_app.response_class(OPENAPI_DOCUMENT.read_bytes(), mimetype="application/json")


def paging(page, per_page, total):
    """Where this answer is in the whole list. A page past the end is 404 (page 1
    always exists, even for an empty list)."""
    pages = last_page_or_404(page, per_page, total)
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}


def board_json(board):
    """A board as the API shows it."""
    return {
        "slug": board["slug"],
        "name": board["name"],
        "description": board["description"],
        "thread_count": board["thread_count"],
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
