"""Step 01: the home page lists the boards.

Run it from the top of the repository with:

    flask --app steps/01_boards/app.py run --debug

then open http://127.0.0.1:5000 in your browser.
"""

from flask import Flask, render_template

app = Flask(__name__)

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
    {"slug": "esperanto", "name": "esperanto", "description": "La internacia lingvo."},
]


def boards_a_to_z():
    """Return the boards sorted by name, ignoring upper and lower case."""
    return sorted(BOARDS, key=lambda board: board["name"])


@app.get("/")
def index():
    """The home page: every board, from A to Z."""
    return render_template("index.html", boards=boards_a_to_z())
