"""The pages for people: the board list, board pages, threads, replies and reports."""

import string

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from . import flood, moderation, posting, reading, thread_events
from .db import db
from .forms import MAX_REPORT_DETAILS, REPORT_REASONS, ReplyForm, ThreadForm, clean_details, report_problem
from .models import Post, Thread
from .params import last_page_or_404, requested_page
from .posting import ThreadClosed, ThreadLocked
from .reading import THREADS_PER_PAGE
from .text_checks import MAX_BODY_LENGTH, MAX_TITLE_LENGTH
from .upload_checks import max_upload_mib, max_video_mib
from .upload_storage import describe_upload, keep_board_within_budget

bp = Blueprint("boards", __name__)

# The letters of the A-Z bar, as a tuple so that "AB" is not "in" it
# (a string would say "AB" in "ABC...Z" is True: it is a substring).
ALPHABET = tuple(string.ascii_uppercase)


@bp.url_value_preprocessor
def stop_if_not_found(endpoint, values):
    """Answer 404 for an unknown board or thread before anything else looks at the request.

    Flask calls this right after matching the address, before the before_request
    functions. So a form sent to a thread that does not exist gets "Not Found",
    not the CSRF check's "this form has expired" (csrf.py).
    """
    if "slug" in values:
        reading.board_or_404(values["slug"])
    if "thread_id" in values:
        db.get_or_404(Thread, values["thread_id"])
    if "post_id" in values:
        db.get_or_404(Post, values["post_id"])


def first_letter(board):
    """The upper-case first letter of a board's name: "python" files under "P"."""
    return board.name[:1].upper()


# --- The home page --------------------------------------------------------------


@bp.get("/")
def index():
    """The home page: every board from A to Z, or only those starting with ?letter=X."""
    letter = request.args.get("letter", "").strip().upper()
    boards = reading.all_boards()
    if letter and letter not in ALPHABET:
        # Not a single letter A-Z: say so instead of silently showing everything.
        message = "Pick one letter from A to Z to filter the boards."
        return render_index(boards, boards, letter="", error=message), 400
    shown = [board for board in boards if first_letter(board) == letter] if letter else boards
    return render_index(boards, shown, letter=letter)


def render_index(all_boards, shown, letter, error=None):
    """Render the board list with the A-Z bar above it."""
    return render_template(
        "index.html",
        boards=shown,
        letter=letter,
        alphabet=ALPHABET,
        letters_in_use={first_letter(board) for board in all_boards},
        error=error,
    )


# --- Board pages ----------------------------------------------------------------


@bp.get("/boards/<slug>")
def show_board(slug):
    """One page of a board's threads, most recently active first, and the new-thread form."""
    return render_board(reading.board_or_404(slug), page=requested_page())


@bp.app_context_processor
def form_limits():
    """The limits every form shows (maxlength, "up to 4 MiB"), for every template."""
    return {
        "max_title": MAX_TITLE_LENGTH,
        "max_body": MAX_BODY_LENGTH,
        "max_upload_mib": max_upload_mib(),
        "max_video_mib": max_video_mib(),
    }


def render_board(board, page=1, form=None, error=None):
    """Render a page of a board: its threads, links to the other pages, the form."""
    threads, total = reading.board_page(board.slug, page)
    pages = last_page_or_404(page, THREADS_PER_PAGE, total)
    return render_template(
        "board.html",
        board=board,
        threads=threads,
        page=page,
        pages=pages,
        form=form or {},
        error=error,
    )


@bp.post("/boards/<slug>/threads")
@flood.post_limit("THREAD_INTERVAL", "You can start another thread in {seconds} seconds.")
def create_thread(slug):
    """Start a thread from the form on a board page."""
    board = reading.board_or_404(slug)
    form = ThreadForm()
    if form.validate():
        # Its files are written in the thread's transaction (and go again if that fails).
        upload = describe_upload(form.checked)
        thread = posting.add_thread(board.slug, form.title, form.body, upload)
        keep_board_within_budget(board.slug)
        # 303 See Other: "the post worked, now GET this page". Reloading the thread
        # page afterwards will not send the form a second time.
        return redirect(url_for("boards.show_thread", thread_id=thread.id), code=303)
    # The board page again, with the message and everything the person typed.
    return render_board(board, form=request.form, error=form.error), 400


# --- Threads and replies ------------------------------------------------------------


@bp.get("/threads/<id:thread_id>")
def show_thread(thread_id):
    """One thread with all its posts, oldest first, and the reply form."""
    return render_thread(db.get_or_404(Thread, thread_id))


def render_thread(thread, form=None, error=None):
    """Render a thread page: its posts and the reply form (and for staff, their controls)."""
    other_boards = None  # where the moderators' Move form may send the thread
    if g.user:
        other_boards = [board for board in reading.all_boards() if board.slug != thread.board]
    # The newest event before the posts: a post stored between the two reads is
    # then on the page and sent again by the socket (live.js skips it), never missed.
    last_event = thread_events.last_event_id(thread.id)
    posts = reading.thread_posts(thread.id)
    return render_template(
        "thread.html",
        thread=thread,
        closed=thread.reply_count >= current_app.config["REPLY_LIMIT"],
        posts=posts,
        last_event=last_event,
        last_post=posts[-1].id if posts else 0,
        board=reading.find_board(thread.board),
        form=form or {},
        error=error,
        other_boards=other_boards,
    )


@bp.post("/threads/<id:thread_id>/replies")
@flood.post_limit("REPLY_INTERVAL", "You can post another reply in {seconds} seconds.")
def create_reply(thread_id):
    """Add a reply to a thread, then show it (the #post-N anchor scrolls to it)."""
    thread = db.get_or_404(Thread, thread_id)
    config = current_app.config
    limits = {"bump_limit": config["BUMP_LIMIT"], "reply_limit": config["REPLY_LIMIT"]}
    # Both before the upload is even looked at (add_reply checks again, as it stores).
    if thread.locked:
        raise ThreadLocked()
    if thread.reply_count >= limits["reply_limit"]:
        raise ThreadClosed(limits["reply_limit"])
    form = ReplyForm()
    if form.validate():
        # add_reply checks the limit again, inside its transaction: two replies
        # racing for the last place cannot both get it.
        upload = describe_upload(form.checked)
        post = posting.add_reply(thread.id, form.body, upload, **limits)
        if post.image:
            keep_board_within_budget(thread.board)
        url = url_for("boards.show_thread", thread_id=thread.id, _anchor=f"post-{post.id}")
        return redirect(url, code=303)
    # The thread page again, with the message and everything the person typed.
    return render_thread(thread, form=request.form, error=form.error), 400


# --- Reports ----------------------------------------------------------------------------


@bp.get("/posts/<id:post_id>/report")
def report_form(post_id):
    """The form to report a post to the moderators (anyone may: no account needed)."""
    return render_report(db.get_or_404(Post, post_id), {})


@bp.post("/posts/<id:post_id>/report")
@flood.post_limit("REPORT_INTERVAL", "You can send another report in {seconds} seconds.")
def create_report(post_id):
    """Store a report, thank the visitor (flashed) and go back to the post. A client
    whose report of this post is still open gets 409 (moderation.AlreadyReported)."""
    post = db.get_or_404(Post, post_id)
    reason, details = request.form.get("reason", ""), clean_details(request.form.get("details"))
    problem = report_problem(reason, details)
    if problem:
        return render_report(post, request.form, problem), 400
    if moderation.add_report(post_id, reason, details, flood.client()) is None:
        abort(404)  # deleted in the meantime
    flash("Thank you: a moderator will look at your report.")
    url = url_for("boards.show_thread", thread_id=post.thread_id, _anchor=f"post-{post_id}")
    return redirect(url, code=303)


def render_report(post, form, error=None):
    """The report form; `form` is what was typed (after a mistake), or {}."""
    return render_template(
        "report.html", post=post, form=form, error=error, reasons=REPORT_REASONS,
        max_details=MAX_REPORT_DETAILS,
    )  # fmt: skip
