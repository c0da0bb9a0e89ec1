"""Exercise 22.1 · Index pages: /<board>/1.json.

4chan's index pages (pages/Indexes.md of github.com/4chan/4chan-API) show a
board page by page, as its HTML index does: {"threads": [{"posts": [the
opening post, then its last replies]}, ...]}, the opening post with
omitted_posts and omitted_images. The same threads and posts as catalog.json,
in another shape: 50 threads a page, page 1 even for an empty board, a 404
after the last page. Everything else the step does keeps working.
"""

import time

import imagefactory
from forum import BOARD, create_thread, reply, reply_with_file

NOT_FOUND = {"error": {"status": 404, "message": (
    "There is no page at this address. The board or thread may never have existed."
)}}  # fmt: skip


def get_json(client, url):
    """(status, decoded JSON or None) of the answer at `url`."""
    response = client.get(url)
    return response.status_code, response.get_json(silent=True)


def catalog_entries(client, board=BOARD):
    status, pages = get_json(client, f"/{board}/catalog.json")
    assert status == 200, f"/{board}/catalog.json answered {status}"
    return [entry for page in pages for entry in page["threads"]]


def as_index_thread(entry):
    """A catalog entry as an index page shows its thread: the opening post
    (the entry without last_replies), then the replies."""
    opening = {key: value for key, value in entry.items() if key != "last_replies"}
    return {"posts": [opening, *entry["last_replies"]]}


def test_an_index_page_shows_each_thread_with_its_last_replies(client):
    """/astronomy/1.json: each thread's opening post, then its last 5 replies, in board order.

    Hint: add a route to fourchan.py for /<board>/<page>.json. The catalog has
    every post it needs: build each catalog entry as catalog() does (a function
    both views call), take the page's entries from by_page(), and move each
    entry's last_replies after it: {"posts": [entry, *last_replies]}.
    """
    long = create_thread(client, "Long", "opening", image=("a.png", imagefactory.png()))
    for n in range(7):
        reply(client, long, f"reply {n}")
    reply_with_file(client, long, "sky.gif", imagefactory.gif(), body="the last one")
    create_thread(client, "Just a title", "")
    status, answer = get_json(client, f"/{BOARD}/1.json")
    assert status == 200, f"/{BOARD}/1.json answered {status}, not 200"
    expected = {"threads": [as_index_thread(entry) for entry in catalog_entries(client)]}
    assert answer == expected, f"/{BOARD}/1.json is {answer}, not the catalog's threads as an index"


def test_index_pages_hold_50_threads_and_end_with_the_threads(client):
    """51 threads: 50 on /astronomy/1.json, 1 on 2.json, and 3.json is a 404; an empty board has page 1.

    Hint: by_page() cuts a list into pages of 50 (page 1 is there even when the
    list is empty); a page number after the last page is abort(404).
    """
    for n in range(51):
        create_thread(client, f"Thread {n}", f"post {n}")
    counts = {}
    for page in (1, 2):
        status, answer = get_json(client, f"/{BOARD}/{page}.json")
        assert status == 200, f"/{BOARD}/{page}.json answered {status}, not 200"
        counts[page] = len(answer["threads"])
    assert counts == {1: 50, 2: 1}, f"the pages hold {counts} threads, not {{1: 50, 2: 1}}"
    assert get_json(client, f"/{BOARD}/3.json") == (404, NOT_FOUND), f"/{BOARD}/3.json is not a JSON 404"
    assert get_json(client, "/chess/1.json") == (200, {"threads": []}), "/chess/1.json is not an empty page"


def test_an_index_page_is_dated_and_readable_by_any_site(client):
    """Like every 4chan answer: a Last-Modified date, 304 when not modified, Access-Control-Allow-Origin: *.

    Hint: send the page with answer(data, modified), as the other views do,
    dated board_modified(summaries).
    """
    create_thread(client, "Dated", "first")
    time.sleep(1 - time.time() % 1)  # the board's last change in a past second: its date is exact
    response = client.get(f"/{BOARD}/1.json")
    assert response.status_code == 200, f"/{BOARD}/1.json answered {response.status_code}"
    assert "Last-Modified" in response.headers, "the answer has no Last-Modified date"
    again = client.get(f"/{BOARD}/1.json", headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert again.status_code == 304, f"asked again with If-Modified-Since: {again.status_code}, not 304"
    assert response.headers.get("Access-Control-Allow-Origin") == "*", "other sites' pages may not read it"


def test_still_impossible_pages_are_json_404s(client):
    """/astronomy/0.json, /nowhere/1.json and a page of 5,000 digits are JSON 404s, never HTML or a 500.

    Hint: Flask's <int:page> turns a number too long for int() into "no such
    route", which the site answers with its HTML error page. Take the page as
    text, /<board>/<page>.json, and check it with parse_number(), as thread_json() does.
    """
    create_thread(client, "One", "first")
    for url in (f"/{BOARD}/0.json", "/nowhere/1.json", f"/{BOARD}/" + "9" * 5000 + ".json"):
        shown = url if len(url) < 40 else f"/{BOARD}/ then 5,000 nines then .json"
        assert get_json(client, url) == (404, NOT_FOUND), f"{shown} is not a JSON 404"


def test_still_files_thumbnails_and_the_catalog_answer_as_before(client):
    """/astronomy/<tim>.png, its thumbnail <tim>s.jpg and catalog.json answer as they did.

    Hint: the new route must not catch the files' addresses: only names that end in .json.
    """
    create_thread(client, "With a file", "first", image=("a.png", imagefactory.png()))
    [entry] = catalog_entries(client)
    assert entry["last_replies"] == [] and "tim" in entry, f"the catalog's entry is {entry}"
    for name in (f"{entry['tim']}.png", f"{entry['tim']}s.jpg"):
        assert client.get(f"/{BOARD}/{name}").status_code == 200, f"/{BOARD}/{name} is not served"
