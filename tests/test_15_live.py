"""Step 15: live updates. A thread page shows new replies as they are posted.

What a user notices: a reply posted by someone else appears on an open thread
page within a second or two, without a reload; a post a moderator deletes
disappears; a locked thread says so. The page learns of each change over a
WebSocket (``/threads/<id>/live``) and, where WebSockets do not get through,
by asking the JSON API every few seconds (``?after=<post id>``, with an ETag
so that "nothing new" costs a 304 and no body).

Every change to a thread is an event with an id, stored with the change, so a
socket that reconnects with ``?after=<event id>`` gets what it missed, in order.
The thread page writes its newest event id into the page (data-last-event).

These tests use the app's own pieces from the outside only: HTTP, a real
WebSocket client (simple_websocket.Client, see LiveClient) against the app served on
127.0.0.1 (forum.serving), and the pages. The browser's side (live.js) is
tested in test_15_live_browser.py.
"""

import base64
import json
import os
import re
import socket
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
import simple_websocket
from forum import (
    BOARD,
    LiveBrowser,
    create_thread,
    csrf_token,
    page,
    post_form,
    post_ids,
    reply,
    serving,
    staff_client,
)
from liveserver import LiveClient
from simple_websocket import ConnectionClosed
from targets import reload_app

pytestmark = pytest.mark.since("15")

TOO_MANY = "too many live connections, try again later"
# An unknown thread's socket: refused before the upgrade, or closed at once with 1008.
REFUSED = ({"HTTP": 404}, {"closed": 1008, "reason": "no such thread"})
JAVASCRIPT = ("text/javascript", "application/javascript")
LIVE_DATA = ("data-thread-id", "data-last-event", "data-last-post", "data-live-url", "data-poll-url")


# --- helpers -------------------------------------------------------------------


class Sockets:
    """WebSockets opened by a test, all closed when it ends."""

    def __init__(self):
        self.opened = []

    def open(self, url):
        """Connect to ``url`` (ws://...); simple_websocket.ConnectionError(status)
        when the server answers the upgrade with an HTTP error."""
        ws = LiveClient.connect(url)
        self.opened.append(ws)
        return ws

    def close_all(self):
        for ws in self.opened:
            try:
                ws.close()
            except ConnectionClosed:
                pass


@pytest.fixture
def sockets():
    opened = Sockets()
    yield opened
    opened.close_all()


def live_url(base_url, thread_id, after=None):
    """The WebSocket address of a thread's live updates, on the server at ``base_url``."""
    url = "ws://" + base_url.removeprefix("http://") + f"/threads/{thread_id}/live"
    return url if after is None else f"{url}?{urllib.parse.urlencode({'after': after})}"


def receive(ws, count=1, within=2.0):
    """The next ``count`` messages (decoded JSON) that arrive in ``within`` seconds:
    fewer if no more come in time or the socket closes."""
    deadline = time.monotonic() + within
    messages = []
    while len(messages) < count and (left := deadline - time.monotonic()) > 0:
        try:
            text = ws.receive(timeout=left)
        except ConnectionClosed:
            break
        if text is None:
            break
        messages.append(json.loads(text))
    return messages


def how_it_ends(ws, within=2.0):
    """What the server does next with a socket: {"closed": code, "reason": text},
    {"message": ...} if it sends one, or None if nothing happens in time."""
    try:
        text = ws.receive(timeout=within)
    except ConnectionClosed as closed:
        return {"closed": int(closed.reason), "reason": closed.message}
    return None if text is None else {"message": text}


def refusal(url):
    """How a socket to ``url`` is refused: {"HTTP": status} before the upgrade, or how it ends."""
    try:
        ws = LiveClient.connect(url)
    except simple_websocket.ConnectionError as error:
        return {"HTTP": error.status_code}
    try:
        return how_it_ends(ws)
    finally:
        try:
            ws.close()
        except ConnectionClosed:
            pass


def without_events(messages):
    """The messages without their event ids (which the test cannot know in advance)."""
    return [{key: value for key, value in message.items() if key != "event"} for message in messages]


def events_of(messages):
    return [message.get("event") for message in messages]


def live_element(shown):
    """The element that carries the thread's live-update data attributes (data-thread-id)."""
    return next((element for element in shown.elements if "data-thread-id" in element.attrs), None)


def last_event(html):
    """The newest event id a thread page was made with (its data-last-event)."""
    element = live_element(page(html))
    assert element is not None, "the thread page has no element with data-thread-id"
    return int(element.get("data-last-event"))


def thread_html(client, thread_id):
    return client.get(f"/threads/{thread_id}").get_data(as_text=True)


def article(html, post_id):
    """The exact text of a page's ``<article ... id="post-N">...</article>``, or None."""
    found = re.search(rf'<article\b[^>]*\sid="post-{post_id}"[^>]*>.*?</article>', html, re.S)
    return found.group(0) if found else None


def with_html_trimmed(message):
    """A message or post with white space around its "html" taken off (it is not
    part of the element)."""
    if isinstance(message.get("html"), str):
        return {**message, "html": message["html"].strip()}
    return message


def reply_id(client, thread_id, body="A reply"):
    """Post a reply through the thread's form; return its id (from the #post-N it redirects to)."""
    response = reply(client, thread_id, body)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))


def quick_replies(client, thread_id, bodies):
    """Post many replies with one form token (as a person sending the form again
    and again would); return their ids."""
    token = csrf_token(thread_html(client, thread_id))
    ids = []
    for body in bodies:
        data = {"body": body} if token is None else {"body": body, "csrf_token": token}
        response = client.post(f"/threads/{thread_id}/replies", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        ids.append(int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1)))
    return ids


def a_moderator(app):
    """A browser logged in as the moderator "milo". Made once the cheap checks have
    passed, so that the run on the step before fails fast (hashing takes time)."""
    return staff_client(app, "milo")


def moderate(staff, action, fields=None):
    """A moderator's button: POST ``action`` with the staff member's form token."""
    response = post_form(staff, f"/boards/{BOARD}", action, fields or {})
    assert response.status_code == 303, f"{action}: {response.status_code}"


def get_json(client, url, status=200, headers=None):
    response = client.get(url, headers=headers or {})
    assert (response.status_code, response.mimetype) == (status, "application/json"), (
        response.status_code, response.get_data(as_text=True)[:300]
    )  # fmt: skip
    return response.get_json()


# --- the polling fallback: GET /api/threads/<id>/posts?after=<post id> ------------------


def test_the_api_gives_the_posts_after_an_id_with_their_html(client):
    """?after=N answers the newer posts (with the same HTML as the page), every post id
    the thread has, whether it is locked, and its newest event."""
    thread_id = create_thread(client, body="Opening post")
    [opening] = post_ids(client, thread_id)
    first = reply_id(client, thread_id, "First reply")
    second = reply_id(client, thread_id, "Second <reply> & more")

    answer = get_json(client, f"/api/threads/{thread_id}/posts?after={opening}")
    shown = thread_html(client, thread_id)
    paged = get_json(client, f"/api/threads/{thread_id}/posts")["posts"]
    assert {**answer, "posts": [with_html_trimmed(post) for post in answer.get("posts", [])]} == {
        "thread": thread_id,
        "locked": False,
        "last_event": last_event(shown),
        # The posts as the API already gives them, plus the page's own <article>.
        "posts": [{**post, "html": article(shown, post["id"])} for post in paged[1:]],
        "post_ids": [opening, first, second],
    }


def test_the_api_answer_has_an_etag_and_304_means_nothing_changed(app, client):
    """The same question again, with If-None-Match, is answered 304 with no body until
    the thread changes: a new reply, a deleted post and a lock each change the ETag."""
    thread_id = create_thread(client)
    url = f"/api/threads/{thread_id}/posts?after=0"
    first = client.get(url)
    etag = first.headers.get("ETag")
    assert etag, "no ETag on the ?after= answer"
    assert not etag.startswith("W/"), "a strong validator is expected, not a weak one"
    assert "no-cache" in first.headers.get("Cache-Control", "")
    again = client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.data, again.headers.get("ETag")) == (304, b"", etag)

    seen, changes, posted = [etag], {}, []
    moderator = a_moderator(app)
    actions = {
        "a new reply": lambda: posted.append(reply_id(client, thread_id, "Soon gone")),
        "a deleted post": lambda: moderate(moderator, f"/mod/posts/{posted[0]}/delete"),
        "a lock": lambda: moderate(moderator, f"/mod/threads/{thread_id}/lock"),
    }
    for change, act in actions.items():
        act()
        answer = client.get(url, headers={"If-None-Match": seen[-1]})
        changes[change] = (answer.status_code, answer.headers.get("ETag") not in seen)
        seen.append(answer.headers.get("ETag"))
    assert changes == {change: (200, True) for change in actions}
    locked = client.get(url, headers={"If-None-Match": seen[-1]})
    assert (locked.status_code, get_json(client, url)["locked"]) == (304, True)


def test_a_bad_after_is_a_json_400_and_an_unknown_thread_a_json_404(client):
    """`after` is a whole number from 0: anything else is a 400 that says so, in JSON."""
    thread_id = create_thread(client)
    cases = {after: f"/api/threads/{thread_id}/posts?after={after}" for after in ("-1", "x", "1.5", "٣")}
    cases["30 digits"] = f"/api/threads/{thread_id}/posts?after={'9' * 30}"
    cases["unknown thread"] = "/api/threads/999999/posts?after=0"
    seen = {}
    for case, url in cases.items():
        response = client.get(url)
        error = (response.get_json(silent=True) or {}).get("error", {})
        message = bool(error.get("message"))
        seen[case] = (response.status_code, response.mimetype, error.get("status"), message)
    expected = {case: (400, "application/json", 400, True) for case in cases}
    expected["unknown thread"] = (404, "application/json", 404, True)
    assert seen == expected


def test_after_answers_at_most_100_posts_and_the_pages_are_unchanged(client):
    """?after= gives 100 posts at most (ask again from the last one); without it the
    API still answers in pages of 100, as in step 08."""
    thread_id = create_thread(client, body="Post 0")
    [opening] = post_ids(client, thread_id)
    assert "post_ids" in get_json(client, f"/api/threads/{thread_id}/posts?after=0"), "no ?after= answer"
    ids = [opening] + quick_replies(client, thread_id, [f"Post {n}" for n in range(1, 101)])

    after_0 = get_json(client, f"/api/threads/{thread_id}/posts?after=0")
    after_100th = get_json(client, f"/api/threads/{thread_id}/posts?after={ids[99]}")
    first_page = get_json(client, f"/api/threads/{thread_id}/posts")
    second_page = get_json(client, f"/api/threads/{thread_id}/posts?page=2")
    without_html = [{key: value for key, value in post.items() if key != "html"} for post in after_0["posts"]]
    assert {
        "?after=0": [post["id"] for post in after_0["posts"]],
        "?after=<100th>": [post["id"] for post in after_100th["posts"]],
        "post_ids": (after_0.get("post_ids"), after_100th.get("post_ids")),
        "?after=0 are the posts of page 1, plus html": without_html == first_page["posts"],
        "page 1": [post["id"] for post in first_page["posts"]],
        "page 2": [post["id"] for post in second_page["posts"]],
        "paging": {key: first_page.get(key) for key in ("page", "per_page", "total", "pages")},
        "pages keep their keys": (sorted(first_page), any("html" in post for post in first_page["posts"])),
    } == {
        "?after=0": ids[:100],
        "?after=<100th>": [ids[100]],
        "post_ids": (ids, ids),
        "?after=0 are the posts of page 1, plus html": True,
        "page 1": ids[:100],
        "page 2": [ids[100]],
        "paging": {"page": 1, "per_page": 100, "total": 101, "pages": 2},
        "pages keep their keys": (["page", "pages", "per_page", "posts", "thread", "total"], False),
    }


# --- the thread page ----------------------------------------------------------------------


def test_the_thread_page_loads_live_js_and_says_where_to_listen(client):
    """The page loads /static/live.js (no inline script), says which thread, event and
    post it shows and where to listen and poll, and has a status line for the mode."""
    thread_id = create_thread(client)
    last_post = reply_id(client, thread_id)
    html = thread_html(client, thread_id)
    shown = page(html)
    element = live_element(shown)
    assert element is not None, "the thread page has no element with data-thread-id"
    scripts = shown.find_all("script")
    script_bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I)
    src = scripts[0].get("src", "") if scripts else ""
    script = client.get(src) if src else None
    data = {name: element.get(name) for name in LIVE_DATA}
    for name in ("data-live-url", "data-poll-url"):
        data[name] = urllib.parse.urlsplit(data[name] or "").path
    assert {
        "scripts": [(urllib.parse.urlsplit(s.get("src", "")).path, "defer" in s.attrs) for s in scripts],
        "inline code": [body for body in script_bodies if body.strip()],
        "live.js": (script.status_code, script.mimetype in JAVASCRIPT) if script else None,
        "data": data,
        "status lines": len([
            e for e in shown.elements if e.get("role") == "status" and e.get("aria-live") == "polite"
        ]),
    } == {
        "scripts": [("/static/live.js", True)],
        "inline code": [],
        "live.js": (200, True),
        "data": {
            "data-thread-id": str(thread_id),
            "data-last-event": str(get_json(client, f"/api/threads/{thread_id}/posts?after=0")["last_event"]),
            "data-last-post": str(last_post),
            "data-live-url": f"/threads/{thread_id}/live",
            "data-poll-url": f"/api/threads/{thread_id}/posts",
        },
        "status lines": 1,
    }  # fmt: skip


# --- the WebSocket: /threads/<id>/live -----------------------------------------------------


@pytest.mark.live
def test_a_reply_posted_over_http_reaches_two_open_sockets(app, live_server, sockets):
    """Two readers have the thread open; someone replies: within 2 s both get the new
    post, as the very same <article> the reloaded page shows."""
    client = app.test_client()
    thread_id = create_thread(client)
    after = last_event(thread_html(client, thread_id))
    readers = [sockets.open(live_url(live_server, thread_id, after)) for _ in range(2)]

    status, location = LiveBrowser(live_server).post_form(
        f"/threads/{thread_id}", f"/threads/{thread_id}/replies", {"body": "Is anyone <watching>?"}
    )
    assert status == 303, status
    post_id = int(re.search(r"#post-(\d+)$", location).group(1))
    got = [[with_html_trimmed(m) for m in receive(reader, 1, within=2.0)] for reader in readers]

    reloaded = thread_html(client, thread_id)
    html = article(reloaded, post_id)
    message = {"type": "post", "event": last_event(reloaded), "id": post_id, "html": html}
    assert got == [[message], [message]]


@pytest.mark.live
def test_a_socket_replays_the_events_it_missed_in_order(app, client, live_server, sockets):
    """A page that reconnects with ?after=<event> gets every change since, oldest first:
    a new post, a deletion, a lock and an unlock, each once."""
    thread_id = create_thread(client)
    doomed = reply_id(client, thread_id, "Soon deleted")
    after = last_event(thread_html(client, thread_id))
    sockets.open(live_url(live_server, thread_id, after)).close()  # the cheap check first
    moderator = a_moderator(app)
    fresh = reply_id(client, thread_id, "Still here")
    moderate(moderator, f"/mod/posts/{doomed}/delete")
    moderate(moderator, f"/mod/threads/{thread_id}/lock")
    moderate(moderator, f"/mod/threads/{thread_id}/unlock")

    ws = sockets.open(live_url(live_server, thread_id, after))
    messages = receive(ws, 4, within=5.0)  # at once, really: 5 s is for a busy machine
    extra = receive(ws, 1, within=0.3)
    shown = thread_html(client, thread_id)
    events = events_of(messages)
    assert without_events([with_html_trimmed(m) for m in messages]) == [
        {"type": "post", "id": fresh, "html": article(shown, fresh)},
        {"type": "delete", "id": doomed},
        {"type": "lock"},
        {"type": "unlock"},
    ]
    assert (extra, events == sorted(set(events)), events[0] > after, events[-1]) == (
        [], True, True, last_event(shown)
    )  # fmt: skip


@pytest.mark.live
def test_moderator_actions_reach_an_open_socket(app, client, live_server, sockets):
    """With the page open: a deleted post, a lock, an unlock and a move each arrive within
    2 s; after the move the socket goes on with the thread's new replies."""
    thread_id = create_thread(client)
    doomed = reply_id(client, thread_id, "Soon deleted")
    ws = sockets.open(live_url(live_server, thread_id, last_event(thread_html(client, thread_id))))
    moderator = a_moderator(app)
    actions = {
        "delete post": (f"/mod/posts/{doomed}/delete", {}),
        "lock": (f"/mod/threads/{thread_id}/lock", {}),
        "unlock": (f"/mod/threads/{thread_id}/unlock", {}),
        "move": (f"/mod/threads/{thread_id}/move", {"board": "chess"}),
    }
    got = {}
    for action, (url, fields) in actions.items():
        moderate(moderator, url, fields)
        got[action] = without_events(receive(ws, 1, within=2.0))
    later = reply_id(client, thread_id, "After the move")
    got["reply after the move"] = [m.get("id") for m in receive(ws, 1, within=2.0)]
    assert got == {
        "delete post": [{"type": "delete", "id": doomed}],
        "lock": [{"type": "lock"}],
        "unlock": [{"type": "unlock"}],
        "move": [{"type": "move", "board": "chess"}],
        "reply after the move": [later],
    }


@pytest.mark.live
def test_deleting_the_thread_tells_its_sockets_and_closes_them(app, client, live_server, sockets):
    """The thread is deleted: an open page hears "thread-delete", then the socket closes (1000)."""
    thread_id = create_thread(client)
    after = last_event(thread_html(client, thread_id))
    ws = sockets.open(live_url(live_server, thread_id, after))
    moderate(a_moderator(app), f"/mod/threads/{thread_id}/delete")
    messages = receive(ws, 1, within=2.0)
    ending = how_it_ends(ws)
    assert (without_events(messages), [type(e) is int and e > after for e in events_of(messages)]) == (
        [{"type": "thread-delete"}], [True]
    )  # fmt: skip
    assert (ending or {}).get("closed") == 1000, ending


@pytest.mark.live
def test_a_socket_without_a_good_after_sends_only_what_happens_next(app, client, live_server, sockets):
    """Without ?after= (or with a bad one) a socket starts from now: nothing old, then the next reply."""
    thread_id = create_thread(client)
    reply_id(client, thread_id, "An old reply")
    cases = {"no after": None, "after=x": "x", "after=-1": "-1", "after of 30 digits": "9" * 30}
    readers = {case: sockets.open(live_url(live_server, thread_id, after)) for case, after in cases.items()}
    time.sleep(0.3)  # the sockets are listening: what comes next is new
    new = reply_id(client, thread_id, "A new reply")
    got = {case: [m.get("id") for m in receive(ws, 1, within=2.0)] for case, ws in readers.items()}
    assert got == {case: [new] for case in cases}


@pytest.mark.live
def test_a_socket_to_an_unknown_thread_is_refused(app, client, live_server, sockets):
    """A thread that does not exist: 404 before the upgrade, or closed at once with 1008."""
    thread_id = create_thread(client)
    ws = sockets.open(live_url(live_server, thread_id))  # an existing thread's socket opens
    assert how_it_ends(ws, within=0.2) is None
    outcomes = {unknown: refusal(live_url(live_server, unknown)) for unknown in (thread_id + 1, 0, 10**30)}
    assert {key: "refused" if o in REFUSED else o for key, o in outcomes.items()} == {
        key: "refused" for key in outcomes
    }


@pytest.mark.live
def test_sockets_beyond_the_limit_are_closed_with_1013(app, sockets):
    """LIVE_SOCKETS_PER_WORKER=2: the third socket is closed with 1013 and a reason that
    says to try again later (the page then polls); the first two go on working."""
    capped = reload_app(app, LIVE_SOCKETS_PER_WORKER=2)
    client = capped.test_client()
    thread_id = create_thread(client)
    before = last_event(thread_html(client, thread_id)) - 1  # each socket gets the last event
    with serving(capped) as base_url:
        readers = [sockets.open(live_url(base_url, thread_id, before)) for _ in range(2)]
        started = [[m.get("type") for m in receive(reader, 1, within=5.0)] for reader in readers]
        third = sockets.open(live_url(base_url, thread_id, before))
        refused = how_it_ends(third)
        new = reply_id(client, thread_id, "Only for the first two")
        got = [[m.get("id") for m in receive(reader, 1, within=2.0)] for reader in readers]
    assert (started, refused, got) == (
        [["post"], ["post"]], {"closed": 1013, "reason": TOO_MANY}, [[new], [new]]
    )  # fmt: skip


def stalled_socket(base_url, thread_id):
    """A WebSocket that is opened and then never read from: a raw TCP connection with
    a tiny receive buffer, so that what the server sends soon piles up."""
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.settimeout(5)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /threads/{thread_id}/live HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:  # the answer's head only, byte by byte
        byte = sock.recv(1)
        assert byte, f"the server closed the connection: {answer!r}"
        answer += byte
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


@pytest.mark.live
def test_a_socket_that_stops_reading_does_not_hold_up_the_others(app, live_server, sockets):
    """One reader stops reading (a frozen tab); 50 long replies are still posted at once,
    and another reader gets all 50, in order, within a few seconds."""
    client = app.test_client()
    thread_id = create_thread(client)
    reader = sockets.open(live_url(live_server, thread_id, last_event(thread_html(client, thread_id))))
    stalled = stalled_socket(live_server, thread_id)
    try:
        # Each reply's message is tens of kilobytes: 50 of them fill every buffer of the
        # stalled connection, and the server's writes to it block.
        bodies = [f"{n} " + "🔭" * 4990 for n in range(50)]
        started = time.monotonic()
        # In a thread of its own: if the server sent from the request that posts,
        # the stalled reader would hold up the posting itself.
        poster = ThreadPoolExecutor(max_workers=1)
        posting = poster.submit(quick_replies, client, thread_id, bodies)
        try:
            posted = posting.result(timeout=15)
        except FutureTimeout:
            pytest.fail("posting 50 replies took more than 15 s: a stalled reader holds up the posting")
        finally:
            poster.shutdown(wait=False)
        got = receive(reader, 50, within=10.0)
        took = time.monotonic() - started
    finally:
        stalled.close()
    assert ([m.get("id") for m in got], took < 10) == (posted, True), f"{len(got)} messages in {took:.1f} s"


# --- bad handshakes, partial writes, and too much at once -------------------------------------


def handshake(base_url, path, headers):
    """Send a hand-made GET for ``path`` with ``headers`` (Host is added); return
    (status code, {header name in lower case: value}, body) of the answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(4096)
            assert data, f"the server closed the connection: {answer!r}"
            answer += data
        head, body = answer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(":", 1) for line in header_lines)
        fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
        status = int(status_line.split()[1])
        if status != 101:
            while len(body) < int(fields.get("content-length", 0)):
                data = sock.recv(65536)
                if not data:
                    break
                body += data
    return status, fields, body


# A proper handshake's headers (Host is added by handshake()).
GOOD_HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": base64.b64encode(b"sixteen bytes!!!").decode(),
}


def but(**changes):
    """GOOD_HANDSHAKE with some headers changed (Sec_WebSocket_Key="..."), or left out (None)."""
    headers = {**GOOD_HANDSHAKE, **{name.replace("_", "-"): value for name, value in changes.items()}}
    return {name: value for name, value in headers.items() if value is not None}


@pytest.mark.live
def test_a_malformed_handshake_is_refused_with_400_or_426_never_500(app, client, live_server):
    """RFC 6455: another protocol version gets 426 Upgrade Required and the version the
    server speaks (13); a handshake without a version or a proper key (16 bytes in
    base64), or that is not an upgrade at all, gets 400: a short answer, no traceback.
    A proper handshake still opens the socket."""
    thread_id = create_thread(client)
    cases = {
        "version 8": but(Sec_WebSocket_Version="8"),
        "version 14": but(Sec_WebSocket_Version="14"),
        "no version": but(Sec_WebSocket_Version=None),
        "no key": but(Sec_WebSocket_Key=None),
        "a key that is not base64": but(Sec_WebSocket_Key="hello?"),
        "a key of 8 bytes": but(Sec_WebSocket_Key=base64.b64encode(b"8 bytes!").decode()),
        "a plain GET": {},
        "no Connection: Upgrade": but(Connection=None),
        "Upgrade: h2c": but(Upgrade="h2c"),
        "Transfer-Encoding: gzip": but(Transfer_Encoding="gzip"),
    }
    seen = {}
    for case, headers in cases.items():
        status, fields, body = handshake(live_server, f"/threads/{thread_id}/live", headers)
        seen[case] = (status, fields.get("sec-websocket-version"), b"Traceback" in body)
    expected = {case: (400, None, False) for case in cases}
    expected["version 8"] = expected["version 14"] = (426, "13", False)
    assert seen == expected
    assert handshake(live_server, f"/threads/{thread_id}/live", GOOD_HANDSHAKE)[0] == 101


class SendsLittle:
    """A network connection whose send() takes at most 1,000 bytes at a time and says
    so, as a non-blocking socket does (gevent's, under gunicorn) when the reader is
    slower than the server; and waits `pause` seconds after each, as a slow network
    would. sendall() sends everything, 1,000 bytes at a time."""

    def __init__(self, connection, pause=0.0):
        self.connection = connection
        self.pause = pause

    def send(self, data, *flags):
        sent = self.connection.send(bytes(data[:1000]), *flags)
        time.sleep(self.pause)
        return sent

    def sendall(self, data, *flags):
        view = memoryview(data)
        while view:
            view = view[self.send(view, *flags) :]

    def __getattr__(self, name):
        return getattr(self.connection, name)


def sending_little(app, pause=0.0):
    """Serve ``app`` with connections that send at most 1,000 bytes at a time (SendsLittle)."""
    wsgi_app = app.wsgi_app

    def middleware(environ, start_response):
        if "werkzeug.socket" in environ:
            environ["werkzeug.socket"] = SendsLittle(environ["werkzeug.socket"], pause)
        return wsgi_app(environ, start_response)

    app.wsgi_app = middleware
    return app


@pytest.mark.live
def test_every_message_arrives_whole_when_the_connection_sends_a_little_at_a_time(app, client, sockets):
    """The server's connection sends at most 1,000 bytes per send(): 20 replies of
    about 20 KB each still reach a socket opened with ?after=, each whole, in order,
    with the same HTML as the page."""
    thread_id = create_thread(client)
    after = last_event(thread_html(client, thread_id))
    posted = quick_replies(client, thread_id, [f"{n} " + "🔭" * 4990 for n in range(20)])
    shown = thread_html(client, thread_id)
    with serving(sending_little(app)) as base_url:
        ws = sockets.open(live_url(base_url, thread_id, after))
        got = receive(ws, 20, within=20.0)
    assert [with_html_trimmed(m) for m in without_events(got)] == [
        {"type": "post", "id": post_id, "html": article(shown, post_id)} for post_id in posted
    ]


@pytest.mark.live
def test_pings_do_not_land_inside_a_message_on_a_slow_connection(app, sockets):
    """A slow connection (1,000 bytes, then 2 ms: about 0.15 s for a message of 60 KB)
    and a ping every second: while a message is being sent, the server's pings wait
    for its end instead of cutting into it. 20 such messages arrive whole, in order."""
    pinging = reload_app(app, LIVE_PING_INTERVAL=1.0)
    client = pinging.test_client()
    thread_id = create_thread(client)
    after = last_event(thread_html(client, thread_id))
    posted = quick_replies(client, thread_id, [f"{n} " + "🔭" * 4990 for n in range(20)])
    with serving(sending_little(pinging, pause=0.002)) as base_url:
        ws = sockets.open(live_url(base_url, thread_id, after))
        got = receive(ws, 20, within=30.0)
    assert [(m.get("type"), m.get("id")) for m in got] == [("post", post_id) for post_id in posted]


@pytest.mark.live
def test_too_many_events_at_once_are_left_to_the_api(app, sockets):
    """A socket opened with an old ?after=, owed more than LIVE_BACKLOG_LIMIT events (5
    here), is sent "catch-up" and closed (1000), instead of all of them; the API's
    ?after= answer has them. Owed 5, it is sent the 5 posts, as always."""
    capped = reload_app(app, LIVE_BACKLOG_LIMIT=5)
    client = capped.test_client()
    thread_id = create_thread(client)
    [opening] = post_ids(client, thread_id)
    after = last_event(thread_html(client, thread_id))
    five = quick_replies(client, thread_id, [f"Reply {n}" for n in range(5)])
    after_five = last_event(thread_html(client, thread_id))
    with serving(capped) as base_url:
        owed_five = sockets.open(live_url(base_url, thread_id, after))
        got_five = receive(owed_five, 5, within=5.0)
        owed_five.close()
        six = quick_replies(client, thread_id, [f"Later reply {n}" for n in range(6)])
        owed_eleven = sockets.open(live_url(base_url, thread_id, after))
        got_eleven = receive(owed_eleven, 1, within=5.0)
        ending = how_it_ends(owed_eleven)
        owed_six = sockets.open(live_url(base_url, thread_id, after_five))
        got_six = receive(owed_six, 1, within=5.0)
    answer = get_json(client, f"/api/threads/{thread_id}/posts?after={opening}")
    assert {
        "owed 5": [m.get("id") for m in got_five],
        "owed 11": (without_events(got_eleven), (ending or {}).get("closed")),
        "owed 6": without_events(got_six),
        "the API": [post["id"] for post in answer["posts"]],
    } == {
        "owed 5": five,
        "owed 11": ([{"type": "catch-up"}], 1000),
        "owed 6": [{"type": "catch-up"}],
        "the API": five + six,
    }


@pytest.mark.live
def test_a_message_larger_than_the_cap_is_left_to_the_api(app, sockets):
    """A reply whose message is larger than LIVE_MAX_MESSAGE_BYTES (4,000 here) reaches
    an open socket as "catch-up", and the socket closes (1000); a short one before it
    arrives as always. The API's ?after= answer has the long one."""
    capped = reload_app(app, LIVE_MAX_MESSAGE_BYTES=4000)
    client = capped.test_client()
    thread_id = create_thread(client)
    with serving(capped) as base_url:
        ws = sockets.open(live_url(base_url, thread_id, last_event(thread_html(client, thread_id))))
        short = reply_id(client, thread_id, "A short reply")
        got_short = receive(ws, 1, within=3.0)
        long = reply_id(client, thread_id, "A long reply " + "and more " * 500)
        got_long = receive(ws, 1, within=3.0)
        ending = how_it_ends(ws)
    answer = get_json(client, f"/api/threads/{thread_id}/posts?after={short}")
    assert {
        "short": [m.get("id") for m in got_short],
        "long": without_events(got_long),
        "closed": (ending or {}).get("closed"),
        "the API": [post["id"] for post in answer["posts"]],
    } == {"short": [short], "long": [{"type": "catch-up"}], "closed": 1000, "the API": [long]}
