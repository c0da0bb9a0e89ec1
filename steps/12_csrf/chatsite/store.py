"""The site's data: the boards from the settings, threads and posts in the database.

In step 09 threads and posts were dictionaries in the server's memory, behind
one lock, and a restart lost them all. Now they are rows of the tables in
schema.sql, in the file app.config["DATABASE"]. The Store still hands out the
same kind of dictionaries, so the views and templates hardly change:

    thread: {"id", "board", "title", "created_at", "bumped_at", "bump_order",
             "reply_count", "post_count"}
    post:   {"id", "thread_id", "body", "image", "created_at"}

"image" is None or {"path", "content_type", "size", "width", "height",
"original_name"}. Times are datetimes in UTC, as before.

Two rules hold for every query in this file:

1. Every value goes in as a *parameter*: a ? in the SQL text, and the value in
   the tuple after it. sqlite3 hands the values to SQLite separately from the
   SQL, so a title like  x'); DROP TABLE threads; --  is stored as a title,
   never run as SQL ("SQL injection"). Never build SQL text out of what
   people typed, with an f-string, % or +.
2. Everything that changes the data runs inside db.write_transaction(): a
   reply and the bump of its thread are stored together, or not at all.
   The database lets one writer in at a time, which is what the lock of
   steps 04-09 did, so the lock is gone.
"""

import json
from collections import Counter
from datetime import datetime, timezone

from flask import abort, current_app

from .db import get_db, write_transaction

# SQLite stores whole numbers in 8 bytes: none is larger than this. Python's
# are unlimited, and sqlite3 raises OverflowError for a bigger one, so an id
# like /threads/99999999999999999999 is checked before it reaches a query.
LARGEST_ID = 2**63 - 1


def init_app(app):
    """Give the app its store, kept in app.extensions["store"].

    The store itself holds no threads any more, only the list of boards: the
    threads and posts are in the app's database, app.config["DATABASE"].
    """
    app.extensions["store"] = Store(app.config["BOARDS"])


def get_store():
    """The store of the app that is answering the current request."""
    return current_app.extensions["store"]


def find_board_or_404(slug):
    """The board with this slug; an unknown slug stops the request with 404 Not Found."""
    board = get_store().find_board(slug)
    if board is None:
        abort(404)
    return board


def refuse_reply_to_closed_thread(reply_limit):
    """Stop the request with 403 Forbidden, saying why nothing was posted."""
    abort(
        403,
        f"This thread has reached its limit of {reply_limit} replies and is closed. "
        "Nothing was posted; start a new thread to carry on.",
    )


def find_thread_or_404(thread_id):
    """The thread with this id; an unknown id stops the request with 404 Not Found."""
    thread = get_store().find_thread(thread_id)
    if thread is None:
        abort(404)
    return thread


class Store:
    """Boards from the settings; threads and posts from the database."""

    def __init__(self, boards):
        # Every board of the site (from the BOARDS setting). They never change.
        self._boards = list(boards)

    # --- Boards ------------------------------------------------------------------

    def boards_a_to_z(self):
        """Return the boards sorted by name, ignoring upper and lower case."""
        return sorted(self._boards, key=lambda board: board["name"].lower())

    def find_board(self, slug):
        """The board with this slug, or None if there is no such board."""
        for board in self._boards:
            if board["slug"] == slug:
                return board
        return None

    def thread_counts(self):
        """How many threads each board has: a Counter, {slug: number}."""
        rows = get_db().execute("SELECT board, count(*) AS threads FROM threads GROUP BY board")
        return Counter({row["board"]: row["threads"] for row in rows})

    def count_threads(self, board):
        """How many threads one board has."""
        row = get_db().execute("SELECT count(*) AS threads FROM threads WHERE board = ?", (board["slug"],))
        return row.fetchone()["threads"]

    def board_page(self, board, page, per_page):
        """The threads on page `page` of a board (1 is the first), most recently active first.

        LIMIT says how many rows to return, OFFSET how many to skip first: page 3
        skips the 100 threads of pages 1 and 2. The index on (board, bump_order)
        hands SQLite the board's threads already in order, so it only walks past
        the skipped ones, it never sorts the whole board.
        """
        rows = get_db().execute(
            "SELECT * FROM threads WHERE board = ? ORDER BY bump_order DESC LIMIT ? OFFSET ?",
            (board["slug"], per_page, (page - 1) * per_page),
        )
        return [thread_dict(row) for row in rows]

    # --- Threads and posts --------------------------------------------------------

    def find_thread(self, thread_id):
        """The thread with this id, or None if there is no such thread."""
        if not 1 <= thread_id <= LARGEST_ID:
            return None
        row = get_db().execute("SELECT * FROM threads WHERE id = ?", (thread_id,)).fetchone()
        return thread_dict(row) if row else None

    def posts(self, thread):
        """The thread's posts, oldest first, each with its image (or None).

        LEFT JOIN: every post, with the columns of its image if it has one, and
        NULL (None) in those columns if it has none.
        """
        rows = get_db().execute(
            "SELECT posts.id, posts.thread_id, posts.body, posts.created_at,"
            " images.path, images.content_type, images.size, images.width, images.height,"
            " images.original_name"
            " FROM posts LEFT JOIN images ON images.post_id = posts.id"
            " WHERE posts.thread_id = ? ORDER BY posts.id",
            (thread["id"],),
        )
        return [post_dict(row) for row in rows]

    def posts_page(self, thread, page, per_page):
        """The posts on page `page` of a thread (1 is the first), oldest first (for the API)."""
        rows = get_db().execute(
            "SELECT posts.id, posts.thread_id, posts.body, posts.created_at,"
            " images.path, images.content_type, images.size, images.width, images.height,"
            " images.original_name"
            " FROM posts LEFT JOIN images ON images.post_id = posts.id"
            " WHERE posts.thread_id = ? ORDER BY posts.id LIMIT ? OFFSET ?",
            (thread["id"], per_page, (page - 1) * per_page),
        )
        return [post_dict(row) for row in rows]

    def add_thread(self, board, title, body, image=None):
        """Store a new thread (with an opening post if there is a body or image); return it."""
        now = datetime.now(timezone.utc).isoformat()
        has_opening_post = bool(body or image)
        db = get_db()
        with write_transaction(db):
            # bump_order: one more than the highest so far. Safe, because inside
            # write_transaction nobody else can write until we COMMIT.
            cursor = db.execute(
                "INSERT INTO threads (board, title, created_at, bumped_at, bump_order, post_count)"
                " VALUES (?, ?, ?, ?, (SELECT coalesce(max(bump_order), 0) + 1 FROM threads), ?)",
                (board["slug"], title, now, now, int(has_opening_post)),
            )
            # lastrowid: the id SQLite just gave the new row.
            thread_id = cursor.lastrowid
            if has_opening_post:
                self._insert_post(db, thread_id, body, image, now)
        return self.find_thread(thread_id)

    def add_reply(self, thread, body, image=None, bump_limit=None, reply_limit=None):
        """Store a reply and bump its thread to the top of the board; return the post.

        One transaction: the new post and the thread's new bump_order and counts
        are stored together. A reader never sees the post without the bump.
        Past `bump_limit` replies the reply is stored, but the thread is not bumped.
        A thread with `reply_limit` replies is closed: 403 Forbidden, nothing stored.
        (None: no limit.)
        """
        now = datetime.now(timezone.utc).isoformat()
        db = get_db()
        with write_transaction(db):
            # The number of replies is read inside the transaction. BEGIN IMMEDIATE
            # lets one writer in at a time, so of two replies racing for the last
            # place, the second one reads the new count and finds the thread closed.
            # (abort() raises: write_transaction rolls back, nothing is stored.)
            replies = db.execute("SELECT reply_count FROM threads WHERE id = ?", (thread["id"],))
            reply_count = replies.fetchone()["reply_count"]
            if reply_limit is not None and reply_count >= reply_limit:
                refuse_reply_to_closed_thread(reply_limit)
            post_id = self._insert_post(db, thread["id"], body, image, now)
            db.execute(
                "UPDATE threads SET reply_count = reply_count + 1, post_count = post_count + 1 WHERE id = ?",
                (thread["id"],),
            )
            if bump_limit is None or reply_count + 1 <= bump_limit:
                db.execute(
                    "UPDATE threads SET bumped_at = ?, bump_order = (SELECT max(bump_order) + 1 FROM threads)"
                    " WHERE id = ?",
                    (now, thread["id"]),
                )
        return {
            "id": post_id,
            "thread_id": thread["id"],
            "body": body,
            "image": image,
            "created_at": datetime.fromisoformat(now),
        }

    def _insert_post(self, db, thread_id, body, image, now):
        """Insert a post (and its image's row); return the post's id. The caller
        runs this inside its write_transaction."""
        cursor = db.execute(
            "INSERT INTO posts (thread_id, body, created_at) VALUES (?, ?, ?)", (thread_id, body, now)
        )
        if image is not None:
            db.execute(
                "INSERT INTO images (post_id, path, content_type, width, height, size, original_name)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    cursor.lastrowid,
                    image["path"],
                    image["content_type"],
                    image["width"],
                    image["height"],
                    image["size"],
                    image["original_name"],
                ),
            )
        return cursor.lastrowid

    # --- Search ---------------------------------------------------------------------

    def search(self, words):
        """The threads whose title or posts contain every one of `words`, newest activity first.

        `words` are lower case. One query does it, whatever the number of words:

        - json_each(?) turns the list of words, sent as one JSON text such as
          ["saturn", "rings"], into rows, one per word (word.value);
        - for each thread, the inner SELECT counts the words that its title or
          one of its posts contains; the thread matches when that count is the
          number of words.

        instr(text, word) is the position of `word` in `text`, or 0: a plain
        "contains", in which no character of the word has a special meaning.
        (LIKE '%' || ? || '%' would treat a % or _ typed in the search box as a
        wildcard.) unicode_lower() is Python's str.lower (see db.connect), so
        "ÉTOILE" finds "étoile".
        """
        rows = get_db().execute(
            """
            SELECT * FROM threads
            WHERE (
                SELECT count(*) FROM json_each(?) AS word
                WHERE instr(unicode_lower(threads.title), word.value) > 0
                   OR EXISTS (SELECT 1 FROM posts
                              WHERE posts.thread_id = threads.id
                                AND instr(unicode_lower(posts.body), word.value) > 0)
            ) = ?
            ORDER BY bump_order DESC
            """,
            (json.dumps(words), len(words)),
        )
        return [thread_dict(row) for row in rows]

    def first_post_mentioning(self, thread, word):
        """The text of the thread's first post that contains `word` (lower case),
        or else of its first post; "" if the thread has no posts."""
        # ORDER BY: first the posts where instr() found the word (0 = 0 is false,
        # and false sorts before true), then the oldest of those.
        row = get_db().execute(
            "SELECT body FROM posts WHERE thread_id = ?"
            " ORDER BY instr(unicode_lower(body), ?) = 0, id LIMIT 1",
            (thread["id"], word),
        ).fetchone()
        return row["body"] if row else ""


# --- From rows to dictionaries ----------------------------------------------------


def thread_dict(row):
    """A row of the threads table as a dictionary, its times as datetimes."""
    thread = dict(row)
    thread["created_at"] = datetime.fromisoformat(thread["created_at"])
    thread["bumped_at"] = datetime.fromisoformat(thread["bumped_at"])
    return thread


def post_dict(row):
    """A row of posts LEFT JOIN images as a post dictionary, with "image" or None."""
    image = None
    if row["path"] is not None:
        image = {
            "path": row["path"],
            "content_type": row["content_type"],
            "size": row["size"],
            "width": row["width"],
            "height": row["height"],
            "original_name": row["original_name"],
        }
    return {
        "id": row["id"],
        "thread_id": row["thread_id"],
        "body": row["body"],
        "image": image,
        "created_at": datetime.fromisoformat(row["created_at"]),
    }
