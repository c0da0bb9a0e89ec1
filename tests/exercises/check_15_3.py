"""Exercise 15.3 · A fair share of sockets: LIVE_SOCKETS_PER_CLIENT.

Every socket the checks open comes from 127.0.0.1: one client. They are opened
one after the other, a moment apart, so that the server lets them in (or
refuses them) in that order. A socket that was let in is proven by a reply it
receives; one that was refused is closed with 1013.
"""

import json
import re
import time

from forum import create_thread, reply, serving
from liveserver import LiveClient
from simple_websocket import ConnectionClosed

TOO_MANY = "too many live connections, try again later"
REFUSED = {"closed": 1013, "reason": TOO_MANY}


def open_sockets(base_url, thread_id, count, opened):
    """Open ``count`` sockets on the thread, from now on, one after the other; each is
    added to ``opened`` (to be closed at the end). Return the new ones."""
    new = []
    for _ in range(count):
        url = "ws://" + base_url.removeprefix("http://") + f"/threads/{thread_id}/live"
        new.append(LiveClient.connect(url))
        opened.append(new[-1])
        time.sleep(0.3)  # the server lets it in, or refuses it, in a few milliseconds
    return new


def how_it_ends(ws, within=2.0):
    """{"closed": code, "reason": text} if the server closes the socket within
    ``within`` seconds, {"post": id} if it sends a post, None if nothing happens."""
    try:
        text = ws.receive(timeout=within)
    except ConnectionClosed as closed:
        return {"closed": int(closed.reason), "reason": closed.message}
    return None if text is None else {"post": json.loads(text).get("id")}


def told(ending):
    """What happened to a socket, in words."""
    if ending is None:
        return "it stayed open"
    if "post" in ending:
        return f"it got post {ending['post']}"
    return f"it was closed with {ending['closed']} ({ending['reason']!r})"


def close_all(opened):
    for ws in opened:
        try:
            ws.close()
        except ConnectionClosed:
            pass


def reply_id(client, thread_id, body):
    answer = reply(client, thread_id, body)
    assert answer.status_code == 303, f"the reply got {answer.status_code}"
    return int(re.search(r"#post-(\d+)$", answer.headers["Location"])[1])


def third_refused_first_two_served(client, thread_id, opened, base_url):
    """Open three sockets; return how the third ended and what the first two got
    after a reply: (ending of the third, [ending of the first, of the second], the reply's id)."""
    sockets = open_sockets(base_url, thread_id, 3, opened)
    third = how_it_ends(sockets[2])
    post_id = reply_id(client, thread_id, "For those who were let in")
    return third, [how_it_ends(ws) for ws in sockets[:2]], post_id


def test_a_client_past_its_share_is_told_to_try_again_later(make_app, note):
    """With LIVE_SOCKETS_PER_CLIENT=2, a third socket from the same address is closed at once with 1013.

    Hint: the Notifier in live.py counts every socket of the process; count each
    client's too, in a dictionary {address: how many}, under the same lock.
    join() gets the client (flood.client_address()) and refuses past either
    limit; leave() counts it down again. Give config.py a default,
    "LIVE_SOCKETS_PER_CLIENT": 20.
    """
    app = make_app(LIVE_SOCKETS_PER_CLIENT=2)
    client = app.test_client()
    thread_id = create_thread(client)
    opened = []
    with serving(app) as base_url:
        try:
            third, first_two, post_id = third_refused_first_two_served(client, thread_id, opened, base_url)
        finally:
            close_all(opened)
    assert third == REFUSED, (
        f"the third socket from one address: {told(third)}; expected it closed with 1013 and the "
        f"reason {TOO_MANY!r}"
    )
    assert first_two == [{"post": post_id}] * 2, (
        f"after a reply, the first two sockets: {', '.join(map(told, first_two))}"
    )
    note("the third socket was closed with 1013 (live.js would poll the API); the first two got the reply")


def test_a_closed_socket_frees_its_place(make_app, note):
    """Once one of the client's two sockets closes, a new one is let in.

    Hint: call leave() with the same client in the `finally:` of watch_thread(),
    so that a socket that ends, however it ends, gives its place back.
    """
    app = make_app(LIVE_SOCKETS_PER_CLIENT=2)
    client = app.test_client()
    thread_id = create_thread(client)
    opened = []
    with serving(app) as base_url:
        try:
            first, second, third = open_sockets(base_url, thread_id, 3, opened)
            third_ending = how_it_ends(third)
            assert third_ending == REFUSED, (
                f"the third socket from one address: {told(third_ending)}; expected it closed with 1013"
            )
            first.close()
            # The server notices a closed socket at its next look (LIVE_POLL_INTERVAL, 1 s).
            deadline, fourth_ending = time.monotonic() + 5, None
            while time.monotonic() < deadline:
                [fourth] = open_sockets(base_url, thread_id, 1, opened)
                # A refusal is a close, at once; nothing for 1.5 s means it was let in.
                fourth_ending = how_it_ends(fourth, within=1.5)
                if fourth_ending is None:
                    break
            post_id = reply_id(client, thread_id, "For the second and the new one")
            got = [how_it_ends(ws) for ws in (second, fourth)]
        finally:
            close_all(opened)
    assert fourth_ending is None, f"after one of the two sockets closed, a new one: {told(fourth_ending)}"
    assert got == [{"post": post_id}] * 2, (
        f"after a reply, the second socket and the new one: {', '.join(map(told, got))}"
    )
    note("when one of the two closed, a new socket was let in, and it gets the replies")


def test_still_the_limit_of_the_process_holds(make_app):
    """LIVE_SOCKETS_PER_WORKER=2 still closes a third socket with 1013, whatever the client's share.

    Hint: check both limits in join().
    """
    app = make_app(LIVE_SOCKETS_PER_WORKER=2, LIVE_SOCKETS_PER_CLIENT=10)
    client = app.test_client()
    thread_id = create_thread(client)
    opened = []
    with serving(app) as base_url:
        try:
            third, first_two, post_id = third_refused_first_two_served(client, thread_id, opened, base_url)
        finally:
            close_all(opened)
    assert (third, first_two) == (REFUSED, [{"post": post_id}] * 2), (told(third), list(map(told, first_two)))
