"""Step 01: the home page lists the boards, A to Z."""

import pytest
from forum import board_names, page

pytestmark = pytest.mark.since("01")


def test_home_page_lists_boards(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Astronomy" in html
    assert "Stars, planets and the night sky." in html


def test_at_least_a_dozen_boards_across_the_alphabet(client):
    names = board_names(client.get("/").get_data(as_text=True))
    assert len(names) >= 12
    assert len({name[0].upper() for name in names}) >= 10


def test_boards_are_in_alphabetical_order(client):
    names = board_names(client.get("/").get_data(as_text=True))
    assert names == sorted(names, key=str.lower)


def test_page_uses_the_stylesheet(client):
    [css_url, *_] = page(client.get("/")).stylesheets()
    css = client.get(css_url)
    assert css.status_code == 200
    assert css.mimetype == "text/css"
