"""The pages for people: the board list, board pages, threads and replies.

A blueprint is a group of routes written in its own module. Nothing here knows
which app it will serve: create_app() registers the blueprint on each new app.
Its views are named after it, so url_for() needs "boards.show_thread", not
just "show_thread".

Step 13: a locked thread refuses replies, and staff see the moderator controls
on thread pages (their forms post to moderation.py).
"""

import math
import string

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .forms import (
    MAX_BODY_LENGTH,
    MAX_TITLE_LENGTH,
    FormError,
    NoFilesHere,
    check_body,
    check_title,
    clean_text,
    requested_page,
)
from .store import (
    find_board_or_404,
    find_thread_or_404,
    get_store,
    refuse_reply_to_closed_thread,
    refuse_reply_to_locked_thread,
)
from .uploads import check_upload, max_upload_mib, saved_image

bp = Blueprint("boards", __name__)

# The letters of the A-Z bar, as a tuple so that "AB" is not "in" it
# (a string would say "AB" in "ABC...Z" is True: it is a substring).
ALPHABET = tuple(string.ascii_uppercase)

# How many threads one board page shows; ?page=2 shows the next ones.
THREADS_PER_PAGE = 50


@bp.url_value_preprocessor
def stop_if_not_found(endpoint, values):
    """Answer 404 for an unknown board or thread before anything else looks at the request.

    Flask calls this right after matching the address, before the before_request
    functions. So a form sent to a board or thread that does not exist gets "Not
    Found", not the CSRF check's "This form has expired" (csrf.py): a page that
    does not exist has no form, so it gave the browser no token to send back.
    """
    if "slug" in values:
        find_board_or_404(values["slug"])
    if "thread_id" in values:
        find_thread_or_404(values["thread_id"])


# The two forms that may carry a file: the only requests that may be large.
FORMS_WITH_FILES = ("boards.create_thread", "boards.create_reply")


@bp.before_app_request
def limit_plain_forms():
    """Hold a plain (URL-encoded) form, and every body but an upload, to
    MAX_FORM_MEMORY_SIZE bytes in all.

    Werkzeug applies MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS only to multipart
    forms, one part at a time. A plain form, title=...&body=..., is read and split
    in one go, so 5 MiB of "&a=&a=&a=..." would make almost two million fields and
    keep the server busy for seconds. A plain form can only hold text, so the text
    limit fits it. request.max_content_length changes the limit for this request
    only (too long: 413); the smaller of the two limits still holds.

    Only a multipart form sent to FORMS_WITH_FILES may be as large as
    MAX_CONTENT_LENGTH: every other request is text at most, whatever its type.
    A body that says it is longer is refused at once, before anything reads it.

    bp.before_app_request: for every page of the app, not only this blueprint's.
    Since step 12 the CSRF check (csrf.py) reads the form of every POST, the
    login form and the staff's forms too: create_app() registers this limit
    first, so that it already holds when that check reads a form.
    """
    if request.endpoint in FORMS_WITH_FILES and request.mimetype == "multipart/form-data":
        return  # MAX_CONTENT_LENGTH, Flask's own limit, holds
    config = current_app.config
    request.max_content_length = min(config["MAX_CONTENT_LENGTH"], config["MAX_FORM_MEMORY_SIZE"])
    if request.content_length is not None:
        if request.content_length > request.max_content_length:
            abort(413)
    elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # No length said (a chunked body). Werkzeug would cut a plain form at the
        # limit without a word, so read the body now, up to the limit (request.form
        # reads this copy), and ask for one byte more: past the limit, that is 413.
        request.get_data()
        request.stream.read(1)


@bp.before_app_request
def refuse_files_where_none_belong():
    """400 for a file sent to any form but FORMS_WITH_FILES.

    Only those two forms have a file field. Anywhere else, a file is a text
    field sent as a file part (username=<a file>): request.form does not have
    it, so the form would be checked as if that field had been left empty.
    Registered after limit_plain_forms: the body it reads is a small one."""
    if request.endpoint not in FORMS_WITH_FILES and request.files:
        raise NoFilesHere()


def first_letter(board):
    """The upper-case first letter of a board's name: "python" files under "P"."""
    return board["name"][:1].upper()


# --- The home page -------------------------------------------------------------


@bp.get("/")
def index():
    """The home page: every board from A to Z, or only those starting with ?letter=X."""
    letter = request.args.get("letter", "").strip().upper()
    boards = get_store().boards_a_to_z()
    if letter and letter not in ALPHABET:
        # Not a single letter A-Z: say so instead of silently showing everything.
        message = "Pick one letter from A to Z to filter the boards."
        return render_index(boards, letter="", error=message), 400
    if letter:
        boards = [board for board in boards if first_letter(board) == letter]
    return render_index(boards, letter=letter)


def render_index(boards, letter, error=None):
    """Render the board list with the A-Z bar above it."""
    letters_in_use = {first_letter(board) for board in get_store().boards_a_to_z()}
    return render_template(
        "index.html",
        boards=boards,
        letter=letter,
        alphabet=ALPHABET,
        letters_in_use=letters_in_use,
        error=error,
    )


# --- Board pages and new threads --------------------------------------------------


@bp.get("/boards/<slug>")
def show_board(slug):
    """One page of a board's threads, most recently active first, and a form to start one."""
    return render_board(find_board_or_404(slug), page=requested_page())


def render_board(board, page=1, form=None, error=None):
    """Render a page of a board: its threads, links to the other pages, and the form."""
    store = get_store()
    # How many pages: the number of threads divided by 50, rounded up (51
    # threads make 2 pages), and at least 1, so that an empty board has its page 1.
    pages = max(1, math.ceil(store.count_threads(board) / THREADS_PER_PAGE))
    if page > pages:
        abort(404)
    return render_template(
        "board.html",
        board=board,
        threads=store.board_page(board, page, THREADS_PER_PAGE),
        page=page,
        pages=pages,
        form=form or {},
        error=error,
        max_title=MAX_TITLE_LENGTH,
        max_body=MAX_BODY_LENGTH,
        max_upload_mib=max_upload_mib(),
    )


@bp.post("/boards/<slug>/threads")
def create_thread(slug):
    """Start a thread from the form on a board page."""
    board = find_board_or_404(slug)
    title = clean_text(request.form.get("title", ""))
    body = clean_text(request.form.get("body", ""))
    # Each check raises FormError if something is wrong; show_form_again() handles it.
    # The text first: it is cheaper to check than the file.
    check_title(title)
    check_body(body, required=False)
    upload = check_upload(request.files.get("image"))
    # The image file is written first; if storing the thread fails, it is deleted again.
    with saved_image(board, upload) as image:
        thread = get_store().add_thread(board, title, body, image)
    # 303 See Other: "the post worked, now GET this page". Reloading the thread
    # page afterwards will not send the form a second time.
    return redirect(url_for("boards.show_thread", thread_id=thread["id"]), code=303)


# --- Threads and replies -------------------------------------------------------------


@bp.get("/threads/<int:thread_id>")
def show_thread(thread_id):
    """One thread with all its posts, oldest first, and the reply form."""
    return render_thread(find_thread_or_404(thread_id))


def is_closed(thread):
    """True when the thread has REPLY_LIMIT replies: it takes no more."""
    return thread["reply_count"] >= current_app.config["REPLY_LIMIT"]


def render_thread(thread, form=None, error=None):
    """Render a thread page: its posts and the reply form (and, for staff, the
    moderator controls, whose Move form lists every board)."""
    store = get_store()
    return render_template(
        "thread.html",
        thread=thread,
        closed=is_closed(thread),
        posts=store.posts(thread),
        board=store.find_board(thread["board"]),
        boards=store.boards_a_to_z(),
        form=form or {},
        error=error,
        max_body=MAX_BODY_LENGTH,
        max_upload_mib=max_upload_mib(),
    )


@bp.post("/threads/<int:thread_id>/replies")
def create_reply(thread_id):
    """Add a reply to a thread, then show it (the #post-N anchor scrolls to it)."""
    thread = find_thread_or_404(thread_id)
    config = current_app.config
    # Before even looking at the form: (the store checks both again, in its transaction)
    if thread["locked"]:
        refuse_reply_to_locked_thread()
    if is_closed(thread):
        refuse_reply_to_closed_thread(config["REPLY_LIMIT"])
    body = clean_text(request.form.get("body", ""))
    # The text first: it is cheaper to check than the file. A reply needs text,
    # an image, or both (an empty, nameless file is no file: none was chosen).
    file = request.files.get("image")
    check_body(body, required=not (file and file.filename))
    upload = check_upload(file)
    limits = {"bump_limit": config["BUMP_LIMIT"], "reply_limit": config["REPLY_LIMIT"]}
    # The image file is written first; if storing the reply fails (the thread
    # filled up or was locked meanwhile, say), it is deleted again.
    with saved_image(get_store().find_board(thread["board"]), upload) as image:
        post = get_store().add_reply(thread, body, image, **limits)
    url = url_for("boards.show_thread", thread_id=thread["id"], _anchor=f"post-{post['id']}")
    return redirect(url, code=303)


# --- A refused form ---------------------------------------------------------------
# bp.errorhandler (not bp.app_errorhandler): this handler only sees the errors
# raised by this blueprint's views, which are the only ones with forms.
# Every other error goes to the handlers of errors.py.


@bp.errorhandler(FormError)
def show_form_again(error):
    """A refused form: show its page again with the message and everything typed."""
    message = error.description
    if "thread_id" in request.view_args:
        thread = find_thread_or_404(request.view_args["thread_id"])
        return render_thread(thread, form=request.form, error=message), 400
    board = find_board_or_404(request.view_args["slug"])
    return render_board(board, form=request.form, error=message), 400
