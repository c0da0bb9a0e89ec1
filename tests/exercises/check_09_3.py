"""Exercise 09.3 · Fewer boards: your own test of an app made with one board.

The check runs your test_fewer_boards.py twice: on your app, where it must
pass, and on a copy of the step whose store ignores the BOARDS setting, where
it must fail. A test that fails there really checks the setting.
"""

from helpers import change_file, run_learners_test, step_copy

TEST_FILE = "test_fewer_boards.py"
# The line of store.py that makes BOARDS work, and what the broken copy has instead.
READS_THE_SETTING = 'app.extensions["store"] = Store(app.config["BOARDS"])'
IGNORES_THE_SETTING = 'from .config import BOARDS\n    app.extensions["store"] = Store(BOARDS)'


def test_your_test_passes_on_your_app(app_folder, tmp_path):
    """Your test_fewer_boards.py, next to the chatsite/ folder, passes on your app.

    Hint: build the app with create_app({"BOARDS": [{"slug": "tea", "name": "Tea",
    "description": "All about tea."}], "UPLOAD_FOLDER": str(tmp_path / "uploads")}),
    then check its home page and /boards/astronomy with app.test_client().
    """
    test = app_folder / TEST_FILE
    assert test.is_file(), f"there is no {TEST_FILE} next to the chatsite/ folder, in {app_folder}"
    code, output = run_learners_test(test, app_folder, tmp_path / "yours")
    assert code == 0, f"your test does not pass on your app:\n{output}"


def test_your_test_fails_on_an_app_that_ignores_boards(app_folder, tmp_path, note):
    """It fails on an app that shows every board whatever BOARDS says: so it really checks the setting.

    Hint: check that the home page lists Tea and no other board, and that
    /boards/astronomy answers 404.
    """
    test = app_folder / TEST_FILE
    assert test.is_file(), f"there is no {TEST_FILE} next to the chatsite/ folder, in {app_folder}"
    broken = step_copy("09", tmp_path / "broken")
    change_file(broken / "chatsite" / "store.py", READS_THE_SETTING, IGNORES_THE_SETTING)
    code, output = run_learners_test(test, broken, broken)
    assert code == 1, f"your test does not fail on an app that shows all 15 boards:\n{output}"
    note(
        f"the line of store.py that makes it work is {READS_THE_SETTING} (in init_app): "
        "without it, your test fails"
    )
