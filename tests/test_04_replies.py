"""Step 04: replies, bumping, and ids that never repeat under concurrent requests."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from forum import (
    LiveBrowser,
    create_thread,
    field_labels,
    form_to,
    post_form,
    post_ids,
    reply,
    thread_ids_on_board,
)
from forum import page as parse

pytestmark = pytest.mark.since("04")


def test_thread_page_has_a_labelled_reply_form(client):
    thread_id = create_thread(client)
    form, shown = form_to(client.get(f"/threads/{thread_id}"), f"/threads/{thread_id}/replies")
    assert form is not None and form.method == "post"
    assert field_labels(form, shown).get("body") == "Message"


def test_reply_redirects_to_the_new_post(client):
    thread_id = create_thread(client, body="Opening post")
    response = reply(client, thread_id, "Nice thread!")
    assert response.status_code == 303
    location = response.headers["Location"]
    match = re.fullmatch(rf"/threads/{thread_id}#post-(\d+)", location)
    assert match
    assert post_ids(client, thread_id)[-1] == int(match.group(1))
    assert "Nice thread!" in client.get(f"/threads/{thread_id}").get_data(as_text=True)


def test_replies_are_shown_oldest_first(client):
    thread_id = create_thread(client, body="one")
    reply(client, thread_id, "two")
    reply(client, thread_id, "three")
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert html.index("one") < html.index("two") < html.index("three")
    ids = post_ids(client, thread_id)
    assert ids == sorted(ids) and len(ids) == 3


def test_reply_bumps_thread(client):
    older = create_thread(client, title="Older")
    newer = create_thread(client, title="Newer")
    assert thread_ids_on_board(client) == [newer, older]
    assert reply(client, older, "bump!").status_code == 303
    assert thread_ids_on_board(client) == [older, newer]


@pytest.mark.parametrize("body", ["", "   \r\n  ", "z" * 5001])
def test_empty_or_too_long_reply_is_refused(client, body):
    thread_id = create_thread(client, body="Opening post")
    response = reply(client, thread_id, body)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please write a message" in html or "at most 5000 characters" in html
    assert len(post_ids(client, thread_id)) == 1


def test_refused_reply_keeps_the_text(client):
    thread_id = create_thread(client)
    response = reply(client, thread_id, "w" * 5001)
    assert "w" * 5001 in response.get_data(as_text=True)


def test_reply_of_exactly_5000_characters_is_accepted(client):
    thread_id = create_thread(client)
    assert reply(client, thread_id, "v" * 5000).status_code == 303


def test_reply_to_unknown_thread_is_404(client):
    thread_id = create_thread(client)
    assert reply(client, thread_id).status_code == 303
    assert reply(client, thread_id + 100).status_code == 404


def test_thread_limits_are_settings(app):
    assert app.config["BUMP_LIMIT"] == 300
    assert app.config["REPLY_LIMIT"] == 500


def test_a_thread_past_its_bump_limit_sinks(app, client):
    app.config["BUMP_LIMIT"] = 2
    old = create_thread(client, title="Old")
    new = create_thread(client, title="New")
    reply(client, old, "one")
    reply(client, old, "two")
    assert thread_ids_on_board(client) == [old, new]
    reply(client, new, "bump the new one")
    assert reply(client, old, "three: kept, but no bump").status_code == 303
    assert thread_ids_on_board(client) == [new, old]
    assert "three: kept, but no bump" in client.get(f"/threads/{old}").get_data(as_text=True)


def reply_from_an_old_page(client, thread_id, body):
    """A reply sent by someone whose form was opened before the thread filled up.

    (The thread page of a full thread has no form; the board page's form carries
    the same hidden fields, if the site has any.)"""
    return post_form(client, "/boards/astronomy", f"/threads/{thread_id}/replies", {"body": body})


def test_a_full_thread_is_closed_and_says_so(app, client):
    app.config["REPLY_LIMIT"] = 2
    thread = create_thread(client, body="Opening post")
    assert reply(client, thread, "one").status_code == 303
    assert reply(client, thread, "two").status_code == 303
    before = post_ids(client, thread)
    page = client.get(f"/threads/{thread}").get_data(as_text=True)
    assert "This thread has reached its reply limit and is closed." in page
    assert "/boards/astronomy#new-thread" in parse(page).hrefs()  # start a new thread instead
    assert "body" not in parse(page).fields()  # no reply form
    response = reply_from_an_old_page(client, thread, "three")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "This thread has reached its limit of 2 replies and is closed. Nothing was posted" in html
    assert post_ids(client, thread) == before
    # Another thread is not affected.
    assert reply(client, create_thread(client, title="Other"), "fine").status_code == 303


@pytest.mark.live
def test_replies_racing_for_the_last_places_never_pass_the_limit(app, client, live_server):
    """16 browsers reply at once to a thread with room for 5 more replies: 5 get in."""
    app.config["REPLY_LIMIT"] = 5
    thread_id = create_thread(client, body="Opening post")

    def write_reply(worker):
        browser = LiveBrowser(live_server)
        url = f"/threads/{thread_id}/replies"
        status, _ = browser.post_form("/boards/astronomy", url, {"body": f"reply {worker}"})
        return status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(write_reply, range(16)))

    assert sorted(statuses) == [303] * 5 + [403] * 11
    assert len(post_ids(client, thread_id)) == 1 + 5


@pytest.mark.live
def test_concurrent_replies_lose_nothing_and_never_repeat_an_id(client, live_server):
    """16 browsers reply at once on the threaded dev server: 160 replies, all kept."""
    thread_id = create_thread(client, body="Opening post")
    other_thread = create_thread(client, title="Another thread")

    def write_replies(worker):
        browser = LiveBrowser(live_server)
        url = f"/threads/{thread_id}"
        statuses = []
        for number in range(10):
            fields = {"body": f"reply {worker}-{number}"}
            status, _ = browser.post_form(url, f"{url}/replies", fields)
            statuses.append(status)
        return statuses

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [status for result in pool.map(write_replies, range(16)) for status in result]

    assert statuses == [303] * 160
    ids = post_ids(client, thread_id)
    assert len(ids) == 161
    assert len(set(ids)) == 161
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    for worker in range(16):
        for number in range(10):
            assert html.count(f"reply {worker}-{number}<") == 1
    # A new post still gets a fresh id, and the other thread was not touched.
    assert reply(client, other_thread, "after").status_code == 303
    assert post_ids(client, other_thread)[0] not in ids
