"""Step 15 in a real browser: an open thread page shows replies and deletions as they happen.

Chromium (from /usr/bin/chromium, see browser.py) opens the thread pages of the
app served on 127.0.0.1, each page in a browser context of its own (another
person). The tests look at what a reader sees: the posts (``id="post-N"``), the
status line (role="status") that says how the page is kept up to date, and the
title. No console errors and no Content-Security-Policy violations are allowed,
so the WebSocket to the page's own host must pass the site's CSP.

Two things are emulated, with scripts that run before the page's own (as a
browser extension's would; the page's CSP does not apply to them):

- a network where WebSockets do not get through (BLOCK_WEBSOCKETS): each
  socket fails to open, as a real one does, and the page must fall back to polling;
- a page in a background tab: headless Chromium always reports its pages as
  visible, so ``document.hidden`` is overridden on the page (SET_HIDDEN) and a
  ``visibilitychange`` event sent, as a browser does when the tab changes.
"""

import re
import time

import pytest
from browser import browser, new_page, problems  # noqa: F401 - fixtures
from forum import PASSWORD, create_thread, create_user, post_form, post_ids, reply, staff_client

pytestmark = [pytest.mark.since("15"), pytest.mark.browser, pytest.mark.live]

LIVE = "Live: new replies appear here."
POLLING = "Checking for new replies every few seconds."

# A WebSocket that can never open: like a real one behind a proxy that refuses
# the upgrade, it fires "error", then "close" with 1006 (not clean).
BLOCK_WEBSOCKETS = """
window.WebSocket = class BlockedWebSocket extends EventTarget {
  static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
  constructor(url) {
    super();
    this.url = String(url);
    this.readyState = 0;
    this.protocol = "";
    this.extensions = "";
    this.binaryType = "blob";
    this.bufferedAmount = 0;
    this.onopen = this.onmessage = this.onerror = this.onclose = null;
    setTimeout(() => {
      this.readyState = 3;
      const error = new Event("error");
      if (this.onerror) this.onerror(error);
      this.dispatchEvent(error);
      const close = new CloseEvent("close", {code: 1006, reason: "", wasClean: false});
      if (this.onclose) this.onclose(close);
      this.dispatchEvent(close);
    }, 50);
  }
  send() { throw new DOMException("WebSocket is not open", "InvalidStateError"); }
  close() {}
};
"""

# Hide or show the page, as switching tabs does.
SET_HIDDEN = """hidden => {
  const state = hidden ? "hidden" : "visible";
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture
def pages(browser, live_server, problems):  # noqa: F811 - fixtures
    """Opens pages of the live server, each in a context of its own: pages(init_script=None).
    They are closed after the test."""
    opened = []

    def open_page(init_script=None):
        opened.append(new_page(browser, live_server, problems, init_script))
        return opened[-1]

    yield open_page
    for each in opened:
        each.context.close()


def open_thread(page, thread_id, mode):
    """Open a thread page and wait until its status line says ``mode`` (LIVE or POLLING)."""
    page.goto(f"/threads/{thread_id}")
    # Checked first, so that an app without live updates fails at once.
    assert page.locator("[data-live-url]").count() == 1, "the thread page has no data-live-url"
    page.get_by_role("status").filter(has_text=mode).wait_for(timeout=3000)


def shown_posts(page):
    """The ids of the posts the page shows, in page order."""
    return page.locator("[id^='post-']").evaluate_all(
        "elements => elements.map(e => e.id).filter(id => /^post-\\d+$/.test(id))"
    )


def reply_id(client, thread_id, body):
    response = reply(client, thread_id, body)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))


def test_a_reply_appears_in_another_open_page_without_a_reload(app, pages, problems):  # noqa: F811
    """A posts a reply with the page's form; within 2 s it appears in B, which is not
    reloaded and, in a background tab, shows "(1) " before its title until it is looked at.
    A shows its own reply once."""
    client = app.test_client()
    thread_id = create_thread(client, title="Meteors tonight", body="Who is watching?")
    [opening] = post_ids(client, thread_id)
    writer = pages()
    open_thread(writer, thread_id, LIVE)
    reader = pages()
    open_thread(reader, thread_id, LIVE)
    title = reader.title()
    reader.evaluate("window.notReloaded = true")
    reader.evaluate(SET_HIDDEN, True)

    text = "Three so far, one very bright!"
    writer.get_by_label("Message").fill(text)
    writer.get_by_role("button", name="Post reply").click()
    writer.wait_for_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
    post_id = int(writer.url.rsplit("-", 1)[1])
    reader.locator(f"#post-{post_id}").wait_for(timeout=2000)
    title_while_hidden = reader.title()
    reader.evaluate(SET_HIDDEN, False)
    reader.wait_for_function("title => document.title === title", arg=title, timeout=2000)
    # The writer's page is live again: its reply, already on the page, is not added twice.
    writer.get_by_role("status").filter(has_text=LIVE).wait_for(timeout=3000)
    writer.wait_for_timeout(300)

    assert {
        "reader": shown_posts(reader),
        "reply's text": reader.locator(f"#post-{post_id}").inner_text().count(text),
        "reader not reloaded": reader.evaluate("window.notReloaded === true"),
        "title while hidden": title_while_hidden,
        "writer": shown_posts(writer),
    } == {
        "reader": [f"post-{opening}", f"post-{post_id}"],
        "reply's text": 1,
        "reader not reloaded": True,
        "title while hidden": f"(1) {title}",
        "writer": [f"post-{opening}", f"post-{post_id}"],
    }
    assert problems == []


def test_without_websockets_the_page_polls_for_replies_and_deletions(app, pages, problems):  # noqa: F811
    """WebSockets cannot get through to B: its status line says it checks every few
    seconds, and within 5 s a new reply appears and a deleted post disappears, without a reload."""
    client = app.test_client()
    thread_id = create_thread(client, title="Clouds again", body="Nothing to see here.")
    [opening] = post_ids(client, thread_id)
    doomed = reply_id(client, thread_id, "Buy cheap telescopes at example.com")
    reader = pages(BLOCK_WEBSOCKETS)
    open_thread(reader, thread_id, POLLING)
    reader.evaluate("window.notReloaded = true")
    moderator = staff_client(app, "milo")

    post_id = reply_id(client, thread_id, "It cleared up in the north!")
    response = post_form(moderator, f"/threads/{thread_id}", f"/mod/posts/{doomed}/delete", {})
    assert response.status_code == 303
    # Both within 5 s of the two posts. (A poll may fall between them: it brings
    # the reply, and the next poll the deletion.)
    deadline = time.monotonic() + 5
    reader.locator(f"#post-{post_id}").wait_for(timeout=5000)
    remaining_ms = max(1, (deadline - time.monotonic()) * 1000)  # (0 would mean "no limit")
    reader.locator(f"#post-{doomed}").wait_for(state="detached", timeout=remaining_ms)
    assert {
        "reader": shown_posts(reader),
        "reader not reloaded": reader.evaluate("window.notReloaded === true"),
        "status": reader.get_by_role("status").filter(has_text=POLLING).count(),
    } == {"reader": [f"post-{opening}", f"post-{post_id}"], "reader not reloaded": True, "status": 1}
    assert problems == []


def test_a_post_a_moderator_deletes_disappears_from_an_open_page(app, pages, problems):  # noqa: F811
    """A moderator deletes a post from the thread page: within 2 s it disappears from
    a reader's page."""
    client = app.test_client()
    thread_id = create_thread(client, title="Telescope advice", body="Which one for a beginner?")
    [opening] = post_ids(client, thread_id)
    doomed = reply_id(client, thread_id, "Buy cheap telescopes at example.com")
    reader = pages()
    open_thread(reader, thread_id, LIVE)
    create_user(app, "milo")
    moderator = pages()
    moderator.goto(f"/login?next=/threads/{thread_id}")
    moderator.get_by_label("Username").fill("milo")
    moderator.get_by_label("Password").fill(PASSWORD)
    moderator.get_by_role("button", name="Log in").click()
    moderator.wait_for_url(re.compile(rf"/threads/{thread_id}$"))
    with moderator.expect_navigation():
        moderator.locator(f"form[action='/mod/posts/{doomed}/delete'] button[type=submit]").click()

    reader.locator(f"#post-{doomed}").wait_for(state="detached", timeout=2000)
    assert shown_posts(reader) == [f"post-{opening}"]
    assert problems == []


def test_news_too_big_for_the_socket_comes_over_http_and_the_page_stays_live(app, pages, problems):  # noqa: F811
    """A reply too large for one socket message (LIVE_MAX_MESSAGE_BYTES, 4,000 bytes
    here): the server says "catch-up" and closes the socket; the page loads the reply
    from the API, opens a new socket, says it is live, and the next reply arrives
    through it. No reload."""
    app.config["LIVE_MAX_MESSAGE_BYTES"] = 4000
    client = app.test_client()
    thread_id = create_thread(client, title="Long reports", body="Tell us everything.")
    [opening] = post_ids(client, thread_id)
    reader = pages()
    open_thread(reader, thread_id, LIVE)
    reader.evaluate("window.notReloaded = true")
    sockets = []
    reader.on("websocket", lambda socket: sockets.append(socket.url))

    long = reply_id(client, thread_id, "A long report " + "and more " * 500)
    reader.locator(f"#post-{long}").wait_for(timeout=5000)
    # A new socket, opened at once (not a minute later, as after a failure).
    reader.get_by_role("status").filter(has_text=LIVE).wait_for(timeout=3000)
    short = reply_id(client, thread_id, "A short one")
    reader.locator(f"#post-{short}").wait_for(timeout=3000)
    assert {
        "reader": shown_posts(reader),
        "reader not reloaded": reader.evaluate("window.notReloaded === true"),
        "new sockets": len(sockets),
        "status": reader.get_by_role("status").filter(has_text=LIVE).count(),
    } == {
        "reader": [f"post-{opening}", f"post-{long}", f"post-{short}"],
        "reader not reloaded": True,
        "new sockets": 1,
        "status": 1,
    }
    assert problems == []
