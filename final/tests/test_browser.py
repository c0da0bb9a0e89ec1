"""End-to-end: a real Chromium, driven by Playwright, uses the site like a person.

Each test is one small user story against the final app served by Werkzeug's
threaded server on 127.0.0.1. The tests look at what a person sees: headings,
links, labels, messages and images, never at the app's internals.

Chromium comes from the system (``apt-get install chromium``), not from
``playwright install``. Without it these tests are skipped, unless
CHATSITE_REQUIRE_BROWSER=1 is set (CI sets it): then a missing browser fails.
"""

import json
import os
import re
import threading
from pathlib import Path

import imagefactory
import pytest
from databases import dispose, fresh_sqlite_url
from targets import FLOOD_LIMITS_OFF
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from chatsite import create_app, staff

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("CHATSITE_REQUIRE_BROWSER") == "1"
MODERATOR, MODERATOR_PASSWORD = "mia", "telescope-mirror"

BOARD_NAMES = [
    "Astronomy", "Baking", "Chess", "Cycling", "Film", "Gardening", "History", "Knitting",
    "Languages", "Music", "Photography", "Python", "Running", "Travel", "Woodworking",
]  # fmt: skip

# Records Content-Security-Policy violations, on every page the context opens.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def browser_unavailable(reason):
    """Skip, or fail when CI said a browser must be there."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (and CHATSITE_REQUIRE_BROWSER=1 is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the whole module."""
    if not CHROMIUM.exists():
        browser_unavailable("Chromium not installed: apt-get install chromium")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        browser_unavailable("Playwright not installed: pip install playwright")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            first_line = str(error).strip().splitlines()[0]
            browser_unavailable(
                f"Chromium not installed or cannot start: apt-get install chromium ({first_line})"
            )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def upload_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e") / "uploads"


@pytest.fixture(scope="module")
def site(upload_folder):
    """A fresh final app on a fresh SQLite database, on Werkzeug's threaded server; its base URL."""
    database_url = fresh_sqlite_url(upload_folder.parent)
    settings = {"UPLOAD_FOLDER": str(upload_folder), "SECRET_KEY": "e2e", "DATABASE_URL": database_url}
    app = create_app({**settings, **FLOOD_LIMITS_OFF})  # every test posts from 127.0.0.1
    with app.app_context():  # a moderator's account, as `flask create-user` makes one
        staff.add_user(MODERATOR, generate_password_hash(MODERATOR_PASSWORD), "moderator")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    dispose(app)


@pytest.fixture
def problems():
    """Console errors, uncaught page errors and CSP violations seen during a test."""
    return []


@pytest.fixture
def page(browser, site, problems):
    """A new browser context (no cookies, no cache) and page for each test."""
    page = new_page(browser, site, problems)
    yield page
    page.context.close()


def new_page(browser, site, problems):
    """A page in a browser context of its own: another person, with their own cookies."""
    context = browser.new_context(base_url=site)
    context.set_default_timeout(10_000)
    context.expose_function("reportCspViolation", lambda text: problems.append(f"CSP: {text}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: note_console_error(message, problems))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page


def note_console_error(message, problems):
    """Keep console errors, except Chromium's own fetch of a /favicon.ico the site never links."""
    if message.type != "error":
        return
    url = message.location.get("url", "")
    if url.endswith("/favicon.ico") and "status of 404" in message.text:
        return
    problems.append(f"console: {message.text} ({url})")


def start_thread(page, title, body, board="Astronomy"):
    """From the home page, open a board and start a thread; return the thread's path."""
    page.goto("/")
    page.get_by_role("link", name=board, exact=True).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Start thread").click()
    page.wait_for_url(re.compile(r"/threads/\d+$"))
    return re.search(r"/threads/\d+", page.url).group(0)


def post_texts(page):
    return page.locator("article.post .post-body").all_inner_texts()


def shown_board_names(page):
    return page.locator(".board-list .board-name").all_inner_texts()


def test_letter_bar_filters_the_boards(page, problems):
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Boards"
    assert shown_board_names(page) == BOARD_NAMES

    letters = page.get_by_role("navigation", name="Filter boards by first letter")
    letters.get_by_role("link", name="C", exact=True).click()
    page.wait_for_url(re.compile(r"letter=C"))
    assert page.get_by_role("heading", level=1).inner_text() == "Boards starting with C"
    assert shown_board_names(page) == ["Chess", "Cycling"]

    letters.get_by_role("link", name="All", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    assert shown_board_names(page) == BOARD_NAMES
    assert problems == []


def test_start_a_thread_from_a_board(page, problems):
    page.goto("/")
    page.get_by_role("link", name="Astronomy", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Astronomy"

    page.get_by_label("Title").fill("Saturn through a small telescope")
    page.get_by_label("Message").fill("The rings were visible at 50x.\nWhat do you see?")
    page.get_by_role("button", name="Start thread").click()

    page.wait_for_url(re.compile(r"/threads/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Saturn through a small telescope"
    assert post_texts(page) == ["The rings were visible at 50x.\nWhat do you see?"]
    assert page.title().startswith("Saturn through a small telescope")
    assert problems == []


def test_reply_with_an_image(page, problems, tmp_path, pixels):
    thread = start_thread(page, "Photos of the Moon", "Post your Moon pictures here.")
    picture = tmp_path / "moon.png"
    picture.write_bytes(imagefactory.png(120, 80))

    page.get_by_label("Message").fill("My first Moon photo")
    page.get_by_label("Image").set_input_files(str(picture))
    page.get_by_role("button", name="Post reply").click()

    page.wait_for_url(re.compile(rf"{thread}#post-\d+$"))
    assert post_texts(page) == ["Post your Moon pictures here.", "My first Moon photo"]
    # The page shows the thumbnail (a small image is never enlarged), linked to
    # the full image: the same pixels, re-encoded without any metadata.
    image = page.locator("article.post img")
    assert image.count() == 1
    assert image.get_attribute("alt") == "moon.png"
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [120, 80]
    assert re.fullmatch(r"moon\.png \(\d+ B, 120×80\)", page.locator("article.post .file-info").inner_text())

    thumbnail = page.request.get(image.get_attribute("src"))
    assert (thumbnail.status, thumbnail.headers["content-type"]) == (200, "image/jpeg")
    full = page.request.get(page.locator("article.post a.post-image").get_attribute("href"))
    assert (full.status, full.headers["content-type"]) == (200, "image/png")
    assert pixels(full.body()) == pixels(picture.read_bytes())
    assert problems == []


def test_a_fake_image_is_refused_and_the_text_is_kept(page, problems, tmp_path, upload_folder):
    thread = start_thread(page, "Is this file safe?", "Let us see.")
    files_before = sorted(upload_folder.rglob("*")) if upload_folder.exists() else []
    fake = tmp_path / "evil.png"
    fake.write_bytes(imagefactory.html_page())

    page.get_by_label("Message").fill("Look at my picture")
    page.get_by_label("Image").set_input_files(str(fake))
    page.get_by_role("button", name="Post reply").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "not a complete" in alert.inner_text()
    assert page.get_by_label("Message").input_value() == "Look at my picture"
    assert post_texts(page) == ["Let us see."]

    page.goto(thread)  # reload the thread: still only the opening post
    assert post_texts(page) == ["Let us see."]
    assert (sorted(upload_folder.rglob("*")) if upload_folder.exists() else []) == files_before
    # The refused form is answered with 400 Bad Request, and Chromium logs that status.
    refused = f"status of 400 (BAD REQUEST) ({page.url.split('/threads/')[0]}{thread}/replies)"
    assert [problem for problem in problems if not problem.endswith(refused)] == []
    assert len(problems) <= 1, problems


def test_search_from_the_header_finds_a_thread(page, problems):
    start_thread(page, "Sourdough starter questions", "My starter smells of nailvarnish, help!", "Baking")
    page.goto("/")

    search_box = page.get_by_role("searchbox", name="Search threads")
    search_box.fill("nailvarnish")
    search_box.press("Enter")

    page.wait_for_url(re.compile(r"/search\?q=nailvarnish"))
    assert "1 thread found" in page.locator("main").inner_text()
    page.get_by_role("link", name="Sourdough starter questions").click()
    page.wait_for_url(re.compile(r"/threads/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Sourdough starter questions"
    assert post_texts(page) == ["My starter smells of nailvarnish, help!"]
    assert problems == []


def test_thread_as_json_link(page, problems):
    thread = start_thread(page, "Best budget binoculars", "10x50 or 7x50?")
    thread_id = int(thread.rsplit("/", 1)[1])

    with page.expect_response(re.compile(rf"/api/threads/{thread_id}/posts$")) as answer:
        page.get_by_role("link", name="This thread as JSON").click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"].startswith("application/json")

    shown = json.loads(page.locator("pre").first.inner_text())  # what the person sees
    assert shown == answer.value.json()
    assert shown["thread"]["id"] == thread_id
    assert shown["thread"]["title"] == "Best budget binoculars"
    assert [post["body"] for post in shown["posts"]] == ["10x50 or 7x50?"]
    assert problems == []


def test_no_console_errors_or_csp_violations_anywhere(page, problems, tmp_path):
    """A tour of every kind of page, with an image on show: nothing complains."""
    picture = tmp_path / "tour.png"
    picture.write_bytes(imagefactory.png(40, 30))
    page.goto("/")
    page.get_by_role("link", name="Gardening", exact=True).click()
    page.get_by_label("Title").fill("Tomatoes in pots")
    page.get_by_label("Message").fill("Which varieties do well on a balcony?")
    page.get_by_label("Image").set_input_files(str(picture))
    page.get_by_role("button", name="Start thread").click()
    page.wait_for_url(re.compile(r"/threads/\d+$"))
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth)")

    for path in ["/", "/?letter=G", "/boards/gardening", "/search?q=balcony", "/search"]:
        page.goto(path)
        page.wait_for_load_state("load")
    assert problems == []


def test_a_reported_image_is_deleted_by_a_moderator(page, browser, site, problems, tmp_path):
    """A visitor reports a post with an image; a moderator logs in through the login
    page, opens the report queue and deletes the post; its image is gone (404)."""
    thread = start_thread(page, "Strange object in my photo", "What is this?")
    picture = tmp_path / "odd.png"
    picture.write_bytes(imagefactory.png(60, 40))
    page.get_by_label("Message").fill("Buy cheap telescopes at example.com")
    page.get_by_label("Image").set_input_files(str(picture))
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(re.compile(rf"{thread}#post-\d+$"))
    image_url = page.locator("article.post img").get_attribute("src")
    assert page.request.get(image_url).status == 200

    page.locator("article.post").nth(1).get_by_role("link", name="Report").click()
    page.wait_for_url(re.compile(r"/posts/\d+/report$"))
    page.get_by_label("Spam or advertising").check()
    page.get_by_label("Details").fill("An advert, not astronomy")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(rf"{thread}#post-\d+$"))
    thanks = page.get_by_role("status").filter(has_text="Thank you")  # the live-updates line is one too
    assert thanks.inner_text() == "Thank you: a moderator will look at your report."

    moderator = new_page(browser, site, problems)
    try:
        moderator.goto("/mod/reports")  # not logged in yet: the login page first
        moderator.wait_for_url(re.compile(r"/login\?next="))
        moderator.get_by_label("Username").fill(MODERATOR)
        moderator.get_by_label("Password").fill(MODERATOR_PASSWORD)
        moderator.get_by_role("button", name="Log in").click()
        moderator.wait_for_url(re.compile(r"/mod/reports$"))
        assert f"Logged in as {MODERATOR}" in moderator.locator(".site-header").inner_text()
        queue = moderator.locator("main").inner_text()
        assert "Buy cheap telescopes" in queue and "An advert, not astronomy" in queue

        moderator.get_by_role("button", name="Delete post", exact=True).click()
        moderator.wait_for_url(re.compile(r"/mod/reports$"))
        assert "No open reports" in moderator.locator("main").inner_text()
        assert moderator.request.get(image_url).status == 404
    finally:
        moderator.context.close()

    page.goto(thread)
    assert post_texts(page) == ["What is this?"]
    assert page.locator("article.post img").count() == 0
    assert problems == []
