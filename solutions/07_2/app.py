"""Step 07: error pages for every error, and errors raised as exceptions.

Run it from the top of the repository with:

    flask --app steps/07_errors/app.py run --debug

then open http://127.0.0.1:5000 in your browser.
"""

import itertools
import math
import os
import string
import threading
import unicodedata
import uuid
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, abort, redirect, render_template, request, send_from_directory, url_for
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

import images  # images.py, next to this file: checks an upload's bytes

app = Flask(__name__)


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> in an address: a whole number written with the digits 0 to 9 only.

    Flask's own int converter matches a digit of any script, and int() reads them
    all: /threads/٣ (an Arabic-Indic 3) and /threads/３ (a full-width 3) would
    show thread 3 too. One thread has one address; those are 404 Not Found."""

    regex = r"[0-9]+"


# Flask finds converters by name: every <int:...> in the routes below uses this one.
app.url_map.converters["int"] = AsciiIntegerConverter

# Threads do not grow without end. After BUMP_LIMIT replies, a reply no longer
# lifts its thread to the top of the board, so a thread that is talked out sinks;
# at REPLY_LIMIT replies the thread is closed. Settings rather than constants,
# so that they can be changed without editing the code (the tests use small ones).
app.config.update(BUMP_LIMIT=300, REPLY_LIMIT=500)
app.config.update(
    # The largest image we accept, in bytes. check_upload() counts the bytes of
    # the file itself, and shows the form again with a message if it is over.
    MAX_IMAGE_SIZE=4 * 1024 * 1024,
    # The largest request Flask will read, everything in it together: room for a
    # 4 MiB image plus the text fields and the headers of each part of the form.
    # (A 4 MiB limit here would refuse an image of exactly 4 MiB.) Anything
    # bigger is refused with 413 before it is read into the server.
    MAX_CONTENT_LENGTH=5 * 1024 * 1024,
    # Text fields are held in memory, so they are capped: 64 KiB is plenty for a
    # 5000-character message. Plus 1 KiB: Werkzeug checks each 64 KiB read of a
    # file against it too (with a few bytes kept from the read before).
    MAX_FORM_MEMORY_SIZE=65 * 1024,
    # Our forms have at most four fields. Thousands of tiny parts would only
    # make the server work hard for nothing.
    MAX_FORM_PARTS=20,
    # Where uploads are stored: the app's "instance" folder, never the code folder.
    UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
)
# Any setting can be changed from the environment, e.g.
# FLASK_MAX_CONTENT_LENGTH=1048576 flask --app steps/07_errors/app.py run
app.config.from_prefixed_env()

# The letters of the A-Z bar, as a tuple so that "AB" is not "in" it
# (a string would say "AB" in "ABC...Z" is True: it is a substring).
ALPHABET = tuple(string.ascii_uppercase)

# Limits on what people may type. The form shows them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000
MAX_QUERY_LENGTH = 200
# How many search results one page shows; ?page=2 shows the next ones.
RESULTS_PER_PAGE = 50

# Every board of the site. Until step 10 adds a database, the data lives in plain
# Python lists, the simplest thing to read and change, so this is one: a list of
# dictionaries. The "slug" is the short name used in addresses,
# e.g. /boards/astronomy in the next step.
BOARDS = [
    {"slug": "astronomy", "name": "Astronomy", "description": "Stars, planets and the night sky."},
    {"slug": "baking", "name": "Baking", "description": "Bread, cakes and everything from the oven."},
    {"slug": "chess", "name": "Chess", "description": "Openings, endgames and games worth replaying."},
    {"slug": "cycling", "name": "Cycling", "description": "Road, track, trail and the daily commute."},
    {"slug": "film", "name": "Film", "description": "Cinema old and new, reviews and recommendations."},
    {"slug": "gardening", "name": "Gardening", "description": "Flowers, fruit, vegetables and soil."},
    {"slug": "history", "name": "History", "description": "From ancient empires to last century."},
    {"slug": "knitting", "name": "Knitting", "description": "Patterns, yarn and finished projects."},
    {"slug": "languages", "name": "Languages", "description": "Learning and teaching human languages."},
    {"slug": "music", "name": "Music", "description": "Playing, composing and listening."},
    {"slug": "photography", "name": "Photography", "description": "Cameras, light and your best shots."},
    {"slug": "python", "name": "Python", "description": "Questions and answers about Python."},
    {"slug": "running", "name": "Running", "description": "Training plans, races and shoes."},
    {"slug": "travel", "name": "Travel", "description": "Trips, tips and places to see."},
    {"slug": "woodworking", "name": "Woodworking", "description": "Joinery, tools and sawdust."},
]


# Every thread, by id: {1: {"id": 1, "board": "astronomy", "title": ..., "posts": [...]}}.
# A dictionary finds a thread by its id without looking through all of them.
threads = {}

# Counters that hand out ids 1, 2, 3, ...: next(thread_ids) is the next thread id.
thread_ids = itertools.count(1)
post_ids = itertools.count(1)

# Each new thread and each reply takes the next "activity" number; a board lists
# its threads by it, highest first. Why not the clock? Two requests can land in the
# same instant and their times would tie. These numbers never tie.
activity_numbers = itertools.count(1)

# The development server answers each request in its own thread. Every change to
# the data happens while holding this lock, so two requests never interleave
# halfway through a change (no lost post, no id given out twice).
data_lock = threading.Lock()


def boards_a_to_z():
    """Return the boards sorted by name, ignoring upper and lower case."""
    return sorted(BOARDS, key=lambda board: board["name"].lower())


def first_letter(board):
    """The upper-case first letter of a board's name: "python" files under "P"."""
    return board["name"][:1].upper()


def find_board(slug):
    """The board with this slug, or None if there is no such board."""
    for board in BOARDS:
        if board["slug"] == slug:
            return board
    return None


def find_board_or_404(slug):
    """The board with this slug; an unknown slug stops the request with 404 Not Found."""
    board = find_board(slug)
    if board is None:
        abort(404)
    return board


@app.get("/")
def index():
    """The home page: every board from A to Z, or only those starting with ?letter=X."""
    letter = request.args.get("letter", "").strip().upper()
    boards = boards_a_to_z()
    if letter and letter not in ALPHABET:
        # Not a single letter A-Z: say so instead of silently showing everything.
        message = "Pick one letter from A to Z to filter the boards."
        return render_index(boards, letter="", error=message), 400
    if letter:
        boards = [board for board in boards if first_letter(board) == letter]
    return render_index(boards, letter=letter)


def render_index(boards, letter, error=None):
    """Render the board list with the A-Z bar above it."""
    letters_in_use = {first_letter(board) for board in BOARDS}
    return render_template(
        "index.html",
        boards=boards,
        letter=letter,
        alphabet=ALPHABET,
        letters_in_use=letters_in_use,
        error=error,
    )


@app.get("/boards/<slug>")
def show_board(slug):
    """One board's page: its threads, most recently active first, and a form to start one."""
    return render_board(find_board_or_404(slug))


def threads_on_board(board):
    """The board's threads, the most recently active first."""
    with data_lock:
        on_board = [thread for thread in threads.values() if thread["board"] == board["slug"]]
    return sorted(on_board, key=lambda thread: thread["activity"], reverse=True)


def render_board(board, form=None, error=None):
    """Render a board page: its threads and the form to start a new one."""
    return render_template(
        "board.html",
        board=board,
        threads=threads_on_board(board),
        form=form or {},
        error=error,
        max_title=MAX_TITLE_LENGTH,
        max_body=MAX_BODY_LENGTH,
        max_upload_mib=max_upload_mib(),
    )


@app.post("/boards/<slug>/threads")
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
    image = save_image(board, upload) if upload else None
    thread = add_thread(board, title, body, image)
    # 303 See Other: "the post worked, now GET this page". Reloading the thread
    # page afterwards will not send the form a second time.
    return redirect(url_for("show_thread", thread_id=thread["id"]), code=303)


@app.get("/threads/<int:thread_id>")
def show_thread(thread_id):
    """One thread with all its posts, oldest first, and the reply form."""
    return render_thread(find_thread_or_404(thread_id))


@app.post("/threads/<int:thread_id>/replies")
def create_reply(thread_id):
    """Add a reply to a thread, then show it (the #post-N anchor scrolls to it)."""
    thread = find_thread_or_404(thread_id)
    if is_closed(thread):
        refuse_reply_to_closed_thread()  # before even looking at the form
    body = clean_text(request.form.get("body", ""))
    # The text first: it is cheaper to check than the file. A reply needs text,
    # an image, or both (an empty, nameless file is no file: none was chosen).
    file = request.files.get("image")
    check_body(body, required=not (file and file.filename))
    upload = check_upload(file)
    image = save_image(find_board(thread["board"]), upload) if upload else None
    post = add_reply(thread, body, image)
    url = url_for("show_thread", thread_id=thread["id"], _anchor=f"post-{post['id']}")
    return redirect(url, code=303)


@app.get("/search")
def search():
    """Threads whose title or posts contain every word of ?q=, newest activity first,
    50 a page (?page=2 for the next 50)."""
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        message = f"Searches can be at most {MAX_QUERY_LENGTH} characters long."
        return render_template("search.html", query=query[:MAX_QUERY_LENGTH], error=message), 400
    page = requested_page()
    results = find_threads(query) if query else []
    # How many pages: the number of results divided by 50, rounded up (51 results
    # make 2 pages), and at least 1, so that "0 threads found" has its page 1.
    pages = max(1, math.ceil(len(results) / RESULTS_PER_PAGE))
    if page > pages:
        abort(404)
    start = (page - 1) * RESULTS_PER_PAGE
    shown = results[start : start + RESULTS_PER_PAGE]
    return render_template(
        "search.html", query=query, results=shown, total=len(results), page=page, pages=pages
    )


def requested_page():
    """The number in ?page=, or 1 when there is none.

    Anything but a whole number from 1 to 999,999,999 is an address that does not
    exist: 404 Not Found. The text is checked *before* int() turns it into a
    number: int() of thousands of digits raises ValueError, and that would be a
    500. No list will ever have a billion pages, so 9 digits are plenty.
    """
    text = request.args.get("page", "1")
    # isascii(): isdigit() alone also accepts digits of other scripts, like "٣".
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or int(text) < 1:
        abort(404)
    return int(text)


def find_threads(query):
    """Return [(thread, board, excerpt)] for the threads containing every word of the query."""
    words = query.lower().split()
    with data_lock:
        snapshot = [(thread, list(thread["posts"])) for thread in threads.values()]
    results = []
    for thread, posts in snapshot:
        texts = [thread["title"]] + [post["body"] for post in posts]
        everything = "\n".join(texts).lower()
        if all(word in everything for word in words):
            results.append((thread, find_board(thread["board"]), excerpt(posts, words[0])))
    results.sort(key=lambda result: result[0]["activity"], reverse=True)
    return results


def excerpt(posts, word, width=160):
    """About `width` characters of the first post that mentions the word, or of the first post."""
    for post in posts:
        position = post["body"].lower().find(word)
        if position != -1:
            return cut(post["body"], start=max(0, position - width // 3), width=width)
    return cut(posts[0]["body"], start=0, width=width) if posts else ""


def cut(text, start, width):
    """text[start:start + width], with "…" where something was left out."""
    piece = text[start : start + width]
    if start > 0:
        piece = "…" + piece
    if start + width < len(text):
        piece = piece + "…"
    return piece


def find_thread_or_404(thread_id):
    """The thread with this id; an unknown id stops the request with 404 Not Found."""
    thread = threads.get(thread_id)
    if thread is None:
        abort(404, description=f"There is no thread number {thread_id}.")
    return thread


def is_closed(thread):
    """True when the thread has REPLY_LIMIT replies: it takes no more."""
    return thread["reply_count"] >= app.config["REPLY_LIMIT"]


def refuse_reply_to_closed_thread():
    """Stop the request with 403 Forbidden, saying why nothing was posted."""
    limit = app.config["REPLY_LIMIT"]
    abort(
        403,
        f"This thread has reached its limit of {limit} replies and is closed. "
        "Nothing was posted; start a new thread to carry on.",
    )


def render_thread(thread, form=None, error=None):
    """Render a thread page: its posts and the reply form."""
    with data_lock:
        posts = list(thread["posts"])  # a copy, so a reply arriving meanwhile can't change it
    return render_template(
        "thread.html",
        thread=thread,
        posts=posts,
        closed=is_closed(thread),
        board=find_board(thread["board"]),
        form=form or {},
        error=error,
        max_body=MAX_BODY_LENGTH,
        max_upload_mib=max_upload_mib(),
    )


def clean_text(text):
    """Trim spaces at both ends; turn the browser's "\r\n" line breaks into "\n";
    join each letter and its accent marks into one character where Unicode has one."""
    text = text.replace("\r\n", "\n").strip()
    # NFC, "normal form, composed": "e" followed by the separate accent mark U+0301
    # becomes the one character "é", as most keyboards type it. The same words are
    # then always stored the same way, and only marks that have no letter to merge
    # with are left to count (see has_too_many_marks).
    return unicodedata.normalize("NFC", text)


class FormError(BadRequest):
    """Something wrong in a form: a 400 Bad Request whose description tells the
    person what to fix. show_form_again() turns it into the form's page."""


def check_title(title):
    """Raise FormError if the title is missing, too long or has hidden characters."""
    if not title:
        raise FormError("Please give your thread a title.")
    if len(title) > MAX_TITLE_LENGTH:
        raise FormError(f"Titles can be at most {MAX_TITLE_LENGTH} characters long.")
    if has_hidden_characters(title, allow_line_breaks=False):
        raise FormError("Titles cannot contain control or text-direction characters.")
    if not has_visible_character(title):
        raise FormError("Titles need at least one visible character.")
    if has_too_many_marks(title):
        raise FormError("Too many accent marks on one letter.")


def check_body(body, required):
    """Raise FormError if a post's text is missing (when required), too long or odd."""
    if required and not body:
        raise FormError("Please write a message or choose an image.")
    if len(body) > MAX_BODY_LENGTH:
        raise FormError(f"Messages can be at most {MAX_BODY_LENGTH} characters long.")
    if has_hidden_characters(body, allow_line_breaks=True):
        raise FormError("Messages cannot contain control or text-direction characters.")
    if body and not has_visible_character(body):
        raise FormError("Messages need at least one visible character.")
    if has_too_many_marks(body):
        raise FormError("Too many accent marks on one letter.")


# Characters that reverse or isolate the direction of text. In a title,
# U+202E can make "gpj.exe" look like "exe.jpg": a classic way to mislead readers.
TEXT_DIRECTION_CHARACTERS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_hidden_characters(text, allow_line_breaks):
    """True if the text holds control characters (other than line breaks and tabs,
    when allowed) or text-direction characters."""
    for character in text:
        if allow_line_breaks and character in "\n\t":
            continue
        if unicodedata.category(character) == "Cc" or character in TEXT_DIRECTION_CHARACTERS:
            return True
    return False


# Characters that show nothing, although Unicode files them as letters or symbols
# (so the category test in has_visible_character would take them for visible):
# the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, and the blank Braille
# pattern U+2800. A title made of them looks empty: a blank link on the board.
BLANK_CHARACTERS = set("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_character(text):
    """True if at least one character of the text shows on the screen.

    unicodedata.category() gives each character a two-letter category. These show
    nothing: spaces (categories starting with Z); control, format, unassigned,
    private-use and surrogate characters (C: U+200B, the zero-width space, is a
    format character); accent marks on their own (M); and the BLANK_CHARACTERS.
    """
    for character in text:
        if unicodedata.category(character)[0] not in "ZCM" and character not in BLANK_CHARACTERS:
            return True
    return False


# After NFC, a letter carries at most two or three separate accent marks in real
# writing (Vietnamese, Hindi, Thai...). More is "Zalgo" text: marks stacked so
# high that they spill over the lines above and below and hide them.
MAX_MARKS_IN_A_ROW = 4


def has_too_many_marks(text):
    """True if more than MAX_MARKS_IN_A_ROW accent marks (category M) follow each other."""
    in_a_row = 0
    for character in text:
        in_a_row = in_a_row + 1 if unicodedata.category(character)[0] == "M" else 0
        if in_a_row > MAX_MARKS_IN_A_ROW:
            return True
    return False


def add_thread(board, title, body, image=None):
    """Store a new thread (with an opening post if there is a body or image); return it."""
    now = datetime.now(timezone.utc)
    with data_lock:
        thread = {
            "id": next(thread_ids),
            "board": board["slug"],
            "title": title,
            "created_at": now,
            "bumped_at": now,
            "activity": next(activity_numbers),
            "reply_count": 0,
            "posts": [],
        }
        if body or image:
            thread["posts"].append(new_post(thread, body, image, now))
        threads[thread["id"]] = thread
    return thread


def add_reply(thread, body, image=None):
    """Store a reply and bump its thread to the top of the board; return the post.

    Past BUMP_LIMIT replies the reply is stored, but the thread is not bumped.
    A thread with REPLY_LIMIT replies is closed: 403 Forbidden, nothing stored.
    """
    now = datetime.now(timezone.utc)
    with data_lock:
        # The view checked already, but two replies may both have passed that check
        # when there was one place left. Here, holding the lock, they take turns:
        # the first one takes the place, the second one finds the thread closed.
        if is_closed(thread):
            refuse_reply_to_closed_thread()
        post = new_post(thread, body, image, now)
        thread["posts"].append(post)
        thread["reply_count"] += 1
        if thread["reply_count"] <= app.config["BUMP_LIMIT"]:
            thread["bumped_at"] = now
            thread["activity"] = next(activity_numbers)
    return post


def new_post(thread, body, image, now):
    """A new post for a thread (the caller adds it to the thread's list)."""
    return {
        "id": next(post_ids),
        "thread_id": thread["id"],
        "body": body,
        "image": image,
        "created_at": now,
    }


# --- Uploads ---------------------------------------------------------------

# An uploaded file never changes (a new image gets a new name), so browsers and
# proxies may keep it for a year without asking again.
IMMUTABLE_FOR_A_YEAR = 365 * 24 * 60 * 60


def check_upload(upload):
    """Check the form's file field. Return None when no file was chosen, or a dict
    with the file's bytes and what we found in them. Raise FormError if refused."""
    if upload is None:
        return None
    data = upload.read()
    if not upload.filename and not data:
        return None  # the browser sends an empty, nameless file when none was chosen
    if not upload.filename:
        raise FormError("The file has no name. Please choose an image file.")
    if not data:
        raise FormError("The file is empty. Please choose an image file.")
    if len(data) > app.config["MAX_IMAGE_SIZE"]:
        limit = app.config["MAX_IMAGE_SIZE"]
        raise FormError(f"Images can be at most {mib(limit)} MiB; this one is {mib(len(data))} MiB.")
    kind_by_name = images.kind_for_filename(upload.filename)
    if kind_by_name is None:
        raise FormError("Only PNG, JPEG, GIF and WebP images can be uploaded.")
    # The name and the Content-Type are chosen by the sender, so we trust only the bytes.
    found = images.inspect_image(data)
    if found is None:
        raise FormError("This file is not a complete PNG, JPEG, GIF or WebP image.")
    kind, width, height = found
    if kind != kind_by_name:
        raise FormError(f"The file name says {kind_by_name.upper()}, but it is a {kind.upper()} image.")
    return {"data": data, "kind": kind, "width": width, "height": height, "name": upload.filename}


def save_image(board, upload):
    """Store a checked upload as uploads/<board>/<YYYY>/<MM>/<random name>; describe it."""
    now = datetime.now(timezone.utc)
    relative_folder = f"{board['slug']}/{now:%Y}/{now:%m}"
    folder = Path(app.config["UPLOAD_FOLDER"]) / relative_folder
    folder.mkdir(parents=True, exist_ok=True)
    # A name we make up: never the sender's, which could be "../app.py" or clash
    # with someone else's "photo.jpg". uuid4 gives 122 random bits.
    extension = images.IMAGE_TYPES[upload["kind"]]["extensions"][0]
    name = uuid.uuid4().hex + extension
    # Write under a temporary name, then rename: the rename is all-or-nothing, so
    # no half-written image ever appears under the real name.
    temporary = folder / (name + ".part")
    try:
        temporary.write_bytes(upload["data"])
        os.replace(temporary, folder / name)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return {
        "path": f"{relative_folder}/{name}",
        "content_type": images.IMAGE_TYPES[upload["kind"]]["content_type"],
        "size": len(upload["data"]),
        "width": upload["width"],
        "height": upload["height"],
        "original_name": display_name(upload["name"], upload["kind"]),
    }


def display_name(filename, kind):
    """The sender's file name, shown as the image's alt text: no folders, no hidden
    characters, at most 100 characters. (Jinja still escapes it when shown.)"""
    name = filename.replace("\\", "/").split("/")[-1]
    visible = [c for c in name if not has_hidden_characters(c, allow_line_breaks=False)]
    name = "".join(visible)[:100]
    if not has_visible_character(name):
        # Nothing left that shows (300 zero-width spaces and ".png", cut to 100):
        # an empty alt text would describe nothing, so say what the file is.
        return "image" + images.IMAGE_TYPES[kind]["extensions"][0]
    return name


@app.get("/uploads/<path:filename>")
def uploaded_file(filename):
    """Serve an uploaded image. send_from_directory answers 404 for any path that
    would leave the upload folder, like ../../app.py."""
    kind = images.kind_for_filename(filename)
    if kind is None:
        abort(404)
    response = send_from_directory(
        app.config["UPLOAD_FOLDER"], filename, mimetype=images.IMAGE_TYPES[kind]["content_type"]
    )
    # Browsers must treat the file as the image type we say, never "sniff" it as HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    # send_from_directory says "no-cache": ask the server again before each use,
    # which suits files that may change. Ours never do (see IMMUTABLE_FOR_A_YEAR).
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_FOR_A_YEAR
    response.cache_control.immutable = True
    # Only pages of this site may embed our uploads: no other site can show them
    # on its pages at our expense, or read them from a script.
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def max_upload_mib():
    """MAX_IMAGE_SIZE in MiB, for the forms' "up to 4 MiB": "4" rather than 4194304."""
    return mib(app.config["MAX_IMAGE_SIZE"])


def mib(size):
    """A number of bytes in MiB, for messages: 4194304 is "4", 4718592 is "4.5".
    Rounded up to a tenth, so that one byte over 4 MiB says "4.1", never "4"."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:g}"


@app.before_request
def limit_plain_forms():
    """Hold a plain (URL-encoded) form to MAX_FORM_MEMORY_SIZE bytes in all.

    Werkzeug applies MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS only to multipart
    forms, one part at a time. A plain form, title=...&body=..., is read and split
    in one go, so 5 MiB of "&a=&a=&a=..." would make almost two million fields and
    keep the server busy for seconds. A plain form can only hold text, so the text
    limit fits it. request.max_content_length changes the limit for this request
    only (too long: 413); the smaller of the two limits still holds.
    """
    if request.mimetype == "application/x-www-form-urlencoded":
        request.max_content_length = min(app.config["MAX_CONTENT_LENGTH"], app.config["MAX_FORM_MEMORY_SIZE"])


def too_large_explanation():
    """What a 413 page says. Werkzeug answers 413 for three limits, and only
    MAX_CONTENT_LENGTH is about the whole request: the request's length (its
    Content-Length header) tells them apart."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        image_limit = mib(app.config["MAX_IMAGE_SIZE"])
        return (
            f"That request was larger than {mib(limit)} MiB in all (images can be up to {image_limit} MiB). "
            "Nothing was posted."
        )
    # MAX_FORM_MEMORY_SIZE (one text field too long) or MAX_FORM_PARTS (too many parts).
    return "That form had a text field longer than this site accepts, or too many parts. Nothing was posted."


# --- Errors ------------------------------------------------------------------
# Flask calls an error handler when a view raises (or abort()s with) an error.
# It picks the most specific one: FormError before HTTPException before Exception.


@app.errorhandler(FormError)
def show_form_again(error):
    """A refused form: show its page again with the message and everything typed."""
    message = error.description
    if "thread_id" in request.view_args:
        thread = find_thread_or_404(request.view_args["thread_id"])
        return render_thread(thread, form=request.form, error=message), 400
    board = find_board_or_404(request.view_args["slug"])
    return render_board(board, form=request.form, error=message), 400


# What each error page says; any other error shows Werkzeug's own description.
ERROR_EXPLANATIONS = {
    400: "Your browser sent something this site could not understand.",
    404: "There is no page at this address. The board or thread may never have existed.",
    405: "This address exists, but not for that kind of request.",
    # 413: too_large_explanation() says which limit the request went over.
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


@app.errorhandler(HTTPException)
def show_error_page(error):
    """One page for every HTTP error: the status, what went wrong, a way back."""
    if error.code == 413:
        explanation = too_large_explanation()
    elif error.description != type(error).description:
        # The view said what is missing, e.g. abort(404, description="There is no
        # thread number 999."): more precise than the general sentence below.
        explanation = error.description
    else:
        explanation = ERROR_EXPLANATIONS.get(error.code, error.description)
    page = render_template("error.html", error=error, explanation=explanation)
    headers = {}
    if error.code == 405:
        # A 405 answer must list the methods that do work here, sorted: Werkzeug
        # keeps them in a set, whose order would change from one run to the next.
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return page, error.code, headers


@app.errorhandler(Exception)
def show_server_error(error):
    """A bug: log the full traceback for us, show a calm 500 page to the visitor."""
    app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return show_error_page(InternalServerError())
