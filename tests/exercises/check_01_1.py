"""Exercise 01.1 · Add a board: a board of your own, listed in its A–Z place."""

from forum import board_names

# The boards of step 01, as it comes.
STEP_BOARDS = {
    "Astronomy", "Baking", "Chess", "Cycling", "Film", "Gardening", "History", "Knitting",
    "Languages", "Music", "Photography", "Python", "Running", "Travel", "Woodworking",
}  # fmt: skip


def test_a_board_of_your_own_is_listed(client):
    """The home page lists a board of your own, besides the 15 of the step.

    Hint: add a dictionary with a "slug", a "name" and a "description" to the
    BOARDS list in app.py, e.g. {"slug": "zoology", "name": "Zoology", ...}.
    """
    names = board_names(client.get("/").get_data(as_text=True))
    new = [name for name in names if name not in STEP_BOARDS]
    assert new, f"the home page lists only the {len(names)} boards of the step"


def test_still_every_board_in_a_to_z_order(client):
    """Every board, yours too, is still listed from A to Z.

    Hint: boards_a_to_z() sorts the list: keep using it in the view.
    """
    names = board_names(client.get("/").get_data(as_text=True))
    pairs = zip(names, names[1:], strict=False)
    wrong = next(((one, two) for one, two in pairs if one.lower() > two.lower()), None)
    assert wrong is None, f'"{wrong[0]}" is listed before "{wrong[1]}"'
