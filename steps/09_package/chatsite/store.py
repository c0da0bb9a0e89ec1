"""The site's data: boards, threads and posts, kept in this process's memory.

In step 08 the data lived in variables of app.py (threads, thread_ids,
data_lock, ...). A module's variables exist once per process, so every app
made from that file would share them. Here the same variables live inside a
Store object instead, and create_app() gives each app its own (init_app
below): two apps, two separate stores. That is what lets each test start
from an empty site.

The views reach the store of the app that is answering the request with
get_store(). Everything that changes the data is a method of the Store and
holds its one lock, exactly like data_lock in step 08.

Threads and posts are plain dictionaries, as before:

    thread: {"id", "board", "title", "created_at", "bumped_at", "activity", "reply_count", "posts"}
    post:   {"id", "thread_id", "body", "image", "created_at"}
"""

import itertools
import threading
from collections import Counter
from datetime import datetime, timezone

from flask import abort, current_app


def init_app(app):
    """Give the app its own, empty store, kept in app.extensions["store"].

    app.extensions is the dictionary Flask keeps on every app for exactly this:
    things that belong to one app, which extensions (and we) attach to it.
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
    """Boards, threads and posts in memory, behind one lock."""

    def __init__(self, boards):
        # Every board of the site (from the BOARDS setting). They never change.
        self._boards = list(boards)
        # Every thread, by id: {1: {"id": 1, "board": "astronomy", "title": ..., "posts": [...]}}.
        # A dictionary finds a thread by its id without looking through all of them.
        self._threads = {}
        # Counters that hand out ids 1, 2, 3, ...: next(self._thread_ids) is the next thread id.
        self._thread_ids = itertools.count(1)
        self._post_ids = itertools.count(1)
        # Each new thread and each reply takes the next "activity" number; a board lists
        # its threads by it, highest first. Why not the clock? Two requests can land in the
        # same instant and their times would tie. These numbers never tie.
        self._activity_numbers = itertools.count(1)
        # The server answers each request in its own thread. Every change to the data
        # happens while holding this lock, so two requests never interleave halfway
        # through a change (no lost post, no id given out twice).
        self._lock = threading.Lock()

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
        with self._lock:
            return Counter(thread["board"] for thread in self._threads.values())

    def threads_on_board(self, board):
        """The board's threads, the most recently active first."""
        with self._lock:
            on_board = [thread for thread in self._threads.values() if thread["board"] == board["slug"]]
        return sorted(on_board, key=lambda thread: thread["activity"], reverse=True)

    # --- Threads and posts --------------------------------------------------------

    def find_thread(self, thread_id):
        """The thread with this id, or None if there is no such thread."""
        return self._threads.get(thread_id)

    def posts(self, thread):
        """A copy of the thread's posts, oldest first: a reply arriving meanwhile can't change it."""
        with self._lock:
            return list(thread["posts"])

    def threads_with_posts(self):
        """[(thread, a copy of its posts)] for every thread, for the search.

        The copies are made under the lock; the search then reads them without
        it, so that people posting meanwhile do not wait for it.
        """
        with self._lock:
            return [(thread, list(thread["posts"])) for thread in self._threads.values()]

    def add_thread(self, board, title, body, image=None):
        """Store a new thread (with an opening post if there is a body or image); return it."""
        now = datetime.now(timezone.utc)
        with self._lock:
            thread = {
                "id": next(self._thread_ids),
                "board": board["slug"],
                "title": title,
                "created_at": now,
                "bumped_at": now,
                "activity": next(self._activity_numbers),
                "reply_count": 0,
                "posts": [],
            }
            if body or image:
                thread["posts"].append(self._new_post(thread, body, image, now))
            self._threads[thread["id"]] = thread
        return thread

    def add_reply(self, thread, body, image=None, bump_limit=None, reply_limit=None):
        """Store a reply and bump its thread to the top of the board; return the post.

        Past `bump_limit` replies the reply is stored, but the thread is not bumped.
        A thread with `reply_limit` replies is closed: 403 Forbidden, nothing stored.
        (None: no limit.)
        """
        now = datetime.now(timezone.utc)
        with self._lock:
            # The view checked already, but two replies may both have passed that check
            # when there was one place left. Here, holding the lock, they take turns:
            # the first one takes the place, the second one finds the thread closed.
            if reply_limit is not None and thread["reply_count"] >= reply_limit:
                refuse_reply_to_closed_thread(reply_limit)
            post = self._new_post(thread, body, image, now)
            thread["posts"].append(post)
            thread["reply_count"] += 1
            if bump_limit is None or thread["reply_count"] <= bump_limit:
                thread["bumped_at"] = now
                thread["activity"] = next(self._activity_numbers)
        return post

    def _new_post(self, thread, body, image, now):
        """A new post for a thread (the caller adds it to the thread's list, holding the lock)."""
        return {
            "id": next(self._post_ids),
            "thread_id": thread["id"],
            "body": body,
            "image": image,
            "created_at": now,
        }
