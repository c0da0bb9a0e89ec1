"""Step 22: 4chan's read-only JSON API, and the OpenAPI document of the site's own API.

What a user notices: an imageboard client, archiver or script written for
4chan's API (github.com/4chan/4chan-API) reads this site too, at the same
addresses (/boards.json, /<board>/catalog.json, /<board>/thread/<no>.json...),
in the same shapes; and a program can ask /api/openapi.json what the site's own
API answers.

Everything here is posted through the site's forms and read back as a client
would. Every answer is also held to 4chan's own description of its API
(README.md and pages/Boards.md, Threadlist.md, Catalog.md, Threads.md,
Archive.md), written down once below as field -> type tables: each field the
site sends must be one 4chan describes, with 4chan's type, and each field 4chan
sends "always" must be there.
"""

import base64
import contextlib
import hashlib
import importlib.util
import io
import json
import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import imagefactory
import pytest
import staff
from forum import (
    BOARD,
    create_thread,
    full_image_urls_in,
    post_ids,
    reply,
    reply_with_file,
    serving,
    thread_ids_on_board,
)
from markupsafe import escape
from PIL import Image
from staff import act
from werkzeug.http import http_date, parse_date

pytestmark = pytest.mark.since("22")

# The shared browser logged in as "milo" (staff.py), as a fixture of this module.
moderator = staff.moderator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CLIENT = ROOT / "docs" / "examples" / "fourchan_client.py"

# A title-only thread's number: 2**31 + its id, above every post number (docs/fourchan.md).
TITLE_ONLY = 2**31
THREADS_PER_PAGE = 50  # as a board page shows them
ANSWERS = ["/boards.json", f"/{BOARD}/threads.json", f"/{BOARD}/catalog.json", f"/{BOARD}/archive.json"]
NOT_FOUND = {"error": {"status": 404, "message": (
    "There is no page at this address. The board or thread may never have existed."
)}}  # fmt: skip

# --- 4chan's published description, as field -> type --------------------------------------

# pages/Boards.md. (Its table says "array" for cooldowns and "integer" for
# meta_description, but its own example, and 4chan's real answers, have an
# object of three integers and a string: we check against those.)
BOARD_FIELDS = {
    "board": str, "title": str, "ws_board": int, "per_page": int, "pages": int, "max_filesize": int,
    "max_webm_filesize": int, "max_comment_chars": int, "max_webm_duration": int, "bump_limit": int,
    "image_limit": int, "cooldowns": dict, "meta_description": str,
}  # fmt: skip
# pages/Threadlist.md: threads.json is a list of {"page", "threads"}, and each thread is:
THREAD_LIST_ENTRY = {"no": int, "last_modified": int, "replies": int}
# pages/Threads.md and pages/Catalog.md, "Appears: always":
EVERY_POST = {"no": int, "resto": int, "now": str, "time": int, "name": str}
# "always if post has attachment": all of them or none.
ATTACHMENT = {
    "tim": int, "filename": str, "ext": str, "fsize": int, "md5": str, "w": int, "h": int,
    "tn_w": int, "tn_h": int,
}  # fmt: skip
# "OP only" (sub: "OP only, if subject was included"; every thread here has a
# title), and the flags 4chan sends as 0 or 1 (README.md: "0 (no), 1 (yes)").
OPENING_POST = {
    "sub": str, "replies": int, "images": int, "semantic_url": str,
    "sticky": int, "closed": int, "bumplimit": int, "imagelimit": int,
}  # fmt: skip
# pages/Catalog.md: the "catalog OP only" fields.
CATALOG_OPENING_POST = {
    "last_replies": list, "omitted_posts": int, "omitted_images": int, "last_modified": int,
}  # fmt: skip
# Sent only when there is something to say: com "if comment was included";
# archived and archived_on (README.md) on the opening post of an archived thread.
OPTIONAL = {"com": str, "archived": int, "archived_on": int}
# README.md: "08/08/12(Wed)01:11", ":SS on some boards".
NOW = re.compile(r"\d\d/\d\d/\d\d\((Mon|Tue|Wed|Thu|Fri|Sat|Sun)\)\d\d:\d\d(:\d\d)?")


def check_fields(answer, required, optional=()):
    """`answer` has every `required` field, and only fields from `required` and
    `optional`, each of the type the table gives (an int is never a bool)."""
    types = {**dict.fromkeys(optional), **required}
    assert set(required) <= set(answer), f"missing: {set(required) - set(answer)}"
    for field, value in answer.items():
        assert field in types, f"{field} is not described by 4chan's API"
        if types[field] is not None:
            assert type(value) is types[field], f"{field}: {value!r} is not {types[field].__name__}"


def check_post(post, opening, catalog=False):
    """A post of a thread's JSON or of catalog.json, against 4chan's tables."""
    required = {**EVERY_POST, **(ATTACHMENT if "tim" in post else {})}
    if opening:
        required.update(OPENING_POST)
        if catalog:
            required.update(CATALOG_OPENING_POST)
    check_fields(post, required, optional=OPTIONAL)
    assert NOW.fullmatch(post["now"]), post["now"]
    for reply_post in post.get("last_replies", []):
        check_post(reply_post, opening=False)


def check_pages(pages, check_entry):
    """threads.json and catalog.json: [{"page": 1, "threads": [...]}, ...]."""
    assert [page["page"] for page in pages] == list(range(1, len(pages) + 1))
    for page in pages:
        check_fields(page, {"page": int, "threads": list})
        for entry in page["threads"]:
            check_entry(entry)


# --- reading the answers, as a client would -------------------------------------------------


def get_json(client, url, status=200):
    """The decoded JSON answer at `url`, which must have `status`."""
    response = client.get(url)
    assert (response.status_code, response.mimetype) == (status, "application/json"), (
        f"GET {url} answered {response.status_code} {response.mimetype}"
    )
    return response.get_json()


def catalog_threads(client, board=BOARD):
    """Every thread of /<board>/catalog.json, page after page."""
    pages = get_json(client, f"/{board}/catalog.json")
    check_pages(pages, lambda entry: check_post(entry, opening=True, catalog=True))
    return [entry for page in pages for entry in page["threads"]]


def thread_posts(client, number, board=BOARD):
    """The posts of /<board>/thread/<number>.json."""
    posts = get_json(client, f"/{board}/thread/{number}.json")["posts"]
    check_post(posts[0], opening=True)
    for post in posts[1:]:
        check_post(post, opening=False)
    return posts


def undated(post, started):
    """The post without `time` and `now`, once they are checked: written between
    `started` and now, and `now` the same moment as `time` (in UTC, 4chan's format)."""
    post = dict(post)
    moment = datetime.fromtimestamp(post.pop("time"), timezone.utc)
    assert started.replace(microsecond=0) <= moment <= datetime.now(timezone.utc)
    assert post.pop("now") == moment.strftime("%m/%d/%y(%a)%H:%M:%S")
    return post


def b64_md5(data):
    """4chan's md5: base64 of the MD5 digest of the bytes (24 characters)."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def reply_id(client, thread_id, body):
    """Reply through the thread's form; return the new post's number."""
    response = reply(client, thread_id, body)
    assert response.status_code == 303, response.status_code
    return int(re.search(r"#post-(\d+)$", response.headers["Location"])[1])


def thread_with_image(client):
    """A thread whose opening post has a PNG; return (thread id, its 4chan JSON address)."""
    thread_id = create_thread(client, "T", "first", image=("a.png", imagefactory.png()))
    return thread_id, f"/{BOARD}/thread/{post_ids(client, thread_id)[0]}.json"


# --- boards.json --------------------------------------------------------------------------


def test_boards_json_lists_every_board_with_its_limits(app, client):
    """/boards.json: every board, A to Z, with the site's limits in 4chan's fields."""
    config = app.config
    expected = [
        {
            "board": board["slug"],
            "title": board["name"],
            "meta_description": str(escape(board["description"])),
            "ws_board": 1,
            "per_page": THREADS_PER_PAGE,
            "pages": -(-config["BOARD_THREAD_LIMIT"] // THREADS_PER_PAGE),
            "max_filesize": config["MAX_IMAGE_SIZE"],
            "max_webm_filesize": config["MAX_VIDEO_SIZE"],
            "max_webm_duration": 0,
            "max_comment_chars": 5000,
            "bump_limit": config["BUMP_LIMIT"],
            "image_limit": config["REPLY_LIMIT"],
            "cooldowns": {"threads": 0, "replies": 0, "images": 0},
        }
        for board in sorted(config["BOARDS"], key=lambda board: board["name"].lower())
    ]
    answer = get_json(client, "/boards.json")
    assert answer == {"boards": expected}
    for board in answer["boards"]:
        check_fields(board, BOARD_FIELDS)


# --- threads and posts, posted through the forms ------------------------------------------------


def test_a_thread_posted_through_the_forms_reads_back_through_the_api(client):
    """A thread with two images reads back with the site's numbers, escaped text,
    the stored files' sizes and MD5s; the files and thumbnails download from 4chan's addresses."""
    started = datetime.now(timezone.utc)
    body = "Rings <b>wide</b> open\n& clear"
    image = ("ring s.png", imagefactory.png(400, 300))
    thread_id = create_thread(client, "Saturn's rings", body, image=image)
    gif_id = reply_with_file(client, thread_id, "sky.gif", imagefactory.gif(), body="Mine:")
    text_id = reply_id(client, thread_id, "Nice")
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    opening_id = post_ids(client, thread_id)[0]
    png, gif = (client.get(url).data for url in full_image_urls_in(page))  # the stored files

    opening = {
        "no": opening_id, "resto": 0, "name": "Anonymous",
        "sub": "Saturn&#39;s rings", "com": "Rings &lt;b&gt;wide&lt;/b&gt; open<br>&amp; clear",
        "tim": opening_id, "filename": "ring s", "ext": ".png", "fsize": len(png), "md5": b64_md5(png),
        # The real thumbnail's size: 250 pixels on the longest side, never enlarged.
        "w": 400, "h": 300, "tn_w": 250, "tn_h": 188,
        "replies": 2, "images": 1, "semantic_url": "saturns-rings",
        "sticky": 0, "closed": 0, "bumplimit": 0, "imagelimit": 0,
    }  # fmt: skip
    gif_w, gif_h = imagefactory.GIF_SIZE  # its own thumbnail's size too: never enlarged
    with_gif = {
        "no": gif_id, "resto": opening_id, "name": "Anonymous", "com": "Mine:",
        "tim": gif_id, "filename": "sky", "ext": ".gif", "fsize": len(gif), "md5": b64_md5(gif),
        "w": gif_w, "h": gif_h, "tn_w": gif_w, "tn_h": gif_h,
    }  # fmt: skip
    text_only = {"no": text_id, "resto": opening_id, "name": "Anonymous", "com": "Nice"}
    posts = thread_posts(client, opening_id)
    assert [undated(post, started) for post in posts] == [opening, with_gif, text_only]
    # The catalog: the same opening post, with the thread's last replies.
    [entry] = catalog_threads(client)
    entry = undated(entry, started)
    assert entry.pop("last_modified") == posts[-1]["time"]
    last_replies = [undated(post, started) for post in entry.pop("last_replies")]
    assert entry == {**opening, "omitted_posts": 0, "omitted_images": 0}
    assert last_replies == [with_gif, text_only]

    # The files download from /<board>/<tim><ext>, the thumbnails from
    # /<board>/<tim>s.jpg: JPEGs of tn_w x tn_h pixels.
    for post, stored in ((opening, png), (with_gif, gif)):
        assert client.get(f"/{BOARD}/{post['tim']}{post['ext']}").data == stored
        thumbnail = client.get(f"/{BOARD}/{post['tim']}s.jpg")
        assert thumbnail.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(thumbnail.data)).size == (post["tn_w"], post["tn_h"])


def test_threads_json_lists_every_thread_in_board_order_by_page(client):
    """/<board>/threads.json: every thread's number (its opening post's), newest first, 50 a page."""
    for n in range(THREADS_PER_PAGE + 1):
        create_thread(client, f"Thread {n}", f"post {n}")
    pages = get_json(client, f"/{BOARD}/threads.json")
    check_pages(pages, lambda entry: check_fields(entry, THREAD_LIST_ENTRY))
    on_the_board = thread_ids_on_board(client) + thread_ids_on_board(client, page=2)
    numbers = [post_ids(client, thread_id)[0] for thread_id in on_the_board]
    by_page = [[(entry["no"], entry["replies"]) for entry in page["threads"]] for page in pages]
    assert by_page == [[(no, 0) for no in numbers[:THREADS_PER_PAGE]], [(numbers[-1], 0)]]
    assert [entry["no"] for entry in catalog_threads(client)] == numbers


def test_an_empty_board_has_one_empty_page(client):
    assert get_json(client, "/chess/threads.json") == [{"page": 1, "threads": []}]
    assert get_json(client, "/chess/catalog.json") == [{"page": 1, "threads": []}]
    assert get_json(client, "/chess/archive.json") == []


def test_a_title_only_thread_gets_a_stand_in_opening_post(client):
    """A thread of a title only is numbered 2**31 + its id, with an opening post that holds its title."""
    started = datetime.now(timezone.utc)
    thread_id = create_thread(client, "Just a title", "")
    number = TITLE_ONLY + thread_id
    assert get_json(client, f"/{BOARD}/threads.json")[0]["threads"][0]["no"] == number
    first_reply = reply_id(client, thread_id, "the first reply")
    stand_in = {
        "no": number, "resto": 0, "name": "Anonymous", "sub": "Just a title", "replies": 1, "images": 0,
        "semantic_url": "just-a-title", "sticky": 0, "closed": 0, "bumplimit": 0, "imagelimit": 0,
    }  # fmt: skip
    answer = {"no": first_reply, "resto": number, "name": "Anonymous", "com": "the first reply"}
    assert [undated(post, started) for post in thread_posts(client, number)] == [stand_in, answer]
    # The first reply is a reply, not the thread: its number does not open the thread.
    assert get_json(client, f"/{BOARD}/thread/{first_reply}.json", status=404) == NOT_FOUND


def test_full_threads_are_closed_and_in_the_archive(app, client):
    """A thread at REPLY_LIMIT replies is closed: in archive.json, and archived in its own JSON."""
    app.config.update(REPLY_LIMIT=2, BUMP_LIMIT=1)
    open_thread = create_thread(client, "Open", "first")
    closed_thread = create_thread(client, "Closed", "first")
    reply_id(client, open_thread, "one")
    for body in ("one", "two"):
        reply_id(client, closed_thread, body)
    numbers = {entry["sub"]: entry["no"] for entry in catalog_threads(client)}
    assert get_json(client, f"/{BOARD}/archive.json") == [numbers["Closed"]]
    closed = thread_posts(client, numbers["Closed"])
    flags = ("closed", "bumplimit", "archived", "archived_on")
    assert {flag: closed[0].get(flag) for flag in flags} == {
        "closed": 1, "bumplimit": 1, "archived": 1, "archived_on": closed[-1]["time"]
    }
    still_open = thread_posts(client, numbers["Open"])[0]
    assert {flag: still_open.get(flag) for flag in flags} == {
        "closed": 0, "bumplimit": 1, "archived": None, "archived_on": None
    }


def test_pinned_threads_are_stickies_and_locked_ones_are_closed(client, moderator):
    """A moderator's pin makes a sticky, listed first; a lock closes a thread (not archived: not full)."""
    pinned, locked, plain = (create_thread(client, title, "first") for title in ("Pinned", "Locked", "Plain"))
    assert act(moderator, f"/mod/threads/{pinned}/pin").status_code == 303
    assert act(moderator, f"/mod/threads/{locked}/lock").status_code == 303
    flags = [(entry["sub"], entry["sticky"], entry["closed"]) for entry in catalog_threads(client)]
    assert flags == [("Pinned", 1, 0), ("Plain", 0, 0), ("Locked", 0, 1)]
    assert get_json(client, f"/{BOARD}/archive.json") == []


def test_the_catalog_shows_the_last_five_replies(client):
    thread_id = create_thread(client, "Long", "opening")
    replies = [reply_id(client, thread_id, f"reply {n}") for n in range(7)]
    [entry] = catalog_threads(client)
    shown = ([post["no"] for post in entry["last_replies"]], entry["replies"], entry["omitted_posts"])
    assert shown == (replies[-5:], 7, 2)


# --- images stored before the site kept their MD5 ------------------------------------------------


def forget_md5s(app):
    """Empty every image's md5, as step 21 left it (the column is there, with nothing in it)."""
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("UPDATE images SET md5 = NULL")


def test_images_stored_before_md5_was_kept_get_it_from_flask_fill_md5(app, client):
    """`flask fill-md5` stores the MD5 of the images that have none; until then their posts leave md5 out."""
    thread_id, url = thread_with_image(client)
    [stored] = (client.get(url).data for url in full_image_urls_in(client.get(f"/threads/{thread_id}")))
    forget_md5s(app)
    # The one way these answers differ from 4chan's description: no md5 until it is known.
    [entry] = get_json(client, f"/{BOARD}/catalog.json")[0]["threads"]
    assert "md5" not in entry and "tim" in entry
    runner = app.test_cli_runner()
    assert runner.invoke(args=["fill-md5"]).output == "Stored the MD5 of 1 image.\n"
    assert catalog_threads(client)[0]["md5"] == b64_md5(stored)
    assert runner.invoke(args=["fill-md5"]).output == "Stored the MD5 of 0 images.\n"


def test_flask_fill_md5_says_which_files_are_missing(app, client, upload_folder):
    thread_with_image(client)
    forget_md5s(app)
    for stored in upload_folder.rglob("*.png"):
        stored.unlink()
    assert app.test_cli_runner().invoke(args=["fill-md5"]).output == (
        "Stored the MD5 of 0 images.\n1 image file is missing: run `flask prune-uploads`?\n"
    )


# --- HTTP: Last-Modified, 304, CORS, HEAD, OPTIONS -------------------------------------------


def next_second():
    """Wait for the clock's next whole second: Last-Modified dates are in whole seconds."""
    time.sleep(1 - time.time() % 1)


def test_every_answer_is_dated_and_a_304_when_not_modified(client):
    _, thread_url = thread_with_image(client)
    next_second()  # the last change is in a past second (see the test after the next)
    for url in [*ANSWERS, thread_url]:
        response = client.get(url)
        assert response.status_code == 200, url
        modified = parse_date(response.headers["Last-Modified"])
        assert modified <= datetime.now(timezone.utc)
        assert response.headers["Cache-Control"] == "no-cache"
        for since in (modified, modified + timedelta(days=1)):
            not_modified = client.get(url, headers={"If-Modified-Since": http_date(since)})
            assert (not_modified.status_code, not_modified.data) == (304, b""), url
        older = client.get(url, headers={"If-Modified-Since": http_date(modified - timedelta(seconds=1))})
        assert (older.status_code, older.data) == (200, response.data)
        assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_etag_catches_a_change_within_the_same_second(client):
    thread_id, thread_url = thread_with_image(client)
    response = client.get(thread_url)
    assert response.status_code == 200
    reply_id(client, thread_id, "quick")
    both = {"If-Modified-Since": response.headers["Last-Modified"], "If-None-Match": response.headers["ETag"]}
    assert client.get(thread_url, headers=both).status_code == 200


def test_a_reply_in_the_second_of_the_last_change_is_not_hidden_by_if_modified_since(client):
    """basc-py4chan's case: a client polls a thread with If-Modified-Since only. It reads
    the thread, someone replies within the same second, and the client asks again, at
    once and a second later: both times it gets the reply, not a 304 (the two changes
    have the same date in whole seconds). Once that second is past, its date is exact
    and a 304 answers it again."""
    next_second()  # what follows takes a tenth of a second: all of it in one second
    second = int(time.time())
    thread_id = create_thread(client, "Quick", "first")
    url = f"/{BOARD}/thread/{post_ids(client, thread_id)[0]}.json"
    first = client.get(url)
    reply_id(client, thread_id, "a reply in the same second")
    in_the_same_second = int(time.time()) == second
    polls = {"at once": client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})}
    next_second()
    polls["a second later"] = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    settled = polls["a second later"].headers["Last-Modified"]
    polls["with the new date"] = client.get(url, headers={"If-Modified-Since": settled})
    assert in_the_same_second  # (else the test proves nothing: run it again)
    assert {when: (poll.status_code, len(poll.get_json()["posts"]) if poll.data else 0)
            for when, poll in polls.items()} == {
        "at once": (200, 2), "a second later": (200, 2), "with the new date": (304, 0)
    }


def test_a_new_reply_changes_the_threads_last_modified(client):
    thread_id, thread_url = thread_with_image(client)
    before = get_json(client, f"/{BOARD}/threads.json")[0]["threads"][0]["last_modified"]
    reply_id(client, thread_id, "later")
    written = thread_posts(client, int(thread_url.split("/")[-1].removesuffix(".json")))[-1]["time"]
    after = get_json(client, f"/{BOARD}/threads.json")[0]["threads"][0]["last_modified"]
    assert after == written >= before
    next_second()  # (in the second of the change, the date is a second earlier: see above)
    modified = parse_date(client.get(thread_url).headers["Last-Modified"])
    assert modified == datetime.fromtimestamp(written, timezone.utc)


def test_any_site_may_read_the_answers_and_ask_first(client):
    """CORS: every answer (an error too) may be read by another site's page, and a preflight gets 204."""
    _, thread_url = thread_with_image(client)
    for url in [*ANSWERS, thread_url, "/nowhere/threads.json"]:
        assert client.get(url).headers.get("Access-Control-Allow-Origin") == "*", url
        preflight = client.options(
            url, headers={"Origin": "https://client.example", "Access-Control-Request-Method": "GET"}
        )
        assert (preflight.status_code, preflight.data) == (204, b"")
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        for header in ("Allow", "Access-Control-Allow-Methods"):
            assert set(preflight.headers[header].split(", ")) == {"GET", "HEAD", "OPTIONS"}
        assert "If-Modified-Since" in preflight.headers["Access-Control-Allow-Headers"]


def test_head_answers_the_headers_of_get_without_the_body(client):
    _, thread_url = thread_with_image(client)
    next_second()  # the date is exact from now on, whichever second GET and HEAD fall in
    for url in [*ANSWERS, thread_url]:
        got, head = client.get(url), client.head(url)
        assert (head.status_code, head.data) == (200, b"")
        for header in ("Content-Type", "Content-Length", "Last-Modified", "Access-Control-Allow-Origin"):
            assert head.headers[header] == got.headers[header]


def test_images_keep_the_rule_of_uploads(client):
    """Served like /uploads/ files: cached for good, embeddable by this site's pages only."""
    _, thread_url = thread_with_image(client)
    post = get_json(client, thread_url)["posts"][0]
    response = client.get(f"/{BOARD}/{post['tim']}{post['ext']}")
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "immutable" in response.headers["Cache-Control"]
    assert "Access-Control-Allow-Origin" not in response.headers
    assert client.head(f"/{BOARD}/{post['tim']}s.jpg").status_code == 200


# --- 404s, never 500s ----------------------------------------------------------------------------

IMPOSSIBLE_ADDRESSES = [
    "/nowhere/threads.json",
    "/nowhere/catalog.json",
    "/nowhere/archive.json",
    "/nowhere/thread/1.json",
    f"/{BOARD}/thread/999.json",  # no such post
    f"/{BOARD}/thread/0.json",
    f"/{BOARD}/thread/-1.json",
    f"/{BOARD}/thread/1e3.json",
    f"/{BOARD}/thread/abc.json",
    f"/{BOARD}/thread/%EF%BC%91.json",  # a full-width digit one: not an ASCII number
    f"/{BOARD}/thread/{TITLE_ONLY + 2**31}.json",  # past the largest number
    f"/{BOARD}/thread/" + "9" * 5000 + ".json",  # int() would refuse it: a 500, if unchecked
    f"/{BOARD}/thread/{TITLE_ONLY + 999}.json",  # no such title-only thread
]


def test_unknown_or_impossible_addresses_are_json_404s(client):
    """Each is a 404 in JSON, never a 500; the site's own pages answer HTML, as before.

    On step 21 these addresses are 404s too, but HTML pages: this test fails
    there because it asks for JSON (and for the thread's own address first)."""
    _, thread_url = thread_with_image(client)
    get_json(client, thread_url)
    responses = {url: client.get(url) for url in IMPOSSIBLE_ADDRESSES}
    answers = {url: (response.status_code, response.get_json()) for url, response in responses.items()}
    assert answers == dict.fromkeys(IMPOSSIBLE_ADDRESSES, (404, NOT_FOUND))
    # The 4chan routes share their shape with none of the pages: those answer as before.
    pages = {url: client.get(url) for url in ("/boards/astronomy", "/threads/abc", "/boards/threads.json")}
    shown = {url: (response.status_code, response.mimetype) for url, response in pages.items()}
    assert shown == {
        "/boards/astronomy": (200, "text/html"), "/threads/abc": (404, "text/html"),
        "/boards/threads.json": (404, "text/html"),
    }  # fmt: skip


def test_a_thread_is_only_found_on_its_own_board_and_by_its_opening_post(client):
    thread_id, thread_url = thread_with_image(client)
    number = post_ids(client, thread_id)[0]
    get_json(client, thread_url)
    a_reply = reply_id(client, thread_id, "a reply")
    title_only = create_thread(client, "Title only", "")
    wrong = [
        f"/chess/thread/{number}.json",  # another board
        f"/{BOARD}/thread/{a_reply}.json",  # a reply's number
        f"/{BOARD}/thread/{title_only}.json",  # a thread id is not a number here
    ]
    assert {url: client.get(url).status_code for url in wrong} == dict.fromkeys(wrong, 404)


def test_unknown_files_are_404s(client):
    thread_id, thread_url = thread_with_image(client)
    tim = get_json(client, thread_url)["posts"][0]["tim"]
    assert client.get(f"/{BOARD}/{tim}.png").status_code == 200
    without_image = reply_id(client, thread_id, "no image")
    names = [
        f"{tim}.jpg",  # the wrong extension
        f"{tim}s.png",  # thumbnails are .jpg
        f"{without_image}.png",  # a post without an image
        "999.png", "0.png", "9999999999.png", "9" * 5000 + ".png",
    ]  # fmt: skip
    urls = [f"/{BOARD}/{name}" for name in names] + [f"/chess/{tim}.png"]  # the right file, the wrong board
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)


# --- the docs' example client -------------------------------------------------------------------


@pytest.mark.live
def test_the_docs_example_client_reads_a_live_site(app, client, capsys):
    """docs/examples/fourchan_client.py, as the docs page shows it, over real HTTP."""
    spec = importlib.util.spec_from_file_location("fourchan_client", EXAMPLE_CLIENT)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.SECONDS_BETWEEN_REQUESTS = 0  # 4chan's rule is for 4chan; this test server does not mind
    image = ("saturn.png", imagefactory.png())
    thread = create_thread(client, "Saturn tonight", "Rings & moons\nTitan too", image=image)
    reply(client, thread, "<i>Lovely</i>")
    next_second()  # its second past, the thread's date is exact: asked again, a 304
    with serving(app) as base_url:
        example.main(base_url, BOARD)
    printed = capsys.readouterr().out
    assert "'Saturn tonight'  (1 replies)" in printed
    assert "Rings & moons\nTitan too" in printed and "<i>Lovely</i>" in printed
    stored_size = client.get(f"/api/threads/{thread}/posts").json["posts"][0]["image"]["size"]
    assert f"[saturn.png, 4x3, {stored_size} bytes] {base_url}/{BOARD}/" in printed
    assert "304 Not Modified" in printed


# --- the site's own API, described in OpenAPI -------------------------------------------------


def openapi_path(rule):
    """A Flask rule as OpenAPI writes it: /api/threads/<id:thread_id> -> /api/threads/{thread_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def test_the_api_serves_its_openapi_document(app, client):
    """/api/openapi.json is the file openapi.json beside api.py, as JSON."""
    document = get_json(client, "/api/openapi.json")
    assert document == json.loads((Path(app.root_path) / "openapi.json").read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1.")


def test_every_api_route_is_documented_and_every_documented_path_is_a_route(app, client):
    """Each /api/ route and method is an operation of the document, with the same path parameters."""
    document = get_json(client, "/api/openapi.json")
    routes = {
        (openapi_path(rule), method.lower()): sorted(rule.arguments)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method): sorted(re.findall(r"{(\w+)}", path))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    }
    assert routes == documented
    # Each operation's path parameters are those of its path.
    for (path, method), in_path in documented.items():
        parameters = [resolve(document, p) for p in document["paths"][path][method].get("parameters", [])]
        assert sorted(p["name"] for p in parameters if p["in"] == "path") == in_path, path


def resolve(document, item):
    """Follow a "$ref": "#/components/..." to what it points to, inside the document."""
    while "$ref" in item:
        keys = item["$ref"].removeprefix("#/").split("/")
        item = document
        for key in keys:
            item = item[key]
    return item
