"""The 4chan-compatible read-only API (chatsite/fourchan.py).

Every answer is checked against 4chan's own description of its API
(github.com/4chan/4chan-API: README.md and pages/Boards.md, Threadlist.md,
Catalog.md, Threads.md, Archive.md), written down once below as field -> type
tables: each field the site sends must be one 4chan describes, with 4chan's
type, and each field 4chan sends "always" must be there.
"""

import base64
import hashlib
import importlib.util
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import imagefactory
import PIL.Image
import pytest
from forum import create_thread, reply, serving, thread_ids_on_board
from werkzeug.http import http_date, parse_date

from chatsite.fourchan_json import TITLE_ONLY, semantic_url
from chatsite.reading import THREADS_PER_PAGE

# --- 4chan's published description, as field -> type --------------------------------------

# pages/Boards.md. (Its table says "array" for cooldowns and "integer" for
# meta_description, but its own example, and 4chan's real answers, have an
# object of three integers and a string: we check against those.)
BOARD = {
    "board": str,
    "title": str,
    "ws_board": int,
    "per_page": int,
    "pages": int,
    "max_filesize": int,
    "max_webm_filesize": int,
    "max_comment_chars": int,
    "max_webm_duration": int,
    "bump_limit": int,
    "image_limit": int,
    "cooldowns": dict,
    "meta_description": str,
}
COOLDOWNS = {"threads": int, "replies": int, "images": int}

# pages/Threadlist.md: threads.json is a list of {"page", "threads"}, and each thread is:
THREAD_LIST_ENTRY = {"no": int, "last_modified": int, "replies": int}

# pages/Threads.md and pages/Catalog.md, "Appears: always":
EVERY_POST = {"no": int, "resto": int, "now": str, "time": int, "name": str}
# "always if post has attachment": all of them or none.
ATTACHMENT = {
    "tim": int,
    "filename": str,
    "ext": str,
    "fsize": int,
    "md5": str,
    "w": int,
    "h": int,
    "tn_w": int,
    "tn_h": int,
}
# "OP only" (sub: "OP only, if subject was included"; every thread here has a title).
OPENING_POST = {
    "sub": str,
    "replies": int,
    "images": int,
    "semantic_url": str,
    # 4chan sends these on OPs, 0 or 1 (README.md: "0 (no), 1 (yes)").
    "sticky": int,
    "closed": int,
    "bumplimit": int,
    "imagelimit": int,
}
# pages/Catalog.md: "catalog OP only" and "OP only" fields of catalog.json.
CATALOG_OPENING_POST = {
    "last_replies": list,
    "omitted_posts": int,
    "omitted_images": int,
    "last_modified": int,
}
# Sent only when there is something to say: com "if comment was included";
# archived and archived_on (README.md) on the opening post of an archived thread.
OPTIONAL = {"com": str, "archived": int, "archived_on": int}
# Every field 4chan describes for a post (README.md's Posts Object, Threads.md,
# Catalog.md); a field not in here is one no 4chan client knows.
DESCRIBED_POST_FIELDS = {
    *EVERY_POST, *ATTACHMENT, *OPENING_POST, *CATALOG_OPENING_POST, *OPTIONAL,
    "trip", "id", "capcode", "country", "country_name", "filedeleted", "spoiler", "custom_spoiler",
    "tag", "since4pass", "unique_ips", "m_img", "capcode_replies",
}  # fmt: skip
# README.md: "08/08/12(Wed)01:11", ":SS on some boards".
NOW = re.compile(r"\d\d/\d\d/\d\d\((Mon|Tue|Wed|Thu|Fri|Sat|Sun)\)\d\d:\d\d(:\d\d)?")


def check_fields(answer, required, optional=()):
    """`answer` has every `required` field, and only fields from `required` and
    `optional`, each of the type the table gives (an int is never a bool)."""
    types = {**dict.fromkeys(optional, None), **required}
    assert set(required) <= set(answer), f"missing: {set(required) - set(answer)}"
    for field, value in answer.items():
        assert field in types, f"{field} is not described by 4chan's API"
        expected = types[field]
        if expected is not None:
            assert type(value) is expected, f"{field}: {value!r} is not {expected.__name__}"


def check_post(post, opening, catalog=False):
    """A post of thread JSON or catalog.json, against 4chan's tables."""
    assert set(post) <= DESCRIBED_POST_FIELDS
    required = dict(EVERY_POST)
    if "tim" in post:
        required.update(ATTACHMENT)
    if opening:
        required.update(OPENING_POST)
        if catalog:
            required.update(CATALOG_OPENING_POST)
    check_fields(post, required, optional=OPTIONAL)
    assert post["no"] > 0
    assert post["name"] == "Anonymous"
    assert NOW.fullmatch(post["now"])
    assert post["now"] == datetime.fromtimestamp(post["time"], timezone.utc).strftime("%m/%d/%y(%a)%H:%M:%S")
    if opening:
        assert post["resto"] == 0
        for flag in ("sticky", "closed", "bumplimit", "imagelimit"):
            assert post[flag] in (0, 1)
        assert re.fullmatch(r"[a-z0-9-]*", post["semantic_url"])
    else:
        assert post["resto"] > 0
    if "tim" in post:
        assert post["ext"] in (".png", ".jpg", ".gif", ".webp")
        assert len(post["md5"]) == 24 and base64.b64decode(post["md5"])
        assert 1 <= post["tn_w"] <= 250 and 1 <= post["tn_h"] <= 250
    for reply_post in post.get("last_replies", []):
        check_post(reply_post, opening=False)


def check_pages(answer, entry_check):
    """threads.json and catalog.json: [{"page": 1, "threads": [...]}, ...]."""
    assert type(answer) is list and answer
    for number, page in enumerate(answer, start=1):
        check_fields(page, {"page": int, "threads": list})
        assert page["page"] == number
        for entry in page["threads"]:
            entry_check(entry)


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def catalog_threads(client, board="astronomy"):
    pages = get_json(client, f"/{board}/catalog.json")
    check_pages(pages, lambda entry: check_post(entry, opening=True, catalog=True))
    return [entry for page in pages for entry in page["threads"]]


def thread_posts(client, number, board="astronomy"):
    posts = get_json(client, f"/{board}/thread/{number}.json")["posts"]
    check_post(posts[0], opening=True)
    for post in posts[1:]:
        check_post(post, opening=False)
        assert post["resto"] == number
    return posts


def b64_md5(data):
    """4chan's md5: base64 of the MD5 digest of the bytes (24 characters)."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


# --- boards.json ------------------------------------------------------------------------


def test_boards_json_lists_every_board_with_4chans_fields(app, client):
    boards = get_json(client, "/boards.json")
    check_fields(boards, {"boards": list})
    a_to_z = sorted(app.config["BOARDS"], key=lambda board: board["name"].lower())
    assert [board["board"] for board in boards["boards"]] == [board["slug"] for board in a_to_z]
    for board in boards["boards"]:
        check_fields(board, BOARD)
        check_fields(board["cooldowns"], COOLDOWNS)
    astronomy = boards["boards"][0]
    assert astronomy["title"] == "Astronomy"
    assert astronomy["per_page"] == THREADS_PER_PAGE
    assert astronomy["max_filesize"] == app.config["MAX_IMAGE_SIZE"]
    assert astronomy["max_webm_filesize"] == app.config["MAX_VIDEO_SIZE"]
    assert astronomy["bump_limit"] == app.config["BUMP_LIMIT"]


# --- a round trip: post through the forms, read through the API ------------------------------


def test_a_thread_posted_through_the_forms_reads_back_through_the_api(client, pixels):
    opening_png = imagefactory.png(400, 300)
    reply_gif = imagefactory.gif()
    body = "Rings <b>wide</b> open\n& clear"
    thread = create_thread(client, "Saturn's rings", body, image=("ring s.png", opening_png))
    assert reply(client, thread, "Mine:", image=("sky.gif", reply_gif)).status_code == 303
    assert reply(client, thread, "Nice").status_code == 303

    (entry,) = catalog_threads(client)
    number = entry["no"]
    posts = thread_posts(client, number)
    opening, with_gif, text_only = posts
    assert opening["no"] == number  # a thread's number is its opening post's
    assert opening["sub"] == "Saturn&#39;s rings"
    assert opening["com"] == "Rings &lt;b&gt;wide&lt;/b&gt; open<br>&amp; clear"
    assert opening["semantic_url"] == "saturns-rings"
    assert (opening["replies"], opening["images"], opening["closed"]) == (2, 1, 0)
    assert (opening["filename"], opening["ext"]) == ("ring s", ".png")
    # The real thumbnail's size: 250 pixels on the longest side, never enlarged.
    assert (opening["w"], opening["h"], opening["tn_w"], opening["tn_h"]) == (400, 300, 250, 188)
    assert (with_gif["com"], with_gif["ext"]) == ("Mine:", ".gif")
    assert (with_gif["w"], with_gif["h"], with_gif["tn_w"], with_gif["tn_h"]) == (*imagefactory.GIF_SIZE,) * 2
    assert "tim" not in text_only and text_only["com"] == "Nice"
    # The catalog's opening post is the thread's, with the last replies.
    assert {key: entry[key] for key in opening} == opening
    assert entry["last_replies"] == [with_gif, text_only]
    assert (entry["omitted_posts"], entry["omitted_images"]) == (0, 0)

    # The files download from /<board>/<tim><ext>: the stored (re-encoded) bytes,
    # which fsize and md5 describe, the same pixels as sent. And the thumbnails,
    # /<board>/<tim>s.jpg: JPEGs of tn_w x tn_h pixels.
    for post, sent in ((opening, opening_png), (with_gif, reply_gif)):
        response = client.get(f"/astronomy/{post['tim']}{post['ext']}")
        assert response.status_code == 200
        assert (len(response.data), b64_md5(response.data)) == (post["fsize"], post["md5"])
        assert pixels(response.data) == pixels(sent)
        thumbnail = client.get(f"/astronomy/{post['tim']}s.jpg")
        assert thumbnail.mimetype == "image/jpeg"
        assert PIL.Image.open(io.BytesIO(thumbnail.data)).size == (post["tn_w"], post["tn_h"])

    # The numbers are the site's own post numbers, as its pages show them (#N).
    page = client.get(f"/threads/{thread}").get_data(as_text=True)
    assert [int(n) for n in re.findall(r'id="post-(\d+)"', page)] == [post["no"] for post in posts]


def test_threads_json_lists_every_thread_in_board_order_by_page(client, posting, reading):
    for n in range(THREADS_PER_PAGE + 1):
        posting.add_thread("astronomy", f"Thread {n}", f"post {n}")
    pages = get_json(client, "/astronomy/threads.json")
    check_pages(pages, lambda entry: check_fields(entry, THREAD_LIST_ENTRY))
    assert [len(page["threads"]) for page in pages] == [THREADS_PER_PAGE, 1]
    numbers = [entry["no"] for page in pages for entry in page["threads"]]
    # The board's order, each thread by its opening post's number.
    on_the_board = thread_ids_on_board(client) + thread_ids_on_board(client, page=2)
    assert numbers == [reading.thread_posts(thread_id)[0].id for thread_id in on_the_board]
    assert [entry["no"] for entry in catalog_threads(client)] == numbers


def test_an_empty_board_has_one_empty_page(client):
    assert get_json(client, "/chess/threads.json") == [{"page": 1, "threads": []}]
    assert get_json(client, "/chess/catalog.json") == [{"page": 1, "threads": []}]
    assert get_json(client, "/chess/archive.json") == []


def test_a_title_only_thread_gets_a_stand_in_opening_post(client, posting):
    thread = posting.add_thread("astronomy", "Just a title", "")
    pages = get_json(client, "/astronomy/threads.json")
    assert pages[0]["threads"][0]["no"] == TITLE_ONLY + thread.id
    (entry,) = catalog_threads(client)
    assert entry["no"] == TITLE_ONLY + thread.id
    assert entry["sub"] == "Just a title" and "com" not in entry and "tim" not in entry
    assert entry["replies"] == 0 and entry["last_replies"] == []

    post = posting.add_reply(thread.id, "the first reply")
    opening, first_reply = thread_posts(client, TITLE_ONLY + thread.id)
    assert opening["no"] == TITLE_ONLY + thread.id and opening["replies"] == 1
    assert first_reply["no"] == post.id and first_reply["resto"] == TITLE_ONLY + thread.id
    # The first reply is a reply, not the thread: its number does not open the thread.
    get_json(client, f"/astronomy/thread/{post.id}.json", status=404)


def test_closed_threads_are_in_the_archive(app, client, posting):
    app.config["REPLY_LIMIT"] = 2
    app.config["BUMP_LIMIT"] = 1
    open_thread = posting.add_thread("astronomy", "Open", "first")
    closed_thread = posting.add_thread("astronomy", "Closed", "first")
    posting.add_reply(open_thread.id, "one")
    for body in ("one", "two"):
        posting.add_reply(closed_thread.id, body)
    numbers = {entry["sub"]: entry["no"] for entry in catalog_threads(client)}
    assert get_json(client, "/astronomy/archive.json") == [numbers["Closed"]]
    closed = thread_posts(client, numbers["Closed"])[0]
    assert (closed["closed"], closed["bumplimit"], closed["archived"]) == (1, 1, 1)
    assert closed["archived_on"] >= closed["time"]
    still_open = thread_posts(client, numbers["Open"])[0]
    assert (still_open["closed"], still_open["bumplimit"]) == (0, 1)
    assert "archived" not in still_open


def test_the_catalog_shows_the_last_five_replies(client, posting):
    thread = posting.add_thread("astronomy", "Long", "opening")
    replies = [posting.add_reply(thread.id, f"reply {n}").id for n in range(7)]
    (entry,) = catalog_threads(client)
    assert [post["no"] for post in entry["last_replies"]] == replies[-5:]
    assert (entry["replies"], entry["omitted_posts"]) == (7, 2)


def test_images_stored_before_md5_was_kept_get_it_from_flask_fill_md5(client, posting, runner, upload_folder):
    data = imagefactory.png()
    path = "astronomy/2026/01/" + "b" * 32 + ".png"
    (upload_folder / path).parent.mkdir(parents=True)
    (upload_folder / path).write_bytes(data)
    image = {"path": path, "content_type": "image/png", "size": len(data), "width": 4, "height": 3}
    image.update(original_name="old.png", md5=None)  # stored before migration 0003
    posting.add_thread("astronomy", "Old", "", upload=image)
    # The one way these answers differ from 4chan's description: no md5 until it is known.
    (entry,) = get_json(client, "/astronomy/catalog.json")[0]["threads"]
    assert "md5" not in entry
    check_post({**entry, "md5": "x" * 22 + "=="}, opening=True, catalog=True)
    result = runner.invoke(args=["fill-md5"])
    assert "Stored the MD5 of 1 image." in result.output
    assert catalog_threads(client)[0]["md5"] == b64_md5(data)
    assert "Stored the MD5 of 0 images." in runner.invoke(args=["fill-md5"]).output


def test_flask_fill_md5_says_which_files_are_missing(posting, runner):
    image = {"path": "astronomy/2026/01/" + "c" * 32 + ".png", "content_type": "image/png", "size": 9}
    image.update(width=1, height=1, original_name="gone.png", md5=None)
    posting.add_thread("astronomy", "Gone", "", upload=image)
    output = runner.invoke(args=["fill-md5"]).output
    assert "Stored the MD5 of 0 images." in output
    assert "1 image file is missing" in output


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Saturn's rings tonight!", "saturns-rings-tonight"),
        ("Ünïcödé café, 2 cups", "unicode-cafe-2-cups"),
        ("土星の環", ""),  # no ASCII letters or digits at all: an empty slug
        ("word " * 20, "-".join(["word"] * 10)),  # whole words, at most 50 characters
        ("x" * 60, "x" * 50),
    ],
)
def test_semantic_url_is_4chans_slug_of_the_title(title, slug):
    assert semantic_url(title) == slug


# --- HTTP: Last-Modified, 304, CORS, HEAD, OPTIONS -------------------------------------------

ANSWERS = ["/boards.json", "/astronomy/threads.json", "/astronomy/catalog.json", "/astronomy/archive.json"]


@pytest.fixture
def thread_url(client):
    create_thread(client, "T", "first", image=("a.png", imagefactory.png()))
    return f"/astronomy/thread/{catalog_threads(client)[0]['no']}.json"


def test_every_answer_is_dated_and_a_304_when_not_modified(client, thread_url):
    for url in [*ANSWERS, thread_url]:
        response = client.get(url)
        modified = parse_date(response.headers["Last-Modified"])
        assert modified <= datetime.now(timezone.utc)
        assert response.headers["Cache-Control"] == "no-cache"
        for since in (modified, modified + timedelta(days=1)):
            not_modified = client.get(url, headers={"If-Modified-Since": http_date(since)})
            assert not_modified.status_code == 304, url
            assert not_modified.data == b""
        older = client.get(url, headers={"If-Modified-Since": http_date(modified - timedelta(seconds=1))})
        assert older.status_code == 200 and older.data == response.data
        assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_etag_catches_a_change_within_the_same_second(client, thread_url, posting):
    response = client.get(thread_url)
    posting.add_reply(thread_ids_on_board(client)[0], "quick")
    both = {"If-Modified-Since": response.headers["Last-Modified"], "If-None-Match": response.headers["ETag"]}
    assert client.get(thread_url, headers=both).status_code == 200


def test_a_new_reply_changes_the_threads_last_modified(client, thread_url, posting):
    before = get_json(client, "/astronomy/threads.json")[0]["threads"][0]["last_modified"]
    thread_id = thread_ids_on_board(client)[0]
    post = posting.add_reply(thread_id, "later")
    after = get_json(client, "/astronomy/threads.json")[0]["threads"][0]["last_modified"]
    assert after == int(post.created_at.timestamp()) >= before
    response = client.get(thread_url)
    assert parse_date(response.headers["Last-Modified"]) == post.created_at.replace(microsecond=0)


def test_any_site_may_read_the_answers_and_ask_first(client, thread_url):
    for url in [*ANSWERS, thread_url, "/nowhere/threads.json"]:
        assert client.get(url).headers["Access-Control-Allow-Origin"] == "*"
        preflight = client.options(
            url, headers={"Origin": "https://client.example", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 204
        assert preflight.data == b""
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        for header in ("Allow", "Access-Control-Allow-Methods"):
            assert set(preflight.headers[header].split(", ")) == {"GET", "HEAD", "OPTIONS"}
        assert "If-Modified-Since" in preflight.headers["Access-Control-Allow-Headers"]


def test_head_answers_the_headers_of_get_without_the_body(client, thread_url):
    for url in [*ANSWERS, thread_url]:
        got, head = client.get(url), client.head(url)
        assert head.status_code == 200 and head.data == b""
        for header in ("Content-Type", "Content-Length", "Last-Modified", "Access-Control-Allow-Origin"):
            assert head.headers[header] == got.headers[header]


def test_images_keep_the_rule_of_uploads(client, thread_url):
    """Served like /uploads/ files: cached for good, embeddable by this site's pages only."""
    post = get_json(client, thread_url)["posts"][0]
    response = client.get(f"/astronomy/{post['tim']}{post['ext']}")
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "immutable" in response.headers["Cache-Control"]
    assert "Access-Control-Allow-Origin" not in response.headers
    assert client.head(f"/astronomy/{post['tim']}s.jpg").status_code == 200


# --- 404s, never 500s ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/nowhere/threads.json",
        "/nowhere/catalog.json",
        "/nowhere/archive.json",
        "/nowhere/thread/1.json",
        "/astronomy/thread/999.json",  # no such post
        "/astronomy/thread/0.json",
        "/astronomy/thread/-1.json",
        "/astronomy/thread/1e3.json",
        "/astronomy/thread/abc.json",
        "/astronomy/thread/%EF%BC%91.json",  # a full-width digit one: not an ASCII number
        f"/astronomy/thread/{TITLE_ONLY + 2**31}.json",  # past the largest number
        "/astronomy/thread/" + "9" * 5000 + ".json",  # int() would refuse it: 500, if unchecked
        f"/astronomy/thread/{TITLE_ONLY + 999}.json",  # no such title-only thread
    ],
)
def test_unknown_or_impossible_addresses_are_json_404s(client, thread_url, url):
    answer = get_json(client, url, status=404)
    assert answer["error"]["status"] == 404


def test_a_thread_is_only_found_on_its_own_board_and_by_its_opening_post(client, thread_url, posting):
    number = int(thread_url.rsplit("/", 1)[1].removesuffix(".json"))
    get_json(client, f"/chess/thread/{number}.json", status=404)
    reply_post = posting.add_reply(thread_ids_on_board(client)[0], "a reply")
    get_json(client, f"/astronomy/thread/{reply_post.id}.json", status=404)
    titled = posting.add_thread("astronomy", "Title only", "")
    get_json(client, f"/astronomy/thread/{titled.id}.json", status=404)  # a thread id is not a number here


@pytest.mark.parametrize(
    "name",
    [
        "{tim}.jpg",  # the wrong extension
        "{tim}s.png",  # thumbnails are .jpg
        "{reply}.png",  # a post without an image
        "999.png",
        "0.png",
        "9999999999.png",
        "9" * 5000 + ".png",
    ],
)
def test_unknown_files_are_404s(client, thread_url, posting, name):
    tim = get_json(client, thread_url)["posts"][0]["tim"]
    reply_post = posting.add_reply(thread_ids_on_board(client)[0], "no image")
    url = "/astronomy/" + name.format(tim=tim, reply=reply_post.id)
    assert client.get(url).status_code == 404
    assert client.get(f"/chess/{tim}.png").status_code == 404  # the right file, the wrong board


def test_the_sites_own_addresses_are_untouched(client, thread_url):
    """The 4chan routes share their shape with none of the pages: those answer as before."""
    for url, status in [("/boards/astronomy", 200), ("/threads/abc", 404), ("/boards/threads.json", 404)]:
        response = client.get(url)
        assert response.status_code == status
        assert response.mimetype == "text/html"


# --- the docs' example client -------------------------------------------------------------------

EXAMPLE_CLIENT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "fourchan_client.py"


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
    with serving(app) as base_url:
        example.main(base_url, "astronomy")
    printed = capsys.readouterr().out
    assert "'Saturn tonight'  (1 replies)" in printed
    assert "Rings & moons\nTitan too" in printed and "<i>Lovely</i>" in printed
    stored_size = client.get(f"/api/threads/{thread}/posts").json["posts"][0]["image"]["size"]
    assert f"[saturn.png, 4x3, {stored_size} bytes] {base_url}/astronomy/" in printed
    assert "304 Not Modified" in printed
