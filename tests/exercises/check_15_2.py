"""Exercise 15.2 · Pins reach the open pages too: "pin" and "unpin" events."""

import json
import time

from forum import create_thread, post_form, serving, staff_client
from liveserver import LiveClient
from simple_websocket import ConnectionClosed


def live_url(base_url, thread_id, after):
    return "ws://" + base_url.removeprefix("http://") + f"/threads/{thread_id}/live?after={after}"


def newest_event(client, thread_id):
    """The thread's newest event id, as the API's ?after= answer gives it."""
    return client.get(f"/api/threads/{thread_id}/posts?after=0").get_json()["last_event"]


def messages(ws, within):
    """Every message the socket gets in ``within`` seconds, decoded, without their event ids."""
    got = []
    try:
        while (text := ws.receive(timeout=within)) is not None:
            got.append({key: value for key, value in json.loads(text).items() if key != "event"})
            within = 0.3  # the rest of a burst comes at once
    except ConnectionClosed:
        pass
    return got


def moderate(moderator, thread_id, action):
    """A moderator presses a button of the thread page: lock, pin, unpin..."""
    answer = post_form(moderator, f"/threads/{thread_id}", f"/mod/threads/{thread_id}/{action}", {})
    assert answer.status_code == 303, f"/mod/threads/{thread_id}/{action} got {answer.status_code}"


def watch_while(app, client, thread_id, actions):
    """Open a socket on the thread, let a moderator press ``actions`` one after the
    other, and return what the socket got after each: {action: [messages]}."""
    moderator = staff_client(app, "milo")
    got = {}
    with serving(app) as base_url:
        ws = LiveClient.connect(live_url(base_url, thread_id, newest_event(client, thread_id)))
        # Let the socket settle: what it sends from now on arrives on its own,
        # not with the end of the handshake.
        time.sleep(0.3)
        try:
            for number, action in enumerate(actions, 1):
                moderate(moderator, thread_id, action)
                got[f"{number}. {action}"] = messages(ws, within=2.0)
        finally:
            try:
                ws.close()
            except ConnectionClosed:
                pass
    return got


def test_pin_and_unpin_reach_an_open_socket(app, client, note):
    """A moderator pins, then unpins the thread: an open socket gets {"type": "pin"}, then {"type": "unpin"}.

    Hint: set_thread_flag() in moderation.py writes an event for "locked" only:
    write "pin" or "unpin" for "pinned" too, in the same place (only when the
    UPDATE changed the row). schema.sql's CHECK on thread_events.kind must allow
    them, and a database made before the change still has the old CHECK: start a
    new one. live.py needs no change: why not?
    """
    thread_id = create_thread(client, body="Meteor photos here")
    got = watch_while(app, client, thread_id, ["pin", "unpin"])
    assert got == {"1. pin": [{"type": "pin"}], "2. unpin": [{"type": "unpin"}]}, (
        f"what the open socket got after each button: {got}"
    )
    note("the socket got a pin, then an unpin, each within 2 s")


def test_pinning_a_pinned_thread_sends_nothing(app, client, note):
    """Two moderators pin the same thread: the second pin changes nothing, and sends nothing.

    Hint: write the event inside `if changed:`, next to log_action(): a pin that
    changes no row writes no log entry, and no event either.
    """
    thread_id = create_thread(client, body="Meteor photos here")
    got = watch_while(app, client, thread_id, ["pin", "pin"])
    assert got == {"1. pin": [{"type": "pin"}], "2. pin": []}, (
        f"what the open socket got after each pin: {got}"
    )
    note("one pin event for two clicks on Pin")


def test_still_lock_and_unlock_arrive(app, client):
    """A lock and an unlock still reach the open socket, as before.

    Hint: keep writing "lock" and "unlock" for the flag "locked".
    """
    thread_id = create_thread(client, body="Meteor photos here")
    got = watch_while(app, client, thread_id, ["lock", "unlock"])
    assert got == {"1. lock": [{"type": "lock"}], "2. unlock": [{"type": "unlock"}]}, got
