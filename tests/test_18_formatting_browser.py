"""Step 18 in a real browser: quote links take the reader to the post, backlinks appear live.

Chromium (see browser.py) reads thread pages of the app served on 127.0.0.1.
A reader clicks ">>N" in a post and lands on post N (the address ends in
#post-N and post N is on screen), in the same thread or in another one. While
a thread is open, someone else quotes one of its posts: the quoted post's
"Replies:" line gets the new link without a reload, over the WebSocket and,
where WebSockets do not get through, by polling. No console errors, no
Content-Security-Policy violations.
"""

import re
import urllib.parse

import pytest
from browser import browser, new_page, problems  # noqa: F401 - fixtures
from forum import create_thread, post_form, post_ids, staff_client
from test_15_live_browser import BLOCK_WEBSOCKETS, LIVE, POLLING, open_thread, pages  # noqa: F401
from test_18_formatting import reply_id

pytestmark = [pytest.mark.since("18"), pytest.mark.browser, pytest.mark.live]

IN_VIEW = "e => { const box = e.getBoundingClientRect(); return box.top >= 0 && box.top < innerHeight; }"


def in_view(page, post_id):
    return page.locator(f"#post-{post_id}").evaluate(IN_VIEW)


def address(page):
    """Where the page is: its path and #fragment."""
    parts = urllib.parse.urlsplit(page.url)
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


def test_clicking_a_quote_link_lands_on_the_quoted_post(app, pages, problems):  # noqa: F811 - fixtures
    """Post >>N at the bottom of a long thread: a click scrolls up to post N
    (#post-N); from another thread, a click opens N's thread there."""
    client = app.test_client()
    thread_id = create_thread(client, title="Comet", body="Is it visible yet?")
    [quoted] = post_ids(client, thread_id)
    for n in range(30):
        reply_id(client, thread_id, f"Filler {n}\n\nso that the page scrolls")
    quoting = reply_id(client, thread_id, f">>{quoted} yes, low in the west")
    elsewhere = create_thread(client, title="Elsewhere", body="Nothing yet")
    far = reply_id(client, elsewhere, f"See >>{quoted}")

    page = pages()
    page.goto(f"/threads/{thread_id}#post-{quoting}")
    seen = {"quoted post in view at first": in_view(page, quoted)}
    link = page.locator(f"#post-{quoting}").get_by_role("link", name=f">>{quoted}", exact=True)
    assert link.count() == 1, "no >>N link to click"  # (at once, rather than after a click's timeout)
    link.click()
    page.wait_for_url(re.compile(rf"#post-{quoted}$"))
    page.wait_for_function(f"() => ({IN_VIEW})(document.getElementById('post-{quoted}'))", timeout=3000)
    seen["same thread"] = (address(page), in_view(page, quoted))
    page.goto(f"/threads/{elsewhere}")
    with page.expect_navigation():
        page.locator(f"#post-{far}").get_by_role("link", name=f">>{quoted}", exact=True).click()
    page.wait_for_function(f"() => ({IN_VIEW})(document.getElementById('post-{quoted}'))", timeout=3000)
    seen["other thread"] = (address(page), in_view(page, quoted))
    assert seen == {
        "quoted post in view at first": False,
        "same thread": (f"/threads/{thread_id}#post-{quoted}", True),
        "other thread": (f"/threads/{thread_id}#post-{quoted}", True),
    }
    assert problems == []


@pytest.mark.parametrize(
    ("blocked", "mode", "within"),
    [(None, LIVE, 2000), (BLOCK_WEBSOCKETS, POLLING, 6000)],
    ids=["websocket", "polling"],
)
def test_a_backlink_appears_on_an_open_page_when_someone_quotes_a_post(
    app, pages, problems, blocked, mode, within  # noqa: F811 - fixtures
):
    """B has the thread open; A quotes its opening post with the page's form: B's opening
    post gets "Replies: >>N" without a reload (within 2 s live, 6 s when polling)."""
    client = app.test_client()
    thread_id = create_thread(client, title="Eclipse", body="Who saw it?")
    [quoted] = post_ids(client, thread_id)
    reader = pages(blocked)
    open_thread(reader, thread_id, mode)
    reader.evaluate("window.notReloaded = true")
    writer = pages()
    open_thread(writer, thread_id, LIVE)
    writer.get_by_label("Message").fill(f">>{quoted} I did, from the hill")
    writer.get_by_role("button", name="Post reply").click()
    writer.wait_for_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
    new_post = int(writer.url.rsplit("-", 1)[1])
    # The writer's own page links the quote at once; without that, nothing to wait for.
    assert writer.locator(f"#post-{new_post} a.quote-link").count() == 1, "the quote is not a link"

    backlink = reader.locator(f"#post-{quoted} .backlinks").get_by_role("link", name=f">>{new_post}")
    backlink.wait_for(timeout=within)
    assert {
        "line": " ".join(reader.locator(f"#post-{quoted} .backlinks").inner_text().split()),
        "link": backlink.get_attribute("href"),
        "not reloaded": reader.evaluate("window.notReloaded === true"),
        "new post's quote link": reader.locator(f"#post-{new_post}").get_by_role(
            "link", name=f">>{quoted}", exact=True
        ).get_attribute("href"),
    } == {
        "line": f"Replies: >>{new_post}",
        "link": f"#post-{new_post}",
        "not reloaded": True,
        "new post's quote link": f"#post-{quoted}",
    }
    assert problems == []


def test_the_links_to_a_deleted_post_go_from_an_open_page(app, pages, problems):  # noqa: F811 - fixtures
    """A reader has the thread open; a moderator deletes a reply that quoted the opening
    post and that a later reply quotes. Within 2 s, without a reload, the page shows what a
    reload would: the opening post's "Replies:" line is gone, and ">>N" in the later reply
    is plain text, no longer a link to a post that is not there."""
    client = app.test_client()
    thread_id = create_thread(client, title="Meteors", body="Any tonight?")
    [opening] = post_ids(client, thread_id)
    doomed = reply_id(client, thread_id, f">>{opening} buy cheap watches")
    later = reply_id(client, thread_id, f">>{doomed} spam, reported")
    reader = pages()
    open_thread(reader, thread_id, LIVE)
    reader.evaluate("window.notReloaded = true")
    links_before = {
        "replies line": reader.locator(f"#post-{opening} .backlinks").count(),
        "quote links": reader.locator(f"#post-{later} a.quote-link").count(),
    }
    assert links_before == {"replies line": 1, "quote links": 1}
    moderator = staff_client(app, "milo")
    response = post_form(moderator, f"/threads/{thread_id}", f"/mod/posts/{doomed}/delete", {})
    assert response.status_code == 303
    reader.locator(f"#post-{doomed}").wait_for(state="detached", timeout=2000)
    reader.locator(f"#post-{later} a.quote-link").wait_for(state="detached", timeout=2000)
    assert {
        "opening post's replies line": reader.locator(f"#post-{opening} .backlinks").count(),
        "later reply's text": " ".join(reader.locator(f"#post-{later} .post-body").inner_text().split()),
        "not reloaded": reader.evaluate("window.notReloaded === true"),
    } == {
        "opening post's replies line": 0,
        "later reply's text": f">>{doomed} spam, reported",
        "not reloaded": True,
    }
    assert problems == []
