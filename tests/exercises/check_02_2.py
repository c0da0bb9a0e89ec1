"""Exercise 02.2 · Next board: each board page links to the next board, A to Z, round and round."""

import re

from forum import page


def board_addresses(client):
    """The board pages the home page links to, in its order (A to Z)."""
    return [
        link.get("href")
        for link in page(client.get("/")).links()
        if link.inside("main") and re.fullmatch(r"/boards/[^/?#]+", link.get("href", ""))
    ]


def test_next_board_links_visit_every_board_a_to_z_and_back(client):
    """Following "Next board ›" from the first board visits every board A to Z, then the first again.

    Hint: in show_board, find the board's place in boards_a_to_z() and take the
    one after it; % len(boards) turns "after the last" into the first.
    """
    boards = board_addresses(client)
    visited = []
    address = boards[0]
    for _ in boards:
        link = page(client.get(address)).link(text="Next board ›")
        assert link is not None, f'{address} has no link "Next board ›"'
        address = link.get("href")
        visited.append(address)
    assert visited == boards[1:] + boards[:1], f"the links go {' → '.join(visited[:4])} …"
