"""Retake the screenshots the docs show, from the real step apps (`make screenshots`).

For every step folder (and final/ once it exists) this script:

1. loads a brand-new app through tests/targets.py, exactly like the tests do;
2. adds demo content the way a visitor would: it opens each form and posts it
   (steps 01-02 have no forms yet, so they stay as they are);
3. for the staff's pages (step 13 on): makes an admin with `flask create-user`
   (the app's CLI runner), lets readers report two posts, and lets the staff act;
   for the final app's dashboard it also stores a month of older posts, at
   chosen times, straight through the models (see add_month_of_activity);
4. serves the app on 127.0.0.1 and photographs its pages with Chromium, logging
   the browser in through the login form before a staff page;
5. for live updates (step 15 on): photographs one open thread page twice,
   without reloading it: before a reply is posted through the app (by another
   visitor), and once that reply has reached the page over its WebSocket;
6. for images (step 16 on): posts a thread with a camera-like photo (a JPEG
   drawn with Pillow, with EXIF), and from step 17 on a short WebM video under
   it (its frames drawn with Pillow and put in a WebM container by
   webm_video); for formatting (step 18
   on): a thread whose replies quote each other with >>N, with the ids the
   app gave the posts.

The pictures are reproducible: the apps' clock is frozen (the first post is
made on 2025-03-14 at 19:30 UTC, each later one a minute after the one
before), the generated file names of uploads are fixed, and the demo content
is always the same. Running the script twice gives the same PNG files, byte
for byte, so `git status` shows a changed picture only when a page changed.

Usage:  .venv/bin/python tools/screenshots.py           (every step, final and home)
        .venv/bin/python tools/screenshots.py 03 final  (only those)

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`).
"""

import datetime as _datetime
import importlib
import io
import itertools
import re
import struct
import sys
import tempfile
import threading
import types
import uuid as _uuid
import zlib
from pathlib import Path
from typing import NamedTuple

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from forum import create_user, log_in, post_form, submit  # noqa: E402  (tests/ is only importable after the line above)
from targets import final_target, load_app, step_targets  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1000, "height": 700}
# Every app is served on this port in turn, so that full addresses the app
# writes into a page (the JSON API's "url") are the same on every run.
PORT = 5099
IMG = ROOT / "docs" / "img"

# Which page shows each step best. {thread} is the demo thread with replies,
# {image_thread} the one whose reply carries an image. When a step offers
# several candidates, the first that answers with the expected status is used.
OK, NOT_FOUND = 200, 404
STEP_PAGES = {
    "01": [("/", OK)],
    "02": [("/?letter=C", OK)],
    "03": [("/boards/astronomy", OK)],  # the thread list and the new-thread form
    "04": [("/threads/{thread}", OK)],
    "05": [("/search?q=telescope", OK)],
    "06": [("/threads/{image_thread}", OK)],
    "07": [("/boards/no-such-board", NOT_FOUND)],  # the custom 404 page
    "08": [("/api/threads/{thread}/posts", OK)],  # JSON, as the browser shows it
    "09": [("/threads/{image_thread}", OK)],  # the same site as 08, now from a package
    "10": [("/boards/python?page=2", OK)],  # a board's second page (see MORE_THREADS)
}

class Page(NamedTuple):
    """A candidate page for a screenshot. STEP_PAGES and the others write it as a
    tuple: (address, status) or (address, status, STAFF[, WHOLE_PAGE])."""

    address: str
    status: int
    staff: bool = False  # log the browser in as the demo admin first
    whole_page: bool = False  # the whole page, not only the first screen of it


STAFF, WHOLE_PAGE = True, True
VISITOR = False
# Steps 16 to 18: a thread with a photo (and from step 17 a video: MEDIA_DEMO),
# and one whose replies quote each other (QUOTE_DEMO), each photographed whole.
STEP_PAGES["16"] = [("/threads/{media_thread}", OK, VISITOR, WHOLE_PAGE)]
STEP_PAGES["17"] = [("/threads/{media_thread}", OK, VISITOR, WHOLE_PAGE)]
STEP_PAGES["18"] = [("/threads/{quote_thread}", OK, VISITOR, WHOLE_PAGE)]
# More pictures of a step, saved as docs/img/steps/<step>-<name>.png.
STEP_EXTRA_PAGES = {
    "11": {"login": [("/login", OK)]},
    "13": {"reports": [("/mod/reports", OK, STAFF)]},  # the queue: two open reports
}
# Step 15's pair, docs/img/steps/<step>-before.png and -after.png: one reader's
# thread page, then the same page, not reloaded, once a reply posted by another
# visitor has appeared on it (see photograph_live_pair). (address, the reply)
LIVE_PAIRS = {
    "15": ("/threads/{threads[2]}", "Just saw a bright one go right over the lake, with a green trail!"),
}
FINAL_PAGES = {
    "home": ("/", OK),
    # A thread whose posts answer each other (>>N links, backlinks), one with a photo.
    "thread": ("/threads/{quote_thread}", OK),
    # The staff's home: open reports, recent actions and the charts of a month.
    "dashboard": ("/mod/", OK, STAFF, WHOLE_PAGE),
}
# docs/img/home.png, the picture on the docs' Home page: a thread page of the
# final app (or of the newest step while final/ is not there), with an image if it can.
HOME_PAGE = [("/threads/{image_thread}", OK), ("/threads/{thread}", OK), ("/", OK)]

# Chromium shows JSON on one long line; indent the same text so it can be read.
PRETTY_JSON = """() => {
  const pre = document.querySelector("pre");
  pre.textContent = JSON.stringify(JSON.parse(pre.textContent), null, 2);
  pre.style.cssText = "margin: 16px; font-size: 15px; white-space: pre-wrap;";
  document.querySelector(".json-formatter-container")?.remove();
}"""

# A video player shows a spinner until its first frame is there (step 17 on).
VIDEOS_READY = (
    "() => [...document.querySelectorAll('video')]"
    ".every(video => video.readyState >= 2 && video.networkState !== video.NETWORK_LOADING)"
)

# The demo conversation: (board, title, body, replies). A reply is its text, or
# (text, True) to attach the demo picture (only from step 06 on).
DEMO = [
    (
        "astronomy",
        "Best telescope for a beginner?",
        "I have about 300 euros to spend. I mostly want to look at the Moon and the "
        "planets. Refractor or Dobsonian?",
        [
            "Get a 6-inch Dobsonian: simple to set up and it shows a lot for the money.",
            "Agreed. And visit a local club first: at a star party you can try several "
            "telescopes before you buy one.",
        ],
    ),
    (
        "astronomy",
        "Saturn's rings tonight",
        "Clear skies here and the rings are wide open. Anyone else out with a telescope?",
        [
            ("My first try with a phone held to the eyepiece of a small refractor.", True),
            "Lovely! Titan was easy to spot too.",
        ],
    ),
    (
        "astronomy",
        "Meteor shower photos",
        "Share your best shots of the Perseids here. Long exposures welcome.",
        [],
    ),
    ("baking", "Sourdough starter smells like nail polish", "Is it dead? Day 6.", []),
    ("python", "When should I use a dataclass?", "Versus a plain dict, I mean.", []),
]


# Step 10 shows the second page of a board, so that board needs more than the
# 50 threads of one page: (board, how many more threads to start there).
MORE_THREADS = {"10": ("python", 50)}

# Step 16 on: a thread whose replies carry a photo and (step 17 on) a video. A
# reply is (the first step that takes it, text, the file's name, the function
# that makes its bytes).
MEDIA_FROM = 16
MEDIA_DEMO = (
    "astronomy",
    "Full Moon tonight: photos and clips",
    "Post what your camera caught. Phone photos welcome, tripods optional.",
    [
        (16, "Through the 8-inch, phone held to the eyepiece. Look at those craters.", "moon.jpg",
         "demo_photo"),
        (17, "A four-second timelapse of it climbing over the roofs.", "moonrise.webm", "demo_video"),
    ],
)
# Step 18 on: a thread whose replies answer each other. {op} is the opening
# post's id, {r1}, {r2}, ... the replies' ids as the app gives them, and
# {other} the opening post of the first DEMO thread (another thread).
QUOTES_FROM = 18
QUOTE_DEMO = (
    "astronomy",
    "Which eyepiece for Jupiter?",
    "My 6-inch Dobsonian came with a 25 mm eyepiece. What should I buy first to see "
    "Jupiter's cloud belts?",
    [
        ">>{op}\nA 10 mm Plössl: 120× on that telescope. The belts and the Great Red Spot "
        "show well on a steady night.",
        ">>{op}\n> What should I buy first\nA 2× Barlow lens. It doubles every eyepiece you "
        "own: one purchase, two new magnifications.",
        ">>{r1} >>{r2}\nBoth work. I did what >>{r1} says and never regretted it. Where the "
        "moons are tonight: https://en.wikipedia.org/wiki/Moons_of_Jupiter",
        "Same telescope as in >>{other}, by the way: a very good first choice.",
    ],
)


def main(wanted):
    if not CHROMIUM.exists():
        sys.exit(f"screenshots: {CHROMIUM} is missing; install it with `apt-get install chromium`.")
    from playwright.sync_api import sync_playwright

    targets = step_targets()
    final = final_target()
    newest = final or (targets[-1] if targets else None)
    failures = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        for target in targets:
            number = target.name[:2]
            shots = {}
            live_pair = None
            if not wanted or number in wanted:
                if number in STEP_PAGES:
                    shots[IMG / "steps" / f"{target.name}.png"] = STEP_PAGES[number]
                for name, candidates in STEP_EXTRA_PAGES.get(number, {}).items():
                    shots[IMG / "steps" / f"{target.name}-{name}.png"] = candidates
                live_pair = LIVE_PAIRS.get(number)
                if not shots and not live_pair:
                    print(f"{target.name}: no page listed in STEP_PAGES, skipped")
            if target == newest and (not wanted or "home" in wanted):
                shots[IMG / "home.png"] = HOME_PAGE
            if shots or live_pair:
                failures += not photograph_safely(page, target, shots, live_pair)
        if final and (not wanted or wanted & {"final", "home"}):
            shots = {}
            if not wanted or "final" in wanted:
                for name, candidate in FINAL_PAGES.items():
                    shots[IMG / "final" / f"{name}.png"] = [candidate]
            if not wanted or "home" in wanted:
                shots[IMG / "home.png"] = HOME_PAGE
            failures += not photograph_safely(page, final, shots)
        elif not final and "final" in wanted:
            print("final: final/ has no create_app yet, skipped")
        browser.close()
    if failures:
        sys.exit(f"screenshots: {failures} app(s) failed, see above")


def photograph_safely(page, target, shots, live_pair=None):
    """photograph(), but an app that crashes (say, a step being edited) only
    costs its own screenshots. Returns True if all went well."""
    try:
        photograph(page, target, shots, live_pair)
    except Exception as error:  # whatever went wrong: report it and go on
        print(f"{target.name}: FAILED: {type(error).__name__}: {error}")
        return False
    return True


def photograph(page, target, shots, live_pair=None):
    """Serve a fresh app for ``target`` and save one screenshot per entry of ``shots``,
    then the two of ``live_pair`` (LIVE_PAIRS), if given."""
    shots = {path: [Page(*candidate) for candidate in candidates] for path, candidates in shots.items()}
    with tempfile.TemporaryDirectory() as uploads:
        upload_folder = Path(uploads) / "uploads"
        app = load_app(target, upload_folder=upload_folder)
        freeze_clock(app)
        ids = add_demo_content(app, target)
        clients = {False: app.test_client()}
        if any(candidate.staff for candidates in shots.values() for candidate in candidates):
            if target.is_final:
                add_month_of_activity(app, upload_folder)
            clients[True] = add_moderation_demo(app, target, ids)
        try:
            server = make_server("127.0.0.1", PORT, app, threaded=True, request_handler=QuietHandler)
        except OSError as error:
            raise RuntimeError(f"port {PORT} is busy ({error}); stop what uses it") from None
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        page.context.clear_cookies()  # a visitor, whatever the app before did
        logged_in = False
        try:
            for path, candidates in shots.items():
                found = first_working_page(clients, candidates, ids)
                if found is None:
                    tried = ", ".join(candidate.address for candidate in candidates)
                    print(f"{target.name}: {tried} not available yet, {path.name} skipped")
                    continue
                url, chosen = found
                if chosen.staff and not logged_in:
                    log_in_browser(page, base_url)
                    logged_in = True
                answer = page.goto(base_url + url)
                if "json" in answer.headers.get("content-type", ""):
                    page.evaluate(PRETTY_JSON)
                show_videos(page)
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=chosen.whole_page, animations="disabled")
                size = path.stat().st_size // 1024
                print(f"{target.name}: {url} -> {path.relative_to(ROOT)} ({size} KB)")
            if live_pair:
                photograph_live_pair(page, target, base_url, clients[False], ids, live_pair)
        finally:
            page.goto("about:blank")  # closes a thread page's WebSocket before the server stops
            page.context.clear_cookies()  # logged out again
            server.shutdown()
            server.server_close()


# The moment the first demo post is made; every later call of datetime.now()
# in the app is one minute later, so posts keep their order and their times.
CLOCK_START = _datetime.datetime(2025, 3, 14, 19, 30, tzinfo=_datetime.timezone.utc)


def freeze_clock(app):
    """Give the app's modules a fixed clock and fixed upload names.

    The apps read the time with ``datetime.now()`` (``from datetime import
    datetime``) and name uploads with ``uuid.uuid4()``. In each module of the
    app, those two names are replaced by stand-ins that answer the same
    questions with fixed values, counted from zero for every app.
    """
    ticks = itertools.count()
    names = itertools.count(1)

    class FrozenDatetime(_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            moment = CLOCK_START + _datetime.timedelta(minutes=next(ticks))
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    fixed_uuid = types.SimpleNamespace(
        **{name: getattr(_uuid, name) for name in dir(_uuid) if not name.startswith("__")}
    )
    fixed_uuid.uuid4 = lambda: _uuid.UUID(int=next(names))
    for namespace in app_namespaces(app):
        if namespace.get("datetime") is _datetime.datetime:
            namespace["datetime"] = FrozenDatetime
        if namespace.get("uuid") is _uuid:
            namespace["uuid"] = fixed_uuid


def app_namespaces(app):
    """The global names of every module the app's code lives in.

    A one-file step is forgotten by sys.modules once loaded, but its view
    functions still hold their module's globals; a package step and the final
    app are in sys.modules under their package's name.
    """
    seen = {}
    for view in app.view_functions.values():
        function = view
        while hasattr(function, "__wrapped__"):
            function = function.__wrapped__
        globals_ = getattr(function, "__globals__", None)
        if globals_ is not None:
            seen[id(globals_)] = globals_
    package = app.import_name.partition(".")[0]
    for name, module in list(sys.modules.items()):
        if module is not None and (name == package or name.startswith(package + ".")):
            seen[id(vars(module))] = vars(module)
    return seen.values()


# What the page's status line says once its WebSocket is open (static/live.js).
LIVE_STATUS = "Live: new replies appear here."


def photograph_live_pair(page, target, base_url, client, ids, live_pair):
    """Open a thread page, wait until its WebSocket is open, and photograph it;
    then post a reply through the app, as another visitor on another computer
    would, wait until the reply's #post-N has appeared on the page (with no
    reload), and photograph the same page again."""
    address, text = live_pair
    url = address.format(**ids)
    page.goto(base_url + url)
    page.get_by_role("status").filter(has_text=LIVE_STATUS).wait_for(timeout=5000)
    before, after = (IMG / "steps" / f"{target.name}-{when}.png" for when in ("before", "after"))
    page.screenshot(path=str(before), animations="disabled")
    answer = post_form(client, url, f"{url}/replies", {"body": text})
    assert answer.status_code == 303, f"{target.name}: the reply got HTTP {answer.status_code}"
    post_id = int(re.search(r"#post-(\d+)", answer.headers["Location"])[1])
    page.locator(f"#post-{post_id}").wait_for(timeout=5000)
    page.screenshot(path=str(after), animations="disabled")
    for path in (before, after):
        size = path.stat().st_size // 1024
        print(f"{target.name}: {url} -> {path.relative_to(ROOT)} ({size} KB)")


def show_videos(page):
    """Let each video player of the page (step 17 on) show its first frame.

    Chromium decodes a video's first frame only once the player has been in
    view: scroll to each one, wait until its frame is there and its spinner
    gone, then back to the top for the screenshot."""
    videos = page.locator("video")
    if not videos.count():
        return
    for index in range(videos.count()):
        videos.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(VIDEOS_READY, timeout=10_000)
    page.wait_for_timeout(3000)  # the frame painted, the spinner faded out
    page.evaluate("() => window.scrollTo(0, 0)")


def first_working_page(clients, candidates, ids):
    """The first candidate that the app answers with the expected status: (its
    address, the candidate), or None. ``clients``: a test client for visitors
    (False) and, when there is one, a logged-in staff member's (True)."""
    for candidate in candidates:
        try:
            url = candidate.address.format(**ids)
        except KeyError:
            continue  # e.g. {thread}, but this step cannot create threads yet
        client = clients.get(candidate.staff)
        if client is not None and client.get(url).status_code == candidate.status:
            return url, candidate
    return None


def add_demo_content(app, target):
    """Post the DEMO threads and replies through the app's own forms.

    Returns the ids the page table refers to ({thread}, {image_thread}), or an
    empty dict when the step cannot create threads yet.
    """
    client = app.test_client()
    ids = {}
    with_images = target.number >= 6
    can_reply = True
    for board, title, body, replies in DEMO:
        form_page, action = f"/boards/{board}", f"/boards/{board}/threads"
        response = post_form(client, form_page, action, {"title": title, "body": body})
        if response.status_code != 303:
            print(f"{target.name}: cannot create threads (HTTP {response.status_code}), no demo")
            return {}
        thread_id = int(re.search(r"/threads/(\d+)", response.headers["Location"])[1])
        ids.setdefault("thread", thread_id)
        ids.setdefault("threads", []).append(thread_id)  # every demo thread, in DEMO's order
        for reply in replies:
            text, image = reply if isinstance(reply, tuple) else (reply, False)
            if not can_reply or (image and not with_images):
                continue
            upload = ("saturn.png", demo_png()) if image else None
            url = f"/threads/{thread_id}"
            answer = post_form(client, url, f"{url}/replies", {"body": text}, upload)
            if answer.status_code != 303:
                print(f"{target.name}: cannot reply (HTTP {answer.status_code}), no replies")
                can_reply = False
            elif image:
                ids["image_thread"] = thread_id
    board, count = MORE_THREADS.get(target.name[:2], (None, 0))
    for number in range(1, count + 1):
        fields = {"title": f"Question number {number}", "body": "Short question, short answer?"}
        post_form(client, f"/boards/{board}", f"/boards/{board}/threads", fields)
    if target.number >= MEDIA_FROM:  # the final app (99) too
        ids["media_thread"] = add_media_demo(client, target)
    if target.number >= QUOTES_FROM:
        ids["quote_thread"] = add_quote_demo(client, target, ids)
    return ids


def start_thread(client, target, board, title, body):
    """Start a thread through the board's form; return its id."""
    answer = post_form(client, f"/boards/{board}", f"/boards/{board}/threads", {"title": title, "body": body})
    assert answer.status_code == 303, f"{target.name}: a new thread got HTTP {answer.status_code}"
    return int(re.search(r"/threads/(\d+)", answer.headers["Location"])[1])


def post_reply(client, target, thread_id, text, upload=None):
    """Reply through the thread's form; return the new post's id."""
    url = f"/threads/{thread_id}"
    answer = post_form(client, url, f"{url}/replies", {"body": text}, upload)
    assert answer.status_code == 303, f"{target.name}: a reply got HTTP {answer.status_code}"
    return int(re.search(r"#post-(\d+)", answer.headers["Location"])[1])


def first_post_id(client, thread_id):
    """The id of a thread's opening post, read from its page (id="post-N")."""
    return int(re.search(r'id="post-(\d+)"', client.get(f"/threads/{thread_id}").get_data(as_text=True))[1])


def add_media_demo(client, target):
    """Post MEDIA_DEMO: a thread, then the replies this step takes, with their files. Returns its id."""
    board, title, body, replies = MEDIA_DEMO
    thread_id = start_thread(client, target, board, title, body)
    for since, text, filename, make in replies:
        if target.number >= since:
            post_reply(client, target, thread_id, text, (filename, globals()[make]()))
    return thread_id


def add_quote_demo(client, target, ids):
    """Post QUOTE_DEMO, each reply's {names} filled with the ids the app gave the
    posts before it. Returns the thread's id."""
    board, title, body, replies = QUOTE_DEMO
    thread_id = start_thread(client, target, board, title, body)
    known = {"op": first_post_id(client, thread_id), "other": first_post_id(client, ids["thread"])}
    for number, text in enumerate(replies, 1):
        known[f"r{number}"] = post_reply(client, target, thread_id, text.format(**known))
    return thread_id


# The staff of the demo (steps 13 on): an admin, made the way a site's owner makes
# the first one, with `flask create-user NAME --role admin`; and a moderator the
# admin adds on the users page.
STAFF_NAME, STAFF_PASSWORD = "ann", "demo password of ann"
MODERATOR_NAME = "milo"
# Posts that break the rules, and the readers' reports of them: (the DEMO thread
# replied to, by its index, the reply, the reason, the details). A moderator
# deletes the last one from the queue, so two reports stay open.
REPORTED = [
    (3, "Did anyone see the match last night? What a goal!", "off-topic",
     "Nothing to do with baking."),
    (2, "CHEAP TELESCOPES!!! 90% off today only, follow the link in my profile", "spam", ""),
    (2, "Buy 1,000 followers for 5 euros, DM me", "spam", "The same advertiser again."),
]  # fmt: skip


def add_moderation_demo(app, target, ids):
    """Readers report three posts; an admin logs in, deletes the last one from the
    queue, pins a thread and adds a moderator. Returns the admin's test client."""
    client = app.test_client()
    reported = []
    for index, text, reason, details in REPORTED:
        thread_id = ids["threads"][index]
        url = f"/threads/{thread_id}"
        answer = post_form(client, url, f"{url}/replies", {"body": text})
        post_id = int(re.search(r"#post-(\d+)", answer.headers["Location"])[1])
        report = f"/posts/{post_id}/report"
        answer = post_form(client, report, report, {"reason": reason, "details": details})
        assert answer.status_code == 303, f"{target.name}: a report got HTTP {answer.status_code}"
        reported.append(post_id)
    # The app's own command, as on a server: `flask create-user ann --role admin`.
    create_user(app, STAFF_NAME, "admin", STAFF_PASSWORD)
    staff = app.test_client()
    assert log_in(staff, STAFF_NAME, STAFF_PASSWORD).status_code == 303, f"{target.name}: no login"
    pinned = ids["threads"][2]  # "Meteor shower photos" stays at the top of its board
    new_account = {"username": MODERATOR_NAME, "password": STAFF_PASSWORD, "role": "moderator"}
    actions = [  # (the page with the form, where it is sent, what is typed into it)
        ("/mod/reports", f"/mod/posts/{reported[-1]}/delete", {}),
        (f"/threads/{pinned}", f"/mod/threads/{pinned}/pin", {}),
        ("/mod/users", "/mod/users", new_account),
    ]
    for form_page, action, fields in actions:
        answer = submit(staff, form_page, action, fields)
        assert answer.status_code == 303, f"{target.name}: {action} got HTTP {answer.status_code}"
    return staff


def log_in_browser(page, base_url):
    """Log the browser in as the demo admin, through the login form like a person."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(STAFF_NAME)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


# The dashboard's charts (final) show the last 30 days. The demo above is all
# made on the frozen clock's first day, so a month of older activity is stored
# straight through the models, at chosen times: threads on boards the demo leaves
# alone, (board, title, the first and the last day it got posts, counted back
# from the clock's day), and how many posts the site got each day, oldest first.
MONTH_THREADS = [
    ("photography", "Your best shot of February", 29, 14),
    ("chess", "Club night results, week by week", 29, 0),
    ("gardening", "Tomatoes from seed: a diary", 27, 2),
    ("cycling", "Commuting through the winter", 24, 10),
    ("travel", "Lisbon in March: where to eat?", 9, 0),
    ("chess", "Endgame puzzle of the week", 6, 0),
    ("gardening", "Which compost bin?", 5, 1),
]
POSTS_PER_DAY = [
    4, 5, 4, 3, 6, 9, 8, 4, 3, 5, 6, 4, 10, 12, 7,
    5, 4, 6, 8, 5, 11, 14, 9, 6, 7, 8, 6, 13, 15, 6,
]  # fmt: skip
# Every IMAGE_EVERY-th post of the month carries the demo picture.
IMAGE_EVERY = 4


def add_month_of_activity(app, upload_folder):
    """Store MONTH_THREADS with POSTS_PER_DAY's posts, at chosen times of the 30
    days up to the frozen clock's day, in one transaction of the final app's
    models. Each day's posts go to the threads alive that day in turn (a thread's
    first post, on its first day, is its opening post), between 08:00 and 18:00
    UTC; the pictures are real files in the upload folder."""
    package = app.import_name
    models = importlib.import_module(f"{package}.models")
    write_transaction = importlib.import_module(f"{package}.db").write_transaction
    next_bump_order = importlib.import_module(f"{package}.store").next_bump_order
    picture = demo_png()
    picture_md5 = importlib.import_module(f"{package}.images").md5_base64(picture)
    today = CLOCK_START.date()
    with app.app_context(), write_transaction() as session:
        first_bump = next_bump_order()  # before any new row is there to be flushed
        threads = [
            models.Thread(board=board, title=title, post_count=0) for board, title, *_ in MONTH_THREADS
        ]
        numbers = itertools.count(1)
        for days_back, count in zip(range(len(POSTS_PER_DAY) - 1, -1, -1), POSTS_PER_DAY, strict=True):
            day = today - _datetime.timedelta(days=days_back)
            alive = [
                thread
                for thread, (_, _, first, last) in zip(threads, MONTH_THREADS, strict=True)
                if first >= days_back >= last
            ]
            alive.sort(key=lambda thread: thread.post_count > 0)  # new threads first
            start = _datetime.datetime.combine(day, _datetime.time(8), tzinfo=_datetime.timezone.utc)
            for n in range(count):
                thread = alive[n % len(alive)]
                moment = start + _datetime.timedelta(minutes=n * 600 // count)
                number = next(numbers)
                post = models.Post(thread=thread, body=f"Post {number} of the demo month.", created_at=moment)
                if number % IMAGE_EVERY == 0:  # the file where the app would have put it, and its row
                    path = f"{thread.board}/{moment:%Y}/{moment:%m}/{_uuid.UUID(int=10_000 + number).hex}.png"
                    (upload_folder / path).parent.mkdir(parents=True, exist_ok=True)
                    (upload_folder / path).write_bytes(picture)
                    post.image = models.Image(
                        path=path, content_type="image/png", size=len(picture), width=240, height=160,
                        original_name="saturn.png", md5=picture_md5,
                    )  # fmt: skip
                session.add(post)
                if thread.post_count == 0:
                    thread.created_at = moment
                thread.bumped_at = moment
                thread.post_count += 1
        # Every post but the opening one is a reply; the board lists threads by
        # bump_order, which follows their last post.
        for offset, thread in enumerate(sorted(threads, key=lambda thread: thread.bumped_at)):
            thread.reply_count = thread.post_count - 1
            thread.bump_order = first_bump + offset
            session.add(thread)


def demo_png(width=240, height=160):
    """A small PNG drawn pixel by pixel: Saturn and its rings on a starry sky."""
    cx, cy = width / 2, height / 2
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # PNG filter type 0 ("None") before every row
        for x in range(width):
            planet = (x - cx) ** 2 + (y - cy) ** 2 <= 30**2
            ring = 0.7 <= ((x - cx) / 78) ** 2 + ((y - cy) / 20) ** 2 <= 1.0
            if ring and (y > cy or not planet):  # the ring passes in front of the planet
                colour = (205, 180, 120)
            elif planet:
                colour = (235, 205, 140) if (y // 6) % 2 else (220, 185, 120)  # bands
            elif (x * 7 + y * 13) % 211 == 0:
                colour = (255, 255, 255)  # a star
            else:
                colour = (12, 20, 48)
            rows += bytes(colour)

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def demo_photo(width=1600, height=1067):
    """A camera-like JPEG (Pillow): the full Moon over a night sky, with the EXIF
    block a phone writes (make, model, date, GPS position), which step 16 strips."""
    from PIL import Image, ImageDraw, ImageFilter

    sky = Image.linear_gradient("L").resize((width, height)).point(lambda v: 10 + v // 6)
    photo = Image.merge("RGB", (sky.point(lambda v: v // 2), sky.point(lambda v: v * 2 // 3), sky))
    draw = ImageDraw.Draw(photo)
    for star in range(140):  # the same stars every time: no random numbers
        x, y = (star * 7919) % width, (star * 104729) % (height * 2 // 3)
        draw.point((x, y), fill=(235, 235, 255))
    cx, cy, r = width * 3 // 5, height * 2 // 5, height // 4
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(228, 226, 214))
    craters = [(-0.35, -0.30, 0.22), (0.20, -0.40, 0.15), (0.30, 0.10, 0.28), (-0.25, 0.30, 0.18),
               (0.05, 0.55, 0.10), (-0.55, 0.05, 0.12)]  # fmt: skip
    for dx, dy, size in craters:
        x, y, s = cx + dx * r, cy + dy * r, size * r
        draw.ellipse((x - s, y - s, x + s, y + s), fill=(196, 194, 184))
    draw.rectangle((0, height * 5 // 6, width, height), fill=(8, 10, 16))  # the roofs
    photo = photo.filter(ImageFilter.GaussianBlur(2))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Phonemaker", "Phone 15", "2025:03:14 21:04:09"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 22.0, 12.6), 3: "E", 4: (4.0, 53.0, 42.1)})  # a street in Amsterdam
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def demo_video(width=480, height=270, frames=8, frame_ms=500):
    """A short WebM video: the Moon rising over roofs, frames drawn with Pillow.

    A lossy WebP is one VP8 key frame, and VP8 is a codec WebM carries, so each
    frame is saved as a WebP and its VP8 data put into a minimal WebM container:
    the EBML header (DocType "webm"), then a Segment with its Info, one video
    Track, and one Cluster of SimpleBlocks. Chromium plays it."""
    from PIL import Image, ImageDraw

    def element(ident, payload):  # an EBML element: id, size (8 bytes), content
        return ident + b"\x01" + len(payload).to_bytes(7, "big") + payload

    def number(ident, value, length=4):
        return element(ident, value.to_bytes(length, "big"))

    blocks = b""
    for frame in range(frames):
        picture = Image.new("RGB", (width, height), (14, 22, 52))
        draw = ImageDraw.Draw(picture)
        y = height - 100 - frame * 16
        draw.ellipse((width // 2 - 34, y - 34, width // 2 + 34, y + 34), fill=(236, 226, 190))
        draw.rectangle((0, height - 50, width, height), fill=(6, 8, 14))
        webp = io.BytesIO()
        picture.save(webp, "WEBP", quality=80)
        data = webp.getvalue()
        assert data[12:16] == b"VP8 ", "Pillow wrote a WebP without a plain VP8 frame"
        vp8 = data[20 : 20 + struct.unpack("<I", data[16:20])[0]]
        # SimpleBlock: track 1, its time in ms from the cluster's, "key frame".
        blocks += element(b"\xa3", b"\x81" + struct.pack(">h", frame * frame_ms) + b"\x80" + vp8)
    header = element(
        b"\x1a\x45\xdf\xa3",
        number(b"\x42\x86", 1) + number(b"\x42\xf7", 1) + number(b"\x42\xf2", 4) + number(b"\x42\xf3", 8)
        + element(b"\x42\x82", b"webm") + number(b"\x42\x87", 2) + number(b"\x42\x85", 2),
    )  # fmt: skip
    info = element(
        b"\x15\x49\xa9\x66",
        number(b"\x2a\xd7\xb1", 1_000_000)  # times in milliseconds
        + element(b"\x44\x89", struct.pack(">d", frames * frame_ms))  # the duration
        + element(b"\x4d\x80", b"Chat Site screenshots") + element(b"\x57\x41", b"Chat Site screenshots"),
    )
    video = element(b"\xe0", number(b"\xb0", width) + number(b"\xba", height))
    track = element(  # number 1, a video (type 1), VP8
        b"\xae",
        number(b"\xd7", 1) + number(b"\x73\xc5", 1) + number(b"\x83", 1, 1)
        + element(b"\x86", b"V_VP8") + video,
    )  # fmt: skip
    cluster = element(b"\x1f\x43\xb6\x75", number(b"\xe7", 0) + blocks)  # starts at time 0
    segment = info + element(b"\x16\x54\xae\x6b", track) + cluster
    return header + element(b"\x18\x53\x80\x67", segment)


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log(self, *args):
        pass


if __name__ == "__main__":
    main(set(sys.argv[1:]))
