"""The site's data: boards, threads and posts, kept in this process's memory.

Every read and every write goes through a Store, so the rest of the app never
touches the dictionaries below. That keeps three promises in one place:

- Safe under threads: the server answers several requests at once, each in its
  own thread. Every method holds the store's one lock while it looks at or
  changes the data, so no post is lost and no id is given out twice.
- Fast: a thread is found by its id in a dictionary, without a search, and
  posting a reply only moves its thread to the front of its board; nothing is
  sorted again.
- Snapshots: methods hand out copies. A template that loops over a thread's
  posts never sees the list grow under it because a reply arrived meanwhile.

One Store is made per app by create_app() (init_app below), so each test gets
fresh, empty data. Views reach it with get_store().

Threads and posts are plain dictionaries:

    thread: {"id", "board", "title", "created_at", "bumped_at", "reply_count", "post_count"}
    post:   {"id", "thread_id", "body", "image", "created_at"}

Times are aware datetimes in UTC. "image" is None or the dictionary describing
the stored file (see uploads.save_image).
"""

import itertools
import threading
from collections import OrderedDict
from datetime import datetime, timezone

from flask import current_app

# How many threads one board page shows.
THREADS_PER_PAGE = 50


def init_app(app):
    """Give the app its own, empty store: app.extensions["store"]."""
    app.extensions["store"] = Store(app.config["BOARDS"])


def get_store():
    """The store of the app handling the current request."""
    return current_app.extensions["store"]


class Store:
    """Boards, threads and posts in memory, behind one lock."""

    def __init__(self, boards):
        # Boards never change while the app runs: keep them A to Z, and by slug.
        self._boards_a_to_z = sorted((dict(board) for board in boards), key=lambda b: b["name"].lower())
        self._boards = {board["slug"]: board for board in self._boards_a_to_z}
        if len(self._boards) != len(self._boards_a_to_z):
            raise ValueError("Two boards have the same slug.")
        # Every thread by id, in order of activity: the most recently active last.
        # An OrderedDict finds a thread by id at once, and move_to_end() bumps one
        # without sorting anything.
        self._threads = OrderedDict()
        # The same, one OrderedDict per board, for the board pages.
        self._threads_by_board = {slug: OrderedDict() for slug in self._boards}
        # Counters that hand out ids 1, 2, 3, ...
        self._thread_ids = itertools.count(1)
        self._post_ids = itertools.count(1)
        self._lock = threading.Lock()

    # --- boards ---------------------------------------------------------------

    def boards(self):
        """Every board, A to Z by name, each with its "thread_count"."""
        with self._lock:
            return [self._board_copy(board) for board in self._boards_a_to_z]

    def board(self, slug):
        """The board with this slug (with its "thread_count"), or None."""
        with self._lock:
            board = self._boards.get(slug)
            return self._board_copy(board) if board else None

    def board_page(self, slug, page, per_page=THREADS_PER_PAGE):
        """One page of a board's threads, most recently active first.

        Returns (threads, total): the threads on page `page` (1 is the first; a
        page past the end is an empty list) and how many threads the board has.
        Raises KeyError for an unknown board.
        """
        start = (page - 1) * per_page
        with self._lock:
            on_board = self._threads_by_board[slug]
            if start >= len(on_board):
                return [], len(on_board)  # past the end (page 1 of an empty board too)
            newest_first = reversed(on_board.values())
            threads = [self._summary(t) for t in itertools.islice(newest_first, start, start + per_page)]
            return threads, len(on_board)

    def board_threads(self, slug):
        """All of a board's threads, most recently active first (for the API)."""
        with self._lock:
            return [self._summary(thread) for thread in reversed(self._threads_by_board[slug].values())]

    # --- threads and posts ------------------------------------------------------

    def thread(self, thread_id):
        """The thread with this id (without its posts), or None."""
        with self._lock:
            thread = self._threads.get(thread_id)
            return self._summary(thread) if thread else None

    def posts(self, thread_id):
        """A thread's posts, oldest first, as a new list; None for an unknown thread."""
        with self._lock:
            thread = self._threads.get(thread_id)
            return [_post_copy(post) for post in thread["posts"]] if thread else None

    def add_thread(self, board_slug, title, body, image=None):
        """Start a thread on a board; return it.

        The thread gets an opening post when there is a body or an image.
        Raises KeyError for an unknown board.
        """
        now = _now()
        with self._lock:
            on_board = self._threads_by_board[board_slug]
            thread = {
                "id": next(self._thread_ids),
                "board": board_slug,
                "title": title,
                "created_at": now,
                "bumped_at": now,
                "reply_count": 0,
                "posts": [],
            }
            if body or image:
                thread["posts"].append(self._new_post(thread, body, image, now))
            self._threads[thread["id"]] = thread
            on_board[thread["id"]] = thread
            return self._summary(thread)

    def add_reply(self, thread_id, body, image=None):
        """Add a reply to a thread and bump the thread to the top; return the post.

        Raises KeyError for an unknown thread.
        """
        now = _now()
        with self._lock:
            thread = self._threads[thread_id]
            post = self._new_post(thread, body, image, now)
            thread["posts"].append(post)
            thread["bumped_at"] = now
            thread["reply_count"] += 1
            # The most recently active thread goes last: constant time, no sorting.
            self._threads.move_to_end(thread_id)
            self._threads_by_board[thread["board"]].move_to_end(thread_id)
            return _post_copy(post)

    # --- search -------------------------------------------------------------------

    def search(self, query):
        """Threads whose title or posts contain every word of the query, ignoring case.

        Returns a list of {"thread", "board", "excerpt"}, the most recently active
        thread first. An empty query finds nothing.
        """
        words = query.lower().split()
        if not words:
            return []
        with self._lock:
            # Copy what we need, then search without holding the lock, so that
            # people posting meanwhile do not wait for the search to finish.
            boards = {slug: self._board_copy(board) for slug, board in self._boards.items()}
            snapshot = [
                (self._summary(thread), list(thread["posts"]))
                for thread in reversed(self._threads.values())
            ]
        results = []
        for thread, posts in snapshot:
            everything = "\n".join([thread["title"]] + [post["body"] for post in posts]).lower()
            if all(word in everything for word in words):
                board = boards[thread["board"]]
                results.append({"thread": thread, "board": board, "excerpt": excerpt(posts, words[0])})
        return results

    # --- helpers (called with the lock held) ------------------------------------------

    def _new_post(self, thread, body, image, now):
        """A new post for `thread` (the caller adds it to the thread's list)."""
        return {
            "id": next(self._post_ids),
            "thread_id": thread["id"],
            "body": body,
            "image": dict(image) if image else None,
            "created_at": now,
        }

    def _board_copy(self, board):
        """A copy of a board with its number of threads."""
        return {**board, "thread_count": len(self._threads_by_board[board["slug"]])}

    @staticmethod
    def _summary(thread):
        """A copy of a thread without its list of posts, with "post_count" instead."""
        summary = {key: value for key, value in thread.items() if key != "posts"}
        summary["post_count"] = len(thread["posts"])
        return summary


def _post_copy(post):
    """A copy of a post (and of its image's description)."""
    image = dict(post["image"]) if post["image"] else None
    return {**post, "image": image}


def _now():
    """The current time in UTC, as an aware datetime."""
    return datetime.now(timezone.utc)


def excerpt(posts, word, width=160):
    """About `width` characters of the first post that mentions `word`, or of the first post."""
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
