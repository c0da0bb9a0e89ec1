"""A read-only JSON API under /api/, for programs rather than people.

A view that returns a dictionary gets it turned into a JSON response by Flask.
Errors under /api/ are JSON too (see errors.py).

Step 15: /api/threads/<id>/posts?after=<post id> answers "what is new since
that post?", for a page whose WebSocket cannot open (static/live.js polls it
every few seconds). Its ETag makes "nothing new" cheap: 304, no body.

Step 16: a post's "image" gains "thumbnail_url".

Step 17: a post's "image" (which may now be a video) gains "sha256"; a video
has no thumbnail, width or height (null).
"""

import math

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for

from .forms import requested_after, requested_api_page
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
    """One thread and one page of its posts, oldest first (?page=N); with
    ?after=<post id>, what is new since that post (new_posts below)."""
    if "after" in request.args:
        return new_posts(thread_id)
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


def new_posts(thread_id):
    """The thread's posts after ?after=<post id>, for a page that polls.

        {"thread": 7, "locked": false, "last_event": 42,
         "posts": [...at most 100 posts after that id, oldest first...],
         "post_ids": [...the id of every post the thread has now...]}

    Each post is the API's post, plus "html": the same _post.html the thread
    page shows, so live.js puts in exactly what a reload would. "post_ids"
    lets the page remove the posts a moderator deleted. With 100 posts in
    "posts", there may be more: ask again with the last one's id.

    The ETag header names this answer: the thread's newest event, and `after`.
    Any change of the thread writes a new event (store.record_event), so the
    ETag changes exactly when the answer does. The page sends it back in
    If-None-Match; if it still matches, nothing has changed, and the answer is
    304 Not Modified with no body at all: the question that is asked most
    ("anything new?") costs two small queries and a few bytes, instead of
    reading and sending posts the page already has.
    """
    after = requested_after()
    store = get_store()
    # The newest event first, then the thread and its posts. Something that
    # happens between the reads then shows in this answer but not yet in its
    # ETag: the next poll gets it again (live.js skips what it has). The other
    # way round, the ETag would promise a change that the answer does not hold,
    # and every later poll would get a 304 without it.
    last_event = store.last_event_id(thread_id)
    thread = find_thread_or_404(thread_id)
    etag = f"{last_event}-{after}"
    # contains_weak: the comparison HTTP asks for with If-None-Match (it also
    # takes "*", and a tag some proxy marked as weak, W/"...").
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        posts = store.posts_after(thread, after, POSTS_PER_PAGE)
        response = jsonify(
            {
                "thread": thread["id"],
                "locked": bool(thread["locked"]),
                "last_event": last_event,
                "posts": [post_with_html(post) for post in posts],
                "post_ids": store.post_ids(thread),
            }
        )
    # set_etag() adds the quotes ("42-7"); a strong tag, since the bytes of the
    # answer are the same whenever it is.
    response.set_etag(etag)
    # no-cache: a browser or proxy may keep the answer, but must ask us (with
    # If-None-Match) before each use: a stale answer would hide new posts.
    response.cache_control.no_cache = True
    return response


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
    """A post, with its image or video (or null)."""
    image = post["image"]
    if image is not None:
        thumbnail_url = None
        if image["thumbnail_path"] is not None:
            thumbnail_url = url_for("uploads.uploaded_file", filename=image["thumbnail_path"], _external=True)
        image = {
            "url": url_for("uploads.uploaded_file", filename=image["path"], _external=True),
            "content_type": image["content_type"],
            "size": image["size"],
            "width": image["width"],
            "height": image["height"],
            "original_name": image["original_name"],
            "sha256": image["sha256"],
            "thumbnail_url": thumbnail_url,
        }
    return {
        "id": post["id"],
        "thread_id": post["thread_id"],
        "body": post["body"],
        "created_at": iso_time(post["created_at"]),
        "image": image,
    }


def post_with_html(post):
    """A post as post_json() gives it, plus "html": the post as the thread page shows it."""
    return {**post_json(post), "html": render_template("_post.html", post=post)}


def iso_time(moment):
    """A UTC time as an ISO 8601 string, e.g. "2026-11-24T23:41:04.123Z"."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
