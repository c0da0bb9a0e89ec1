"""4chan's read-only JSON API, so that existing imageboard tools can read this site.

Imageboard clients, archivers and browser extensions already speak the API
4chan publishes (github.com/4chan/4chan-API). This blueprint answers the same
addresses with the same shapes, field names and types:

    /boards.json                    every board and its limits
    /<board>/threads.json           every thread's number, page by page
    /<board>/catalog.json           every thread's opening post and last replies
    /<board>/<page>.json            one index page: each thread's opening post and last replies
    /<board>/thread/<no>.json       one thread, all its posts
    /<board>/archive.json           the numbers of the closed threads
    /<board>/<tim><ext>             an image or video; /<board>/<tim>s.jpg its thumbnail

How 4chan's numbers map onto ours, and its posts' shapes: fourchan_json.py
(and docs: "Use existing 4chan tools").

Every answer has a Last-Modified date and honours If-Modified-Since (304, no
body), may be read by any web page (Access-Control-Allow-Origin: *), and
answers HEAD and OPTIONS. Errors are JSON, like under /api/ (error_answers.py).
"""

import math
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath

import click
from flask import Blueprint, abort, current_app, request
from markupsafe import escape
from werkzeug.routing import BaseConverter

from . import reading
from .error_answers import answer_in_json
from .fourchan_data import ThreadSummary, fill_missing_md5, image_of_post, thread_summaries
from .fourchan_json import (
    MAX_ID,
    REPLY_THUMBNAIL,
    by_page,
    find_thread,
    opening_post_json,
    parse_number,
    post_json,
    thread_number,
    unix_time,
)
from .reading import THREADS_PER_PAGE
from .text_checks import MAX_BODY_LENGTH
from .upload_storage import send_upload

# cli_group=None: its command is `flask fill-md5`.
bp = Blueprint("fourchan", __name__, cli_group=None)
answer_in_json(bp)  # its errors are JSON too: its readers are programs

# How many of each thread's newest replies the catalog shows (4chan shows 5).
CATALOG_REPLIES = 5
# The methods every address here answers.
METHODS = "GET, HEAD, OPTIONS"


class FileNameConverter(BaseConverter):
    """<file:name> in a route: "1234.png" or "1234s.jpg" (a post number, then an
    extension). Anything else is not ours, so /threads/abc or /boards/chess never
    reach this blueprint, however many segments they share with /<board>/<file>."""

    regex = r"[0-9]+s?\.[A-Za-z0-9]+"


@bp.record_once
def set_up(state):
    """Before the routes are added: the converter they use, and the moment the app
    started (the oldest Last-Modified date it gives; see last_modified())."""
    state.app.url_map.converters["fourchan_file"] = FileNameConverter
    state.app.extensions["fourchan_started"] = datetime.now(timezone.utc)


# --- Every answer: CORS, OPTIONS, Last-Modified ----------------------------------------


@bp.before_request
def answer_preflight():
    """OPTIONS: a browser asks whether another site's page may send this request
    (a CORS preflight). It may, with GET or HEAD and If-Modified-Since."""
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204)
        del response.headers["Content-Type"]  # there is no body
        response.headers["Allow"] = METHODS
        response.headers["Access-Control-Allow-Methods"] = METHODS
        response.headers["Access-Control-Allow-Headers"] = "If-Modified-Since"
        response.headers["Access-Control-Max-Age"] = "86400"
        return response
    return None


@bp.after_request
def allow_any_origin(response):
    """Any web page may read these answers (a client running in a browser), as
    4chan allows. The image files keep the site's rule for uploads instead
    (upload_storage.send_upload: only our own pages may embed them)."""
    if request.endpoint != "fourchan.image_file":
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def answer(data, modified):
    """The JSON answer, dated `modified`; 304 Not Modified, without a body, if the
    client already has it (If-None-Match, or If-Modified-Since as 4chan asks).

    Dates are whole seconds: while the last change is in this second, more may come
    in it, so the answer is dated a second earlier and never a 304 by its date."""
    response = current_app.json.response(data)
    response.add_etag()
    # Clients may keep the answer, but must ask (If-Modified-Since) before using it again.
    response.cache_control.no_cache = True
    environ = request.environ
    if int(modified.timestamp()) >= int(time.time()):  # changed in this second
        modified -= timedelta(seconds=1)
        environ = {key: value for key, value in environ.items() if key != "HTTP_IF_MODIFIED_SINCE"}
    response.last_modified = modified
    return response.make_conditional(environ)


def last_modified(*moments):
    """The latest of `moments` and of the moment the app started: settings (such
    as REPLY_LIMIT, which closes threads) can change what an answer says, and
    they can only have changed at a start."""
    return max([current_app.extensions["fourchan_started"], *moments])


def board_modified(summaries):
    """When anything on the board last changed: its newest post or thread."""
    return last_modified(*(summary.last_post_at for summary in summaries))


# --- The answers --------------------------------------------------------------------------


@bp.get("/boards.json")
def boards():
    """Every board, with its limits (4chan's boards.json)."""
    config = current_app.config
    pages = max(1, math.ceil(config["BOARD_THREAD_LIMIT"] / THREADS_PER_PAGE))
    answers = [
        {
            "board": board.slug,
            "title": board.name,
            "meta_description": str(escape(board.description)),
            "ws_board": 1,  # every board here is "work safe"
            "per_page": THREADS_PER_PAGE,
            "pages": pages,
            "max_filesize": config["MAX_IMAGE_SIZE"],
            "max_webm_filesize": config["MAX_VIDEO_SIZE"],
            # Videos are checked by size only: 0, no limit on how long they play.
            "max_webm_duration": 0,
            "max_comment_chars": MAX_BODY_LENGTH,
            "bump_limit": config["BUMP_LIMIT"],
            # No separate image limit: a thread closes at REPLY_LIMIT replies, images or not.
            "image_limit": config["REPLY_LIMIT"],
            "cooldowns": {"threads": 0, "replies": 0, "images": 0},
        }
        for board in reading.all_boards()
    ]
    return answer({"boards": answers}, last_modified())


@bp.get("/<board>/threads.json")
def threads(board):
    """Every thread's number, when it last changed and its replies, by page."""
    reading.board_or_404(board)
    summaries = thread_summaries(board)
    entries = [
        {
            "no": thread_number(summary),
            "last_modified": unix_time(summary.last_post_at),
            "replies": summary.thread.reply_count,
        }
        for summary in summaries
    ]
    return answer(by_page(entries), board_modified(summaries))


@bp.get("/<board>/catalog.json")
def catalog(board):
    """Every thread's opening post, with its last few replies, by page."""
    reading.board_or_404(board)
    summaries = thread_summaries(board, with_posts=True, last_replies=CATALOG_REPLIES)
    entries = [catalog_entry(summary) for summary in summaries]
    return answer(by_page(entries), board_modified(summaries))


@bp.get("/<board>/<page>.json")
def index_page(board, page):
    """One page of the board's index (4chan's /<board>/<page>.json): each thread's
    opening post, then its last few replies, as the catalog has them. Page 1 is
    there even for an empty board; a page after the last one is a 404.

    The page is taken as text and checked by parse_number, as thread_json does:
    Flask's <int:page> would turn a page of 5,000 digits into "no such route",
    which the site's error page answers, in HTML."""
    reading.board_or_404(board)
    number = parse_number(page)
    if number is None:
        abort(404)
    summaries = thread_summaries(board, with_posts=True, last_replies=CATALOG_REPLIES)
    pages = by_page([catalog_entry(summary) for summary in summaries])
    if number > len(pages):
        abort(404)
    threads = []
    for entry in pages[number - 1]["threads"]:
        last_replies = entry.pop("last_replies")
        threads.append({"posts": [entry, *last_replies]})
    return answer({"threads": threads}, board_modified(summaries))


def catalog_entry(summary):
    """A thread as the catalog shows it: its opening post, with its last few replies."""
    number = thread_number(summary)
    entry = opening_post_json(summary, number)
    entry["last_replies"] = [post_json(reply, number, REPLY_THUMBNAIL) for reply in summary.last_replies]
    entry["omitted_posts"] = summary.thread.reply_count - len(summary.last_replies)
    shown_images = sum(1 for reply in summary.last_replies if reply.image)
    entry["omitted_images"] = summary.image_replies - shown_images
    entry["last_modified"] = unix_time(summary.last_post_at)
    return entry


@bp.get("/<board>/thread/<number>.json")
def thread_json(board, number):
    """One thread: its opening post (or a title-only thread's stand-in), then every reply."""
    reading.board_or_404(board)
    found = find_thread(parse_number(number))
    if found is None or found[0].board != board:
        abort(404)
    thread, first_post_id = found
    posts = reading.thread_posts(thread.id)
    opening_post = posts[0] if thread.has_opening_post else None
    replies = posts[1:] if opening_post else posts
    summary = ThreadSummary(
        thread,
        first_post_id,
        last_post_at=posts[-1].created_at if posts else thread.created_at,
        opening_post=opening_post,
        image_replies=sum(1 for reply in replies if reply.image),
    )
    thread_no = thread_number(summary)
    answers = [opening_post_json(summary, thread_no)]
    answers += [post_json(reply, thread_no, REPLY_THUMBNAIL) for reply in replies]
    if thread.reply_count >= current_app.config["REPLY_LIMIT"]:
        # Closed for good: what 4chan calls archived (see archive.json).
        answers[0]["archived"] = 1
        answers[0]["archived_on"] = unix_time(summary.last_post_at)
    return answer({"posts": answers}, last_modified(summary.last_post_at))


@bp.get("/<board>/archive.json")
def archive(board):
    """The numbers of the board's closed threads: those at REPLY_LIMIT replies,
    which take no more replies (what 4chan's archive holds), oldest first."""
    reading.board_or_404(board)
    summaries = thread_summaries(board)
    limit = current_app.config["REPLY_LIMIT"]
    closed = sorted(thread_number(s) for s in summaries if s.thread.reply_count >= limit)
    return answer(closed, board_modified(summaries))


@bp.get("/<board>/<fourchan_file:name>")
def image_file(board, name):
    """An image or video: /<board>/<tim><ext>. And an image's thumbnail,
    /<board>/<tim>s.jpg: the JPEG the site made (or, for an image stored before
    it made thumbnails, the image itself, in its own type; tn_w and tn_h give
    the size to show it at). A video has no thumbnail: 404."""
    found = re.fullmatch(r"([0-9]+)(s?)(\.[A-Za-z0-9]+)", name)
    tim, thumbnail, extension = found.groups()
    post_id = parse_number(tim)
    image = image_of_post(post_id) if post_id is not None and post_id <= MAX_ID else None
    if image is None or image[0] != board:
        abort(404)
    path = image[1].path
    if thumbnail:
        path = image[1].thumbnail_path or (path if image[1].width is not None else None)
    if path is None or extension != (".jpg" if thumbnail else PurePosixPath(path).suffix):
        abort(404)
    return send_upload(path)


@bp.cli.command("fill-md5")
def fill_md5_command():
    """Store the MD5 of images uploaded before the site kept it (for 4chan's `md5`)."""
    filled, missing = fill_missing_md5(current_app.config["UPLOAD_FOLDER"])
    click.echo(f"Stored the MD5 of {filled} image{'' if filled == 1 else 's'}.")
    if missing:
        files = "1 image file is" if missing == 1 else f"{missing} image files are"
        click.echo(f"{files} missing: run `flask prune-uploads`?")
