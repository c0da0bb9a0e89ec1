"""Step 03: start a thread from a board page, and read it on its own page."""

import pytest
from forum import create_thread, field_labels, form_to, page, post_form, thread_ids_on_board

pytestmark = pytest.mark.since("03")


def start(client, title, body="", board="astronomy"):
    """Submit the new-thread form; return the raw response."""
    fields = {"title": title, "body": body}
    return post_form(client, f"/boards/{board}", f"/boards/{board}/threads", fields)


def test_board_page_has_a_labelled_thread_form(client):
    form, shown = form_to(client.get("/boards/astronomy"), "/boards/astronomy/threads")
    assert form is not None and form.method == "post"
    labels = field_labels(form, shown)
    assert (labels.get("title"), labels.get("body")) == ("Title", "Message")


def test_creating_a_thread_redirects_to_it_with_303(client):
    response = start(client, "Best telescope?", "I want to see Saturn.")
    assert response.status_code == 303
    thread_url = response.headers["Location"]
    assert thread_url.startswith("/threads/")
    page = client.get(thread_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Best telescope?" in html
    assert "I want to see Saturn." in html


def test_new_thread_is_listed_on_its_board_only(client):
    thread_id = create_thread(client, title="Saturn tonight", board="astronomy")
    assert thread_ids_on_board(client, "astronomy") == [thread_id]
    assert thread_ids_on_board(client, "chess") == []


def test_board_lists_newest_thread_first(client):
    first = create_thread(client, title="First")
    second = create_thread(client, title="Second")
    assert thread_ids_on_board(client) == [second, first]


def test_title_is_trimmed(client):
    thread_id = create_thread(client, title="   Spaces around   ")
    headings = page(client.get(f"/threads/{thread_id}")).find_all("h1")
    assert [heading.text() for heading in headings] == ["Spaces around"]


def test_thread_without_message_is_allowed(client):
    assert start(client, "Just a title").status_code == 303


def test_missing_title_is_refused_and_the_text_is_kept(client):
    response = start(client, "   ", "My carefully written message")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please give your thread a title." in html
    assert "My carefully written message" in html
    assert thread_ids_on_board(client) == []


def test_title_of_120_characters_is_accepted(client):
    assert start(client, "x" * 120).status_code == 303


def test_title_over_120_characters_is_refused(client):
    response = start(client, "x" * 121, "keep me")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at most 120 characters" in html
    assert "keep me" in html
    assert thread_ids_on_board(client) == []


def test_message_over_5000_characters_is_refused(client):
    response = start(client, "Long one", "y" * 5001)
    assert response.status_code == 400
    assert "at most 5000 characters" in response.get_data(as_text=True)
    assert thread_ids_on_board(client) == []


def test_thread_on_unknown_board_is_404(client):
    assert start(client, "Hello", board="astronomy").status_code == 303
    assert start(client, "Hello", board="no-such-board").status_code == 404


def test_unknown_thread_is_404(client):
    thread_id = create_thread(client)
    assert client.get(f"/threads/{thread_id}").status_code == 200
    assert client.get(f"/threads/{thread_id + 1}").status_code == 404


# The digits 0-9 written in other scripts: Arabic-Indic, full-width, mathematical bold.
OTHER_DIGITS = {"arabic-indic": "\u0660", "full-width": "\uff10", "mathematical bold": "\U0001d7ce"}


def in_other_digits(number, zero):
    """`number` written with the ten digits that start at the character `zero`."""
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


def test_thread_ids_are_written_with_the_digits_0_to_9_only(client):
    """/threads/\u0663 (an Arabic-Indic 3) or /threads/\uff13 (a full-width 3) is not thread 3:
    one thread, one address."""
    thread_id = create_thread(client)
    assert client.get(f"/threads/{thread_id}").status_code == 200
    for zero in OTHER_DIGITS.values():
        assert client.get(f"/threads/{in_other_digits(thread_id, zero)}").status_code == 404


def test_user_text_is_escaped(client):
    thread_id = create_thread(client, title="<b>bold</b>", body="<script>alert(1)</script>")
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_line_breaks_in_posts_are_kept(client):
    thread_id = create_thread(client, body="line one\r\nline two")
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "line one\nline two" in html
