"""The staged suite: each test runs against its step, every later step and final/.

A test says which step introduces its behaviour with ``@pytest.mark.since("03")``.
It then runs once per target, and the target shows in the test id, e.g.
``test_reply_bumps_thread[04_replies]``.

It also runs once against the step *before* (id ``[03_threads-before]``) and must
fail there: that proves the test checks the new idea and not something older.
These runs are strict xfails, so a test that passes on the previous step turns
the suite red.

Instructor mode grades one app:
``CHATSITE_APP=path/to/app.py CHATSITE_STEP=04 pytest tests`` runs every test up
to step 04 against that file (``make check`` wraps this and prints a report).
"""

import os
from collections import Counter

import pytest
from forum import serving
from targets import load_app, selected_targets, step_targets

INSTRUCTOR_MODE = bool(os.environ.get("CHATSITE_APP"))


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("since")
    if marker is None:
        raise pytest.UsageError(f"{metafunc.function.__name__} needs @pytest.mark.since(...)")
    since = int(marker.args[0])
    params = [
        pytest.param(target, id=target.name)
        for target in selected_targets()
        if target.number >= since
    ]
    if not INSTRUCTOR_MODE:
        previous = [t for t in step_targets() if t.number == since - 1]
        for target in previous:
            reason = f"introduced in step {since:02d}, so it must fail on {target.name}"
            params.append(
                pytest.param(
                    target,
                    id=f"{target.name}-before",
                    marks=pytest.mark.xfail(strict=True, reason=reason),
                )
            )
    metafunc.parametrize("target", params)


@pytest.fixture
def upload_folder(tmp_path):
    """Where the app under test stores uploads: a fresh, not yet created folder."""
    return tmp_path / "uploads"


@pytest.fixture
def app(target, upload_folder):
    """A brand-new app with empty data for this test's target."""
    return load_app(target, upload_folder)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served by Werkzeug's threaded development server on a free port."""
    with serving(app) as url:
        yield url


# --- instructor report ------------------------------------------------------


def pytest_terminal_summary(terminalreporter):
    if not INSTRUCTOR_MODE:
        return
    results = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if report.when != "call" and outcome != "error":
                continue
            step = dict(report.user_properties).get("chatsite_since", "??")
            results.setdefault(step, Counter())[outcome] += 1
    writer = terminalreporter
    writer.section("Chat Site report")
    app_file = os.environ["CHATSITE_APP"]
    writer.write_line(f"App: {app_file}   graded up to step {os.environ.get('CHATSITE_STEP')}")
    for step in sorted(results):
        counts = results[step]
        bad = counts["failed"] + counts["error"]
        verdict = "PASS" if not bad else "FAIL"
        writer.write_line(f"  step {step}: {verdict}  {counts['passed']} passed, {bad} failed")
    for report in terminalreporter.stats.get("failed", []) + terminalreporter.stats.get(
        "error", []
    ):
        writer.write_line(f"    failed: {report.head_line}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    keep = []
    limit = int(os.environ.get("CHATSITE_STEP", "99"))
    for item in items:
        marker = item.get_closest_marker("since")
        if marker:
            item.user_properties.append(("chatsite_since", marker.args[0]))
        if INSTRUCTOR_MODE and marker and int(marker.args[0]) > limit:
            continue
        keep.append(item)
    items[:] = keep
