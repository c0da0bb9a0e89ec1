"""Step 02: an A-Z filter on the home page, and a page for each board."""

import pytest
from forum import board_names, page

pytestmark = pytest.mark.since("02")


def test_letter_filter_shows_only_boards_with_that_letter(client):
    html = client.get("/?letter=C").get_data(as_text=True)
    names = board_names(html)
    assert names == ["Chess", "Cycling"]


def test_letter_filter_ignores_case(client):
    upper = board_names(client.get("/?letter=P").get_data(as_text=True))
    lower = board_names(client.get("/?letter=p").get_data(as_text=True))
    assert upper == lower == ["Photography", "Python"]


def test_letter_bar_links_every_letter_in_use_and_disables_the_rest(client):
    home = page(client.get("/"))
    assert home.link(text="A", href="/?letter=A")
    # No board starts with Q, so Q is shown but cannot be clicked.
    assert "/?letter=Q" not in home.hrefs()
    assert any(element.text() == "Q" for element in home.elements if element.get("aria-disabled") == "true")


def test_all_link_shows_every_board_again(client):
    assert page(client.get("/?letter=C")).link(text="All", href="/")
    assert len(board_names(client.get("/").get_data(as_text=True))) >= 12


def test_letter_without_boards_shows_a_friendly_empty_list(client):
    response = client.get("/?letter=Q")
    assert response.status_code == 200
    assert board_names(response.get_data(as_text=True)) == []
    assert "No board starts with Q" in response.get_data(as_text=True)


def test_a_letter_that_is_not_a_to_z_is_refused_with_a_message(client):
    response = client.get("/?letter=ab")
    assert response.status_code == 400
    assert "Pick one letter from A to Z" in response.get_data(as_text=True)


def test_home_page_links_each_board(client):
    assert "/boards/astronomy" in page(client.get("/")).hrefs()


def test_board_page_shows_name_and_description(client):
    response = client.get("/boards/astronomy")
    assert response.status_code == 200
    board = page(response)
    assert [heading.text() for heading in board.find_all("h1")] == ["Astronomy"]
    assert "Stars, planets and the night sky." in board.text()


def test_unknown_board_is_404_while_known_boards_work(client):
    assert client.get("/boards/chess").status_code == 200
    assert client.get("/boards/no-such-board").status_code == 404
