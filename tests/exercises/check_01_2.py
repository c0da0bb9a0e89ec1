"""Exercise 01.2 · Count the boards: the heading says how many boards there are."""

from forum import board_names, page


def test_the_heading_counts_the_boards(client):
    """The home page's heading says "Boards (N)", N being the number of boards listed.

    Hint: in templates/index.html, put {{ boards|length }} in the <h1>.
    """
    home = client.get("/")
    [heading] = page(home).find_all("h1")
    count = len(board_names(home.get_data(as_text=True)))
    assert heading.text() == f"Boards ({count})", f'the heading says "{heading.text()}"'
