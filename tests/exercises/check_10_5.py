"""Exercise 10.5 · Make it busy: what you saw, written down as a test.

The check runs your test_busy.py twice: on your app, where it must pass, and on
a copy of the step that answers a busy database with a 500 instead of a 503,
where it must fail.
"""

from helpers import change_file, run_learners_test, step_copy

TEST_FILE = "test_busy.py"
# In a copy of the step, the handler that turns "database is locked" into a 503 is taken off.
BUSY_HANDLER = "@bp.app_errorhandler(sqlite3.OperationalError)\n"


def test_your_busy_test_passes_on_your_app(app_folder, tmp_path):
    """Your test_busy.py, next to the chatsite/ folder, passes on your app.

    Hint: create_app({"DATABASE": ..., "DATABASE_TIMEOUT": 0.2, "UPLOAD_FOLDER": ...});
    a second connection, sqlite3.connect(same file, isolation_level=None), runs
    BEGIN IMMEDIATE; then a reply gets 503, a thread page still 200; after its
    ROLLBACK, the reply gets 303.
    """
    test = app_folder / TEST_FILE
    assert test.is_file(), f"there is no {TEST_FILE} next to the chatsite/ folder, in {app_folder}"
    code, output = run_learners_test(test, app_folder, tmp_path / "yours")
    assert code == 0, f"your test does not pass on your app:\n{output}"


def test_your_busy_test_fails_when_busy_is_a_500(app_folder, tmp_path):
    """It fails on an app that answers a busy database with 500: so it really checks the 503.

    Hint: assert the status code of the reply sent while the database is busy: == 503.
    """
    test = app_folder / TEST_FILE
    assert test.is_file(), f"there is no {TEST_FILE} next to the chatsite/ folder, in {app_folder}"
    broken = step_copy("10", tmp_path / "broken")
    change_file(broken / "chatsite" / "errors.py", BUSY_HANDLER, "")
    code, output = run_learners_test(test, broken, broken)
    assert code == 1, f"your test does not fail on an app that answers a busy database with 500:\n{output}"
