"""Step 10: the data lives in a database file, not in the server's memory.

What a visitor notices: posts are still there after a restart; a board shows
50 threads a page; when the database is too busy, the site says so (503) and
loses nothing; many writers at once lose nothing either.

"The same database again" is a second app built with the same settings
(targets.reload_app): exactly what a restarted server, or a second worker
process, is.
"""

import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import imagefactory
import pytest
from forum import (
    LiveBrowser,
    create_thread,
    page,
    post_ids,
    post_ids_in,
    reply,
    serving,
    stored_files,
    stored_uploads,
    thread_ids_on_board,
)
from targets import reload_app

pytestmark = pytest.mark.since("10")


def database_file(app):
    """The app's SQLite file: DATABASE, or the file in the final app's sqlite:/// URL."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI", "")
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else app.config["DATABASE"]


def link(html, rel):
    """The address of the page's <a rel="next"> (or "prev") link, or None."""
    found = page(html).link(rel=rel)
    return found.get("href") if found else None


@pytest.mark.live
def test_posts_survive_a_restart(app):
    with serving(app) as address:
        browser = LiveBrowser(address)
        fields = {"title": "Still here tomorrow?", "body": "Opening post"}
        status, location = browser.post_form("/boards/astronomy", "/boards/astronomy/threads", fields)
        assert status == 303
        thread_id = int(re.search(r"/threads/(\d+)", location).group(1))
        for text in ("First reply", "Second reply"):
            page = f"/threads/{thread_id}"
            assert browser.post_form(page, f"{page}/replies", {"body": text})[0] == 303
        _, html = browser.get(f"/threads/{thread_id}")
        ids = post_ids_in(html)
    # The server has stopped. A new app on the same database, as after a restart:
    restarted = reload_app(app).test_client()
    assert thread_ids_on_board(restarted) == [thread_id]
    assert len(ids) == 3
    assert post_ids(restarted, thread_id) == ids
    html = restarted.get(f"/threads/{thread_id}").get_data(as_text=True)
    for text in ("Still here tomorrow?", "Opening post", "First reply", "Second reply"):
        assert text in html


def test_a_board_shows_50_threads_a_page_newest_first(client):
    newest_first = [create_thread(client, title=f"Thread {n}") for n in range(51)][::-1]
    assert thread_ids_on_board(client) == newest_first[:50]
    assert thread_ids_on_board(client, page=2) == newest_first[50:]
    first = client.get("/boards/astronomy").get_data(as_text=True)
    second = client.get("/boards/astronomy?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    # Page 1 is the board's own address; there is no page 3.
    assert (link(first, "prev"), link(first, "next")) == (None, "/boards/astronomy?page=2")
    assert (link(second, "prev"), link(second, "next")) == ("/boards/astronomy", None)
    assert client.get("/boards/astronomy?page=3").status_code == 404


@pytest.mark.parametrize(
    "page",
    ["2", "0", "-1", "abc", "1.5", "9" * 5000],
    ids=["past the end", "0", "-1", "abc", "1.5", "5000 digits"],
)
def test_a_page_past_the_end_or_not_a_whole_number_is_404(client, page):
    thread_id = create_thread(client, title="The only thread")
    assert client.get("/boards/astronomy?page=1").status_code == 200
    response = client.get(f"/boards/astronomy?page={page}")
    assert response.status_code == 404
    assert f"/threads/{thread_id}" not in response.get_data(as_text=True)


def test_a_busy_database_answers_503_stores_nothing_and_works_again_afterwards(app, upload_folder):
    # DATABASE_TIMEOUT: how long a post waits for the database before giving up.
    app = reload_app(app, DATABASE_TIMEOUT=0.2)
    client = app.test_client()
    thread_id = create_thread(client, title="Busy")
    posts_before = post_ids(client, thread_id)
    picture = ("busy.png", imagefactory.png())

    # Another program holds the database's write lock for longer than that.
    other = sqlite3.connect(database_file(app), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        response = reply(client, thread_id, "Anyone there?", image=picture)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "nothing was posted" in response.get_data(as_text=True)
    assert post_ids(client, thread_id) == posts_before
    assert stored_files(upload_folder) == []
    # The lock is gone: the same post goes through.
    assert reply(client, thread_id, "Anyone there?", image=picture).status_code == 303
    assert len(post_ids(client, thread_id)) == len(posts_before) + 1
    assert len(stored_uploads(upload_folder)) == 1


def test_writers_in_parallel_on_one_database_store_every_reply_once(app):
    thread_id = create_thread(app.test_client(), title="Everyone at once")
    # Four apps on one database file, like four worker processes of one site.
    writers = [reload_app(app) for _ in range(4)]
    start_together = threading.Barrier(len(writers))

    def write(writer, number):
        client = writer.test_client()
        start_together.wait()
        return [reply(client, thread_id, f"writer {number}, reply {n}").status_code for n in range(10)]

    with ThreadPoolExecutor(len(writers)) as pool:
        statuses = [status for answers in pool.map(write, writers, range(4)) for status in answers]

    assert statuses == [303] * 40
    ids = post_ids(app.test_client(), thread_id)
    assert len(ids) == len(set(ids)) == 1 + 40  # the opening post and every reply, each id once
    html = app.test_client().get(f"/threads/{thread_id}").get_data(as_text=True)
    assert all(f"writer {number}, reply {n}<" in html for number in range(4) for n in range(10))
