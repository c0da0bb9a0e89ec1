"""Steps 19-23 lead to the final app by subtraction: each step differs from the
next only in the files of the next step's idea.

Every other file is the next step's byte for byte, and so, step after step,
final/chatsite's. A fix made in final/chatsite/posting.py must be made in the
copies of steps 19-22 too, or this test names the file. It is also what lets a
whole-suite run try the older tests on step 19 and final/ only
(tests/conftest.py, bridge_targets).
"""

import pytest
from targets import STEPS_DIR, package_files

# What each step adds to the one before it: the only files in which they differ.
IDEA_FILES = {
    "20_extensions": [
        "__init__.py", "accounts.py", "boards.py", "config.py", "csrf.py", "db.py",
        "error_answers.py", "flood.py", "flood_store.py", "forms.py", "logins.py", "mod.py",
        "models.py", "staff.py", "templates/base.html", "templates/login.html",
        "templates/mod/dashboard.html", "templates/mod/users.html", "templates/report.html",
        "templates/thread.html",
    ],
    "21_serving": [
        "__init__.py", "bodies.py", "config.py", "csrf.py", "error_answers.py", "flood.py",
        "hosts.py", "live.py", "live_listener.py", "live_notifier.py", "thread_events.py",
        "upload_checks.py",
    ],
    "22_fourchan_api": [
        "__init__.py", "api.py", "error_answers.py", "errors.py", "fourchan.py",
        "fourchan_data.py", "fourchan_json.py", "images.py", "openapi.json",
        "upload_storage.py", "uploads.py",
    ],
    "23_dashboard": [
        "__init__.py", "activity.py", "charts.py", "mod.py", "static/charts.css",
        "templates/mod/_charts.html", "templates/mod/_log_table.html",
        "templates/mod/dashboard.html",
    ],
}  # fmt: skip


def step_folder(name):
    return STEPS_DIR / name / "chatsite"


@pytest.mark.parametrize("step", list(IDEA_FILES))
def test_a_bridge_step_differs_from_the_one_before_only_in_its_idea(step):
    steps = sorted(folder.name for folder in STEPS_DIR.iterdir() if folder.is_dir())
    before = steps[steps.index(step) - 1]
    old, new = package_files(step_folder(before)), package_files(step_folder(step))
    differing = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
    assert differing == sorted(IDEA_FILES[step]), (
        f"{before} and {step} should differ only in {step}'s idea; "
        f"also differing: {sorted(set(differing) - set(IDEA_FILES[step]))}, "
        f"no longer differing: {sorted(set(IDEA_FILES[step]) - set(differing))}"
    )


def test_every_step_after_19_is_listed():
    migrated = sorted(folder.parents[1].name for folder in STEPS_DIR.glob("*/chatsite/migrations"))
    assert migrated[1:] == list(IDEA_FILES)
