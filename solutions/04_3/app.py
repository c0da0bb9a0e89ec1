"""Step 04: reply to a thread; a reply bumps the thread to the top of its board.

Run it from the top of the repository with:

    flask --app steps/04_replies/app.py run --debug

then open http://127.0.0.1:5000 in your browser.
"""

import itertools
import string
import threading
import time
import unicodedata
from datetime import datetime, timezone

from flask import Flask, abort, redirect, render_template, request, url_for
from werkzeug.routing import IntegerConverter

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

# The letters of the A-Z bar, as a tuple so that "AB" is not "in" it
# (a string would say "AB" in "ABC...Z" is True: it is a substring).
ALPHABET = tuple(string.ascii_uppercase)

# Limits on what people may type. The form shows them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000

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
# Exercise 04.3, broken on purpose: a post counter that is slow and unsafe.
last_post_id = 0

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
    )


@app.post("/boards/<slug>/threads")
def create_thread(slug):
    """Start a thread from the form on a board page."""
    board = find_board_or_404(slug)
    title = clean_text(request.form.get("title", ""))
    body = clean_text(request.form.get("body", ""))
    error = check_title(title) or check_body(body, required=False)
    if error:
        # Show the same page again, with the message and everything they typed.
        return render_board(board, form=request.form, error=error), 400
    thread = add_thread(board, title, body)
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
    error = check_body(body, required=True)
    if error:
        return render_thread(thread, form=request.form, error=error), 400
    post = add_reply(thread, body)
    url = url_for("show_thread", thread_id=thread["id"], _anchor=f"post-{post['id']}")
    return redirect(url, code=303)


def find_thread_or_404(thread_id):
    """The thread with this id; an unknown id stops the request with 404 Not Found."""
    thread = threads.get(thread_id)
    if thread is None:
        abort(404)
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


def check_title(title):
    """Return a message saying what is wrong with a title, or None if it is fine."""
    if not title:
        return "Please give your thread a title."
    if len(title) > MAX_TITLE_LENGTH:
        return f"Titles can be at most {MAX_TITLE_LENGTH} characters long."
    if has_hidden_characters(title, allow_line_breaks=False):
        return "Titles cannot contain control or text-direction characters."
    if not has_visible_character(title):
        return "Titles need at least one visible character."
    if has_too_many_marks(title):
        return "Too many accent marks on one letter."
    return None


def check_body(body, required):
    """Return a message saying what is wrong with a post's text, or None if it is fine."""
    if required and not body:
        return "Please write a message."
    if len(body) > MAX_BODY_LENGTH:
        return f"Messages can be at most {MAX_BODY_LENGTH} characters long."
    if has_hidden_characters(body, allow_line_breaks=True):
        return "Messages cannot contain control or text-direction characters."
    if body and not has_visible_character(body):
        return "Messages need at least one visible character."
    if has_too_many_marks(body):
        return "Too many accent marks on one letter."
    return None


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


def add_thread(board, title, body):
    """Store a new thread (and its opening post, if there is a body); return the thread."""
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
        if body:
            thread["posts"].append(new_post(thread, body, now))
        threads[thread["id"]] = thread
    return thread


def add_reply(thread, body):
    """Store a reply and bump its thread to the top of the board; return the post.

    Past BUMP_LIMIT replies the reply is stored, but the thread is not bumped.
    A thread with REPLY_LIMIT replies is closed: 403 Forbidden, nothing stored.
    """
    now = datetime.now(timezone.utc)
    post = new_post(thread, body, now)  # exercise 04.3: moved out of the lock, on purpose
    with data_lock:
        # The view checked already, but two replies may both have passed that check
        # when there was one place left. Here, holding the lock, they take turns:
        # the first one takes the place, the second one finds the thread closed.
        if is_closed(thread):
            refuse_reply_to_closed_thread()
        thread["posts"].append(post)
        thread["reply_count"] += 1
        if thread["reply_count"] <= app.config["BUMP_LIMIT"]:
            thread["bumped_at"] = now
            thread["activity"] = next(activity_numbers)
    return post


def new_post(thread, body, now):
    """A new post for a thread (the caller adds it to the thread's list)."""
    global last_post_id
    new_id = last_post_id + 1  # read, and add one...
    time.sleep(0.001)  # ...while another request may read the same number...
    last_post_id = new_id  # ...then write it back: both get the same id.
    return {"id": new_id, "thread_id": thread["id"], "body": body, "created_at": now}
