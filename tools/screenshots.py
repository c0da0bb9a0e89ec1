"""Retake the screenshots the docs show, from the real step apps (`make screenshots`).

For every step folder (and final/ once it exists) this script:

1. loads a brand-new app through tests/targets.py, exactly like the tests do;
2. adds demo content the way a visitor would: it opens each form and posts it
   (steps 01-02 have no forms yet, so they stay as they are);
3. serves the app on 127.0.0.1 and photographs one page with Chromium.

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

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from forum import post_form  # noqa: E402  (tests/ is only importable after the line above)
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
FINAL_PAGES = {"home": ("/", OK), "thread": ("/threads/{thread}", OK)}
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
            if not wanted or number in wanted:
                if number in STEP_PAGES:
                    shots[IMG / "steps" / f"{target.name}.png"] = STEP_PAGES[number]
                else:
                    print(f"{target.name}: no page listed in STEP_PAGES, skipped")
            if target == newest and (not wanted or "home" in wanted):
                shots[IMG / "home.png"] = HOME_PAGE
            if shots:
                failures += not photograph_safely(page, target, shots)
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


def photograph_safely(page, target, shots):
    """photograph(), but an app that crashes (say, a step being edited) only
    costs its own screenshots. Returns True if all went well."""
    try:
        photograph(page, target, shots)
    except Exception as error:  # whatever went wrong: report it and go on
        print(f"{target.name}: FAILED: {type(error).__name__}: {error}")
        return False
    return True


def photograph(page, target, shots):
    """Serve a fresh app for ``target`` and save one screenshot per entry of ``shots``."""
    with tempfile.TemporaryDirectory() as uploads:
        app = load_app(target, upload_folder=Path(uploads) / "uploads")
        freeze_clock(app)
        ids = add_demo_content(app, target)
        try:
            server = make_server("127.0.0.1", PORT, app, threaded=True, request_handler=QuietHandler)
        except OSError as error:
            raise RuntimeError(f"port {PORT} is busy ({error}); stop what uses it") from None
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            client = app.test_client()
            for path, candidates in shots.items():
                url = first_working_page(client, candidates, ids)
                if url is None:
                    tried = ", ".join(address for address, _ in candidates)
                    print(f"{target.name}: {tried} not available yet, {path.name} skipped")
                    continue
                answer = page.goto(f"http://127.0.0.1:{server.server_port}{url}")
                if "json" in answer.headers.get("content-type", ""):
                    page.evaluate(PRETTY_JSON)
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=False, animations="disabled")
                size = path.stat().st_size // 1024
                print(f"{target.name}: {url} -> {path.relative_to(ROOT)} ({size} KB)")
        finally:
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


def first_working_page(client, candidates, ids):
    """The first candidate address that the app answers with the expected status."""
    for template, status in candidates:
        try:
            url = template.format(**ids)
        except KeyError:
            continue  # e.g. {thread}, but this step cannot create threads yet
        if client.get(url).status_code == status:
            return url
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
    return ids


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


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log(self, *args):
        pass


if __name__ == "__main__":
    main(set(sys.argv[1:]))
