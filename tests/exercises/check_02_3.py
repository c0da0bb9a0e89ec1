"""Exercise 02.3 · Try the 404 (break it on purpose).

The check passes while show_board answers an unknown board with a plain
"No such board" and the status 200, as the exercise asks you to try.
"""

from forum import page

BROKEN_ON_PURPOSE = True


def test_an_unknown_board_now_answers_200_ok(client, note):
    """An unknown board's page now says "No such board" with the status 200 OK, not 404.

    Hint: in show_board, replace abort(404) with return "No such board".
    """
    response = client.get("/boards/no-such-board")
    assert response.status_code == 200, f"/boards/no-such-board still answers {response.status_code}"
    assert "No such board" in page(response).text()
    note(
        "200 OK tells browsers, search engines and link checkers that the page exists: "
        "they would keep and show 'No such board' like any page. "
        "test_unknown_board_is_404_while_known_boards_work (tests/test_02_board_pages.py) fails"
    )
