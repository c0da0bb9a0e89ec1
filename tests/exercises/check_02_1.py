"""Exercise 02.1 · Count per letter: each letter of the A–Z bar says how many boards it has."""

import re
from collections import Counter

from forum import board_names, page


def test_each_letter_says_how_many_boards_start_with_it(client):
    """Each letter link of the A–Z bar has a tooltip such as title="2 boards" (or "1 board").

    Hint: in render_index, count the boards per letter (collections.Counter of
    first_letter(board)), pass the counts to the template, and give each letter's
    <a> a title="{{ counts[each] }} board{{ '' if counts[each] == 1 else 's' }}".
    """
    home = client.get("/")
    counts = Counter(name[:1].upper() for name in board_names(home.get_data(as_text=True)))
    wanted = {letter: f"{count} board{'' if count == 1 else 's'}" for letter, count in counts.items()}
    letters = [link for link in page(home).links() if re.fullmatch(r"/\?letter=[A-Z]", link.get("href", ""))]
    shown = {link.text(): link.get("title") for link in letters}
    wrong = {letter: shown.get(letter) for letter in wanted if shown.get(letter) != wanted[letter]}
    assert not wrong, "; ".join(
        f'letter {letter} has title={title!r}, not "{wanted[letter]}"'
        for letter, title in sorted(wrong.items())
    )
