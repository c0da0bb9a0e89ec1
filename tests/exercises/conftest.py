"""Fixtures of the exercise checks: the app under check, built fresh for each check.

A check file, check_NN_K.py, tests exercise K of step NN's page. It is not a
staged test: it runs against one app, the learner's copy of step NN, given as
``--exercise-app`` (or the environment variable CHATSITE_EXERCISE_APP): an
app.py (steps 01-08) or a chatsite/ package folder (09 on). tools/exercise.py
finds that path for you (``make exercise STEP=04 N=1``).

The fixtures are the staged suite's, for that app: ``app``, ``client``,
``upload_folder`` and ``live_server``; and three of the checks' own:

- ``app_folder``: the folder the app sits in (exercises/04/), where an
  exercise may ask for a file of its own (a script, a test, a .sql file);
- ``make_app(**settings)``: one more brand-new app of the same code, with
  these settings on top, or the error it raises while starting;
- ``note(text)``: something the check saw, shown to the learner with the result
  (e.g. how many post ids a race lost).
"""

import itertools
import os
import re
from pathlib import Path

import pytest
from forum import serving
from targets import load_app, reload_app, student_target


def pytest_addoption(parser):
    parser.addoption(
        "--exercise-app",
        default=os.environ.get("CHATSITE_EXERCISE_APP"),
        help="the app under check: an app.py (steps 01-08) or a chatsite/ package folder (09 on)",
    )


def step_of(check_file):
    """The step a check file belongs to: "04" for check_04_1.py."""
    found = re.fullmatch(r"check_(\d\d)_\d+", Path(check_file).stem)
    if not found:
        raise pytest.UsageError(f"{check_file}: a check file is named check_NN_K.py")
    return found[1]


@pytest.fixture
def app_target(request):
    """The app under check, as the staged suite's targets.py describes an app."""
    path = request.config.getoption("exercise_app", default=None)
    if not path:
        raise pytest.UsageError("give the app under check: --exercise-app path/to/app.py (or its chatsite/)")
    return student_target(path, step_of(request.path))


@pytest.fixture
def app_folder(app_target):
    """The folder that holds the app.py or the chatsite/ folder: exercises/04/."""
    return app_target.path.parent


@pytest.fixture
def upload_folder(tmp_path):
    """Where the app under check stores uploads: a fresh, not yet created folder."""
    return tmp_path / "uploads"


@pytest.fixture
def make_app(app_target, tmp_path):
    """make_app(**settings): a brand-new app of the code under check, on its own
    fresh data, with these settings on top (a package step gets them through
    create_app(), a single-file step in app.config)."""
    numbers = itertools.count(1)

    def make(**settings):
        made = load_app(app_target, tmp_path / f"app-{next(numbers)}" / "uploads")
        if settings and app_target.is_package:
            return reload_app(made, **settings)
        made.config.update(settings)
        return made

    return make


@pytest.fixture
def app(app_target, upload_folder):
    """A brand-new app of the code under check, with empty data."""
    return load_app(app_target, upload_folder)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served by Werkzeug's threaded development server on a free port."""
    with serving(app) as url:
        yield url


@pytest.fixture
def note(request):
    """note(text): tell the learner what the check saw (shown with the result)."""

    def add(text):
        request.node.user_properties.append(("note", text))

    return add
