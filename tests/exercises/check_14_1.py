"""Exercise 14.1 · Too soon, but not lost: a refused post keeps what was typed."""

import re

from forum import BOARD, create_thread, page, post_form, post_ids, reply

SOON_REPLY = re.compile(r"You can post another reply in (\d+) seconds\.")
SOON_THREAD = re.compile(r"You can start another thread in (\d+) seconds\.")


def form_to(response, action):
    """The page's form that is sent to ``action``, or None."""
    return next((form for form in page(response).forms() if form.action == action), None)


def test_a_reply_too_soon_shows_the_thread_again_with_what_was_typed(make_app, note):
    """A second reply within REPLY_INTERVAL: still 429 with Retry-After, but the page is the
    thread, with the wait said above the reply form and the text still in it.

    Hint: in boards.py, a handler @bp.errorhandler(TooManyRequests) (from
    werkzeug.exceptions) that calls show_form_again(error), takes the page from
    what it returns, and returns (page, 429, {"Retry-After": str(error.retry_after)}).
    """
    app = make_app(REPLY_INTERVAL=60)
    client = app.test_client()
    thread_id = create_thread(client)
    assert reply(client, thread_id, "First thought").status_code == 303
    refused = reply(client, thread_id, "A second thought, typed with care")
    assert refused.status_code == 429, f"a reply too soon gets {refused.status_code}, not 429"
    assert refused.headers.get("Retry-After", "").isdigit(), "the 429 has no Retry-After header"
    form = form_to(refused, f"/threads/{thread_id}/replies")
    assert form is not None, "the 429 page has no reply form: it is the error page, not the thread"
    typed = form.fields["body"].text()
    assert typed == "A second thought, typed with care", f"the reply form holds {typed!r}"
    said = SOON_REPLY.search(page(refused).text())
    assert said and said[1] == refused.headers["Retry-After"], "the page does not say how long to wait"
    note(f"the thread page came back with the text and 'wait {said[1]} seconds'")


def test_a_thread_too_soon_shows_the_board_again_with_what_was_typed(make_app, note):
    """A second new thread within THREAD_INTERVAL: 429, the board page, its form filled in again.

    Hint: the same handler: show_form_again() already knows a board's form from a thread's.
    """
    app = make_app(THREAD_INTERVAL=60)
    client = app.test_client()
    create_thread(client, title="First")
    fields = {"title": "Second, too soon", "body": "With a long body"}
    refused = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields)
    assert refused.status_code == 429, f"a thread too soon gets {refused.status_code}, not 429"
    form = form_to(refused, f"/boards/{BOARD}/threads")
    assert form is not None, "the 429 page has no new-thread form: it is the error page, not the board"
    typed = (form.fields["title"].get("value"), form.fields["body"].text())
    assert typed == ("Second, too soon", "With a long body"), f"the form holds {typed}"
    assert SOON_THREAD.search(page(refused).text()), "the page does not say how long to wait"
    note("the board page came back with the title and the text")


def test_still_nothing_is_stored_too_soon(make_app):
    """The refused reply is not stored: the thread has its opening post and one reply."""
    app = make_app(REPLY_INTERVAL=60)
    client = app.test_client()
    thread_id = create_thread(client)
    reply(client, thread_id, "First thought")
    reply(client, thread_id, "Too soon")
    assert len(post_ids(client, thread_id)) == 2
