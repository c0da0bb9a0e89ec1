"""Step 02: filter the boards by letter, and give each board its own page.

Run it from the top of the repository with:

    flask --app steps/02_board_pages/app.py run --debug

then open http://127.0.0.1:5000 in your browser.
"""

import string

from flask import Flask, abort, render_template, request

app = Flask(__name__)

# The letters of the A-Z bar, as a tuple so that "AB" is not "in" it
# (a string would say "AB" in "ABC...Z" is True: it is a substring).
ALPHABET = tuple(string.ascii_uppercase)

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
    """One board's page. An unknown slug is a 404 Not Found, not an error in our code."""
    board = find_board(slug)
    if board is None:
        abort(404)
    # The next board A to Z; after the last one, % starts again from the first.
    boards = boards_a_to_z()
    next_board = boards[(boards.index(board) + 1) % len(boards)]
    return render_template("board.html", board=board, next_board=next_board)
