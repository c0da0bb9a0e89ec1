"""Step 16 in a real browser: post an image, see its thumbnail, click it, see the full image.

Chromium (see browser.py) posts a 1000 x 400 PNG with the thread page's own
form, as a person would (the file chosen in the file field). The thread page
then shows a 250 x 100 thumbnail. Its box has that size before the picture
arrives (the thumbnail's request is held back until the box is measured), so
nothing on the page moves when it loads; clicking it opens the full image at
its real size. No console errors, no Content-Security-Policy violations.
"""

import re

import imagefactory
import pytest
from browser import browser, new_page, problems  # noqa: F401 - fixtures
from forum import create_thread

pytestmark = [pytest.mark.since("16"), pytest.mark.browser, pytest.mark.live]

WIDTH, HEIGHT = 1000, 400
THUMBNAIL = (250, 100)

SIZE = "img => [img.complete && img.naturalWidth > 0, img.clientWidth, img.clientHeight]"


def test_an_image_posted_with_the_form_shows_a_thumbnail_that_opens_the_full_image(
    app, live_server, browser, problems, tmp_path  # noqa: F811 - fixtures
):
    """The thumbnail's box is 250 x 100 before and after it loads (width and height
    attributes: no layout shift), the picture is 250 x 100, and a click on it opens
    the full 1000 x 400 image."""
    thread_id = create_thread(app.test_client(), title="Andromeda", body="Long exposure tonight")
    picture = tmp_path / "andromeda.png"
    picture.write_bytes(imagefactory.png(WIDTH, HEIGHT))
    page = new_page(browser, live_server, problems)
    held = []  # requests for uploads, answered once the thumbnail's empty box is measured

    def hold(route):
        if held == ["released"]:
            route.continue_()
        else:
            held.append(route)

    try:
        page.goto(f"/threads/{thread_id}")
        page.route(re.compile(r"/uploads/.*"), hold)
        page.get_by_label("Message").fill("My best so far")
        page.locator("input[type=file][name=image]").set_input_files(str(picture))
        page.get_by_role("button", name="Post reply").click()
        page.wait_for_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
        post_id = page.url.rsplit("-", 1)[1]
        thumbnail = page.locator(f"#post-{post_id} img[src^='/uploads/']")
        thumbnail.scroll_into_view_if_needed()
        seen = {"before it loads": thumbnail.evaluate(SIZE)}
        waiting, held[:] = list(held), ["released"]
        for route in waiting:
            route.continue_()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
        seen["loaded"] = thumbnail.evaluate(SIZE)
        seen["attributes"] = (thumbnail.get_attribute("width"), thumbnail.get_attribute("height"))
        seen["picture"] = thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        link = thumbnail.locator("xpath=ancestor::a[1]").get_attribute("href")
        with page.expect_navigation():
            thumbnail.click()
        full = page.locator("img").first
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=full.element_handle())
        seen["opened"] = page.url.removeprefix(live_server)
        seen["full picture"] = full.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    finally:
        page.context.close()
    assert seen == {
        "before it loads": [False, *THUMBNAIL],
        "loaded": [True, *THUMBNAIL],
        "attributes": tuple(str(n) for n in THUMBNAIL),
        "picture": list(THUMBNAIL),
        "opened": link if link and link.endswith(".png") else "a link to the full PNG",
        "full picture": [WIDTH, HEIGHT],
    }
    assert problems == []
