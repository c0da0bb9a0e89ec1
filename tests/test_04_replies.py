"""Step 04: replies, bumping, and ids that never repeat under concurrent requests."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from forum import LiveBrowser, create_thread, post_ids, reply, thread_ids_on_board

pytestmark = pytest.mark.since("04")


def test_thread_page_has_a_labelled_reply_form(client):
    thread_id = create_thread(client)
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f'action="/threads/{thread_id}/replies"' in html
    assert '<label for="body">Message</label>' in html


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
