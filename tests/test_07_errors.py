"""Step 07: a styled page for each error, with the right status code and a way back."""

import logging

import imagefactory
import pytest
from flask import abort
from forum import create_thread, page, reply, stored_files

pytestmark = pytest.mark.since("07")


def assert_error_page(response, status, words):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    shown = page(response)
    assert str(status) in shown.text()
    assert words in shown.text()
    # A way back, and the site's own layout and stylesheet.
    assert shown.link(text="Back to all boards", href="/")
    assert shown.stylesheets()


def test_unknown_board_shows_the_404_page(client):
    assert_error_page(client.get("/boards/no-such-board"), 404, "There is no page at this address")


def test_unknown_address_and_thread_show_the_404_page(client):
    assert_error_page(client.get("/no/such/page"), 404, "Not Found")
    assert_error_page(client.get("/threads/999"), 404, "Not Found")


def test_wrong_method_shows_the_405_page_and_lists_allowed_methods(client):
    response = client.post("/")
    assert_error_page(response, 405, "not for that kind of request")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"  # sorted, the same every time


def test_get_on_a_post_only_route_is_405(client):
    thread_id = create_thread(client)
    response = client.get(f"/threads/{thread_id}/replies")
    assert_error_page(response, 405, "Method Not Allowed")
    allowed = response.headers["Allow"].split(", ")
    assert "POST" in allowed and "GET" not in allowed


def test_oversized_request_shows_the_413_page(app, client, upload_folder):
    """One byte over MAX_CONTENT_LENGTH (5 MiB until step 16, 17 MiB from step 17)."""
    mib = 1024 * 1024
    limit, image_limit = app.config["MAX_CONTENT_LENGTH"], app.config["MAX_IMAGE_SIZE"]
    thread_id = create_thread(client)
    huge = imagefactory.png_of_size(limit + 1)
    response = reply(client, thread_id, "huge", image=("huge.png", huge))
    assert_error_page(
        response, 413, f"larger than {limit // mib} MiB in all (images can be up to {image_limit // mib} MiB"
    )
    assert stored_files(upload_folder) == []


def test_a_text_field_too_long_shows_the_413_page_that_says_so(client):
    thread_id = create_thread(client)
    response = reply(client, thread_id, "x" * 100 * 1024, image=("", b""))
    assert_error_page(response, 413, "a text field longer than this site accepts")


def test_a_bad_request_shows_the_400_page(app, client):
    @app.get("/test-only/bad-request")
    def bad_request():
        abort(400)

    assert_error_page(client.get("/test-only/bad-request"), 400, "could not understand")


def test_an_unexpected_exception_shows_the_500_page_and_is_logged(app, client, caplog):
    @app.get("/test-only/crash")
    def crash():
        raise RuntimeError("a bug in our code")

    with caplog.at_level(logging.ERROR):
        response = client.get("/test-only/crash")
    assert_error_page(response, 500, "Something went wrong on our side")
    assert "a bug in our code" not in response.get_data(as_text=True)
    logged = [record for record in caplog.records if record.exc_info]
    assert any("a bug in our code" in str(record.exc_info[1]) for record in logged)
