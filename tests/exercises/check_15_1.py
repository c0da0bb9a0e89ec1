"""Exercise 15.1 · Break it on purpose: forget to wake the sockets.

The check passes while create_reply() no longer calls notify_thread() after the
reply is stored: an open page then gets the reply only at its socket's next
look at the database, up to LIVE_POLL_INTERVAL seconds later, instead of at
once. The app is served with LIVE_POLL_INTERVAL=4, so that "at once" and "at
the next look" cannot be mistaken for each other. What still works at once: a
moderator's lock, whose view still calls notify_thread().
"""

import json
import re
import time

from forum import create_thread, post_form, reply, serving, staff_client
from liveserver import LiveClient
from simple_websocket import ConnectionClosed

BROKEN_ON_PURPOSE = True

# Seconds between two looks of a socket at the database (LIVE_POLL_INTERVAL).
SLOW_LOOK = 4.0


def live_url(base_url, thread_id):
    return "ws://" + base_url.removeprefix("http://") + f"/threads/{thread_id}/live"


def next_message(ws, within):
    """The next message of the socket (decoded JSON), or None if none comes in time."""
    try:
        text = ws.receive(timeout=within)
    except ConnectionClosed:
        return None
    return None if text is None else json.loads(text)


def close(ws):
    try:
        ws.close()
    except ConnectionClosed:
        pass


def open_and_listen(base_url, thread_id):
    """A socket on the thread, from now on (no ?after=), that has had its first
    look at the database and is waiting: what comes next is new."""
    ws = LiveClient.connect(live_url(base_url, thread_id))
    time.sleep(0.3)  # the server reads where to start and looks once, in a few milliseconds
    return ws


def test_a_reply_now_waits_for_the_sockets_next_look(make_app, note):
    """A reply reaches an open socket only at its next look, seconds later, not at once.

    Hint: in boards.py, delete the line notify_thread(thread["id"]) at the end of
    create_reply() (not the one in create_thread()).
    """
    app = make_app(LIVE_POLL_INTERVAL=SLOW_LOOK)
    client = app.test_client()
    thread_id = create_thread(client, body="Anyone out tonight?")
    with serving(app) as base_url:
        ws = open_and_listen(base_url, thread_id)
        try:
            started = time.monotonic()
            answer = reply(client, thread_id, "Clear skies here!")
            post_id = int(re.search(r"#post-(\d+)$", answer.headers["Location"])[1])
            message = next_message(ws, within=SLOW_LOOK + 2)
            took = time.monotonic() - started
        finally:
            close(ws)
    assert message is not None and message.get("id") == post_id, (
        f"the reply never reached the open socket (it got {message}): only the notify_thread() call "
        "should go, the socket's own look every LIVE_POLL_INTERVAL seconds must stay"
    )
    assert took >= 1.0, (
        f"the reply reached the open socket {took:.2f} s after it was posted: create_reply() still "
        "wakes the sockets at once with notify_thread()"
    )
    note(
        f"the reply arrived {took:.1f} s after it was posted, at the socket's next look "
        f"(LIVE_POLL_INTERVAL={SLOW_LOOK:g}); with notify_thread() it takes a few milliseconds"
    )


def test_still_a_lock_arrives_at_once(make_app, note):
    """A moderator's lock still reaches the open socket at once: its view still wakes the sockets.

    Hint: nothing to do: set_thread_flag() in moderation.py still calls notify_thread().
    """
    app = make_app(LIVE_POLL_INTERVAL=SLOW_LOOK)
    client = app.test_client()
    thread_id = create_thread(client, body="Anyone out tonight?")
    moderator = staff_client(app, "milo")
    with serving(app) as base_url:
        ws = open_and_listen(base_url, thread_id)
        try:
            started = time.monotonic()
            locked = post_form(moderator, f"/threads/{thread_id}", f"/mod/threads/{thread_id}/lock", {})
            assert locked.status_code == 303, f"the lock got {locked.status_code}"
            message = next_message(ws, within=SLOW_LOOK + 2)
            took = time.monotonic() - started
        finally:
            close(ws)
    assert message is not None and message.get("type") == "lock", f"the socket got {message}, not the lock"
    assert took < 1.0, f"the lock took {took:.2f} s to arrive: is notify_thread() still in set_thread_flag()?"
    note(f"the lock arrived after {took:.2f} s")
