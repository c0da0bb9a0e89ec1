"""Exercise 01.3 · See why the key matters (break it on purpose).

The check passes while the code is broken the way the exercise asks: a board
whose name starts with a small letter, and a sort key without .lower().
"""

from forum import board_names

BROKEN_ON_PURPOSE = True


def test_a_small_letter_board_ends_up_last(client, note):
    """A board whose name starts with a small letter is listed last, after every capital.

    Hint: add a board named "esperanto" (small e) to BOARDS, then remove
    .lower() from the key of boards_a_to_z().
    """
    names = board_names(client.get("/").get_data(as_text=True))
    small = [name for name in names if name[:1].islower()]
    assert small, 'no board name starts with a small letter yet: add one, such as "esperanto"'
    place = names.index(small[0])
    before = names[place - 1] if place else "nothing"
    assert names[-1][:1].islower(), (
        f'"{small[0]}" is listed after "{before}", in its A–Z place: the key still ignores case'
    )
    note(
        f'"{names[-1]}" comes after "{names[-2]}": sorted() compares code points, and every '
        "capital (A-Z) comes before every small letter (a-z)"
    )
    # What tests/test_01_boards.py::test_boards_are_in_alphabetical_order checks.
    assert names != sorted(names, key=str.lower)
    note("so test_boards_are_in_alphabetical_order (tests/test_01_boards.py) fails")
