"""A read-only JSON API under /api/, for programs rather than people.

A view that returns a dictionary gets it turned into a JSON response by Flask.
Errors under /api/ are JSON too (error_answers.answer_in_json).

/api/threads/<id>/posts?after=<post id> answers "what is new since that
post?", for a thread page whose WebSocket cannot open (static/live.js asks it
every few seconds). Its ETag makes "nothing new" cheap: 304, and no body.
"""

from dataclasses import replace

from flask import Blueprint, current_app, jsonify, request, url_for

from . import reading, thread_events
from .db import db
from .error_answers import answer_in_json
from .formatting import body_html
from .live_messages import live_html
from .models import Thread
from .params import last_page_or_404, requested_after, requested_api_page
from .reading import THREADS_PER_PAGE

# How many posts one answer of /api/threads/<id>/posts holds.
POSTS_PER_PAGE = 100

bp = Blueprint("api", __name__, url_prefix="/api")
answer_in_json(bp)


@bp.get("/boards")
def boards():
    """Every board, A to Z, with its number of threads."""
    return {"boards": [board_json(board) for board in reading.all_boards()]}


@bp.get("/boards/<slug>/threads")
def board_threads(slug):
    """One page of a board's threads, the most recently active first (?page=N)."""
    board = reading.board_or_404(slug)
    page = requested_api_page()
    threads, total = reading.board_page(slug, page)
    # Count with the list we send, so that the count and the list always agree.
    board = replace(board, thread_count=total)
    return {
        "board": board_json(board),
        "threads": [thread_json(thread) for thread in threads],
        **paging(page, THREADS_PER_PAGE, total),
    }


@bp.get("/threads/<id:thread_id>/posts")
def thread_posts(thread_id):
    """One thread and one page of its posts, oldest first (?page=N); with
    ?after=<post id>, what is new since that post (new_posts below)."""
    if "after" in request.args:
        return new_posts(thread_id)
    thread = db.get_or_404(Thread, thread_id)
    page = requested_api_page()
    posts, total = reading.posts_page(thread, page, POSTS_PER_PAGE)
    return {
        "thread": {
            "id": thread.id,
            "board": thread.board,
            "title": thread.title,
            "created_at": iso_time(thread.created_at),
            "url": url_for("boards.show_thread", thread_id=thread.id, _external=True),
        },
        "posts": [post_json(post) for post in posts],
        **paging(page, POSTS_PER_PAGE, total),
    }


def new_posts(thread_id):
    """The thread's posts after ?after=<post id>, for a page that polls:

        {"thread": 7, "locked": false, "last_event": 42,
         "posts": [...at most 100 posts after that id, oldest first...],
         "post_ids": [...the id of every post the thread has now...]}

    Each post is the API's post plus "html": the _post.html the thread page
    shows, so live.js puts in exactly what a reload would. "post_ids" lets the
    page remove the posts a moderator deleted. With 100 posts in "posts" there
    may be more: ask again after the last one. (A ?page= is checked, and ignored.)

    The ETag names this answer: the thread's newest event, and `after`. Every
    change of the thread writes a new event (thread_events.record_event), so the ETag
    changes exactly when the answer does. The page sends it back in
    If-None-Match; while it still matches, the answer is 304 Not Modified with
    no body: the question asked most ("anything new?") costs two small
    queries and a few bytes, instead of reading and sending what the page has.
    """
    after = requested_after()
    requested_api_page()
    # The newest event first, then the thread and its posts. Something that
    # happens between the reads then shows in this answer but not yet in its
    # ETag: the next poll gets it again (live.js skips what it has). The other
    # way round, the ETag would promise a change the answer does not hold, and
    # every later poll would get a 304 without it.
    last_event = thread_events.last_event_id(thread_id)
    thread = db.get_or_404(Thread, thread_id)
    etag = f"{last_event}-{after}"
    # contains_weak: the comparison HTTP asks for with If-None-Match (it also
    # takes "*", and a tag some proxy marked as weak, W/"...").
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        posts = reading.posts_after(thread_id, after, POSTS_PER_PAGE)
        response = jsonify(
            {
                "thread": thread.id,
                "locked": thread.locked,
                "last_event": last_event,
                "posts": [post_with_html(post) for post in posts],
                "post_ids": reading.post_ids(thread_id),
            }
        )
    # set_etag() adds the quotes ("42-7"): a strong validator, since the bytes
    # of the answer are the same whenever it is.
    response.set_etag(etag)
    # no-cache: a browser or proxy may keep the answer, but must ask (with
    # If-None-Match) before each use: a stale answer would hide new posts.
    response.cache_control.no_cache = True
    return response


def paging(page, per_page, total):
    """Where this answer is in the whole list. A page past the end is 404 (page 1
    always exists, even for an empty list)."""
    pages = last_page_or_404(page, per_page, total)
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}


def board_json(board):
    """A board as the API shows it."""
    return {
        "slug": board.slug,
        "name": board.name,
        "description": board.description,
        "thread_count": board.thread_count,
        "url": url_for("api.board_threads", slug=board.slug, _external=True),
    }


def thread_json(thread):
    """A thread in a board's list of threads."""
    return {
        "id": thread.id,
        "title": thread.title,
        "created_at": iso_time(thread.created_at),
        "bumped_at": iso_time(thread.bumped_at),
        "reply_count": thread.reply_count,
        "url": url_for("api.thread_posts", thread_id=thread.id, _external=True),
    }


def post_json(post):
    """A post, with its image or video (or null)."""
    image = post.image
    if image is not None:
        image = {
            "url": upload_url(image.path),
            # null for a video, and for an image stored before the site made thumbnails
            "thumbnail_url": upload_url(image.thumbnail_path) if image.thumbnail_path else None,
            "content_type": image.content_type,
            "size": image.size,
            "width": image.width,  # null for a video
            "height": image.height,
            "sha256": image.sha256,  # null for a file stored before the site kept it
            "original_name": image.original_name,
        }
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "body": post.body,
        # The body as the thread page shows it: escaped, with its quote and web links.
        "body_html": str(body_html(post)),
        "created_at": iso_time(post.created_at),
        "image": image,
    }


def upload_url(path):
    """The full address of an uploaded file."""
    return url_for("uploads.uploaded_file", filename=path, _external=True)


def post_with_html(post):
    """A post as post_json() gives it, plus "html": the post as the thread page shows
    it, and "backlinks" when it quotes posts of its thread (live_messages.live_html)."""
    return {**post_json(post), **live_html(post)}


def iso_time(moment):
    """A UTC time as an ISO 8601 string, e.g. "2026-11-24T23:41:04.123Z"."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
