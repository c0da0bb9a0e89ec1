"""A reply is kept once its 303 has been sent, even if the server then dies.

8 clients post 200 replies to gunicorn (4 workers, as `make serve` runs it).
Half-way through the burst every gunicorn process is killed with SIGKILL: no
clean shutdown, as in a crash. The server is started again on the same
database: every reply that got its 303 must be there, and no reply may be
there twice. (A reply whose answer never came may or may not be there: the
client cannot know, and neither do we.)
"""

import http.client
import re
import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest
from forum import LiveBrowser, every_post
from liveserver import Gunicorn

pytestmark = pytest.mark.live

CLIENTS = 8
REPLIES = 200
KILL_AFTER = 100  # answered replies


def test_every_answered_reply_survives_a_sigkill(tmp_path, database_url):
    server = Gunicorn(tmp_path, database_url, workers=4).start()
    try:
        setup = LiveBrowser(server.url)
        status, location = setup.post_form(
            "/boards/astronomy", "/boards/astronomy/threads", {"title": "Busy", "body": "Opening"}
        )
        assert status == 303
        thread_id = int(re.search(r"/threads/(\d+)", location).group(1))

        answered = []  # (body, post id) of every reply that got its 303
        lock = threading.Lock()
        killed = threading.Event()

        def client(number):
            browser = LiveBrowser(server.url)
            url = f"/threads/{thread_id}"
            for n in range(number, REPLIES, CLIENTS):
                body = f"Reply {n}"
                try:
                    status, location = browser.post_form(url, f"{url}/replies", {"body": body})
                except (OSError, urllib.error.URLError, http.client.HTTPException):
                    return  # the server is gone (IncompleteRead: in the middle of a page)
                if status != 303:
                    continue
                with lock:
                    answered.append((body, int(location.rsplit("#post-", 1)[1])))
                    if len(answered) == KILL_AFTER and not killed.is_set():
                        killed.set()
                        server.kill()

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))
        assert killed.is_set(), f"only {len(answered)} replies were answered before the burst ended"
    finally:
        server.stop()

    with Gunicorn(tmp_path, database_url, workers=2) as restarted:
        posts = every_post(LiveBrowser(restarted.url).get_json, thread_id)
    stored = {post["body"]: post["id"] for post in posts}
    bodies = [post["body"] for post in posts]
    assert len(bodies) == len(set(bodies)), "a reply is there twice"
    missing = [body for body, _ in answered if body not in stored]
    assert missing == [], f"{len(missing)} answered replies were lost"
    assert all(stored[body] == post_id for body, post_id in answered)
