"""The staged suite: each test runs against its step, every later step and final/.

A test says which step introduces its behaviour with ``@pytest.mark.since("03")``.
It then runs once per target, and the target shows in the test id, e.g.
``test_reply_bumps_thread[04_replies]``.

It also runs once against the step *before* (id ``[03_threads-before]``) and must
fail there: that proves the test checks the new idea and not something older.
These runs are strict xfails, so a test that passes on the previous step turns
the suite red.

A behaviour that a later step deliberately replaces ends with
``@pytest.mark.until("15")``: the test runs on steps up to 15 only (final/
counts as step 99, so it never runs there), and a test marked
``since("16")`` checks what replaced it. Step 06 stored an upload's bytes
as they came; step 16 stores what Pillow re-encodes, for instance.

Instructor mode grades one app:
``CHATSITE_APP=path/to/app.py CHATSITE_STEP=04 pytest tests`` runs every test up
to step 04 against that file, or against a package folder from step 09 on
(``CHATSITE_APP=path/to/chatsite``). ``make check`` wraps this and prints a
report; with ``CHATSITE_REPORT=report.json`` the report is also written as JSON.
"""

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from forum import serving
from targets import FINAL_DIR, FINAL_NUMBER, load_app, selected_targets, step_targets

INSTRUCTOR_MODE = bool(os.environ.get("CHATSITE_APP"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "until(step): the last step (e.g. \"12\") whose behaviour the test checks"
    )


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("since")
    if marker is None:
        raise pytest.UsageError(f"{metafunc.function.__name__} needs @pytest.mark.since(...)")
    since = int(marker.args[0])
    until = metafunc.definition.get_closest_marker("until")
    last = int(until.args[0]) if until else FINAL_NUMBER
    targets = [target for target in selected_targets() if since <= target.number <= last]
    if not INSTRUCTOR_MODE and not metafunc.config.getoption("step"):
        if is_heavy(metafunc.definition):
            targets = heavy_targets(targets)
        else:
            targets = bridge_targets(targets)
    params = [pytest.param(target, id=target.name) for target in targets]
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


# Tests that start real servers or a browser take seconds each, not a tenth of
# a second: see is_heavy() and heavy_targets().
HEAVY_MARKERS = ("live", "browser")


def is_heavy(definition):
    """A test that serves the app on a real port (``live``) or drives Chromium (``browser``)."""
    return any(definition.get_closest_marker(name) for name in HEAVY_MARKERS)


def heavy_targets(targets):
    """Where a heavy test runs in a whole-suite run: the step that introduces it,
    the last step of the hand-made line (18, the last step without migrations)
    and final/ (plus, as every test, its "before" run).

    In-process tests (Flask's test client) cost about a tenth of a second and run
    on every step. A heavy test costs seconds, and what it checks (sockets,
    threads, a browser's view) lives in code that the steps in between carry
    unchanged, so running it on each of them would cost minutes and find nothing
    new. Steps 19-22 are final/chatsite minus an idea each, and the last step's
    package is final/chatsite itself: final/ stands for them. ``--step NN``
    (make test STEP=NN) and instructor mode still run every heavy test on the
    step they check.
    """
    if not targets:
        return targets
    hand_made = [target for target in targets if not target.is_final and not target.is_migrated]
    keep = {targets[0], *hand_made[-1:], *(target for target in targets if target.is_final)}
    return [target for target in targets if target in keep]


def bridge_targets(targets):
    """Where an in-process test of steps 01-18 runs in a whole-suite run: on its
    steps up to 18, on step 19 and on final/, but not on steps 20-22.

    Steps 19 to 23 lead to the final app by subtraction: each is the next one
    minus one idea, and tests/test_bridge_steps.py proves that every file outside
    that idea is the next step's, byte for byte, and so final/chatsite's. Step 19
    is the one that differs most from final/ (everything the bridge adds is taken
    out), so the older tests run there and on final/; on 20-22 they would run the
    same files once more, four minutes of make test. ``--step NN`` runs every test
    on step NN, and `make test-bridge` (CI runs it after make test) does that for
    each of 20-22. The tests the bridge introduces (19 on) run on every step.
    """
    migrated = [target for target in targets if target.is_migrated]
    if not migrated or targets[0].is_migrated:
        return targets  # a test of step 19 or later: every step of the bridge
    skipped = set(migrated[1:])
    return [target for target in targets if target not in skipped]


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


# One entry per test run (node id), filled in as the runs finish.
_outcomes = {}


def pytest_runtest_logreport(report):
    """Note each run's outcome: failed if its set-up, call or tear-down failed."""
    if not INSTRUCTOR_MODE:
        return
    properties = dict(report.user_properties)
    entry = _outcomes.setdefault(
        report.nodeid,
        {
            "step": properties.get("chatsite_since", "??"),
            "test": properties.get("chatsite_test", report.nodeid),
            "purpose": properties.get("chatsite_purpose", ""),
            "id": report.nodeid.split("::")[-1],
            "outcome": "passed",
        },
    )
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def grading_report():
    """The grade, by step and by test: what ``make check`` prints and REPORT=*.json holds.

    A test function counts once, however many runs it has (parametrised tests):
    it passed if every run passed (or was skipped), else it failed, and its
    failed runs are listed by id.
    """
    steps = {}
    for entry in _outcomes.values():
        tests = steps.setdefault(entry["step"], {})
        test = tests.setdefault(
            entry["test"],
            {"test": entry["test"], "purpose": entry["purpose"], "outcome": "passed", "failed": []},
        )
        if entry["outcome"] == "failed":
            test["outcome"] = "failed"
            test["failed"].append(entry["id"])
    graded = {
        step: {
            "outcome": "failed" if any(t["outcome"] == "failed" for t in tests.values()) else "passed",
            "tests": list(tests.values()),
        }
        for step, tests in sorted(steps.items())
    }
    return {
        "app": os.environ.get("CHATSITE_APP"),
        "step": os.environ.get("CHATSITE_STEP"),
        "outcome": "failed" if any(s["outcome"] == "failed" for s in graded.values()) else "passed",
        "steps": graded,
    }


def pytest_terminal_summary(terminalreporter):
    if not INSTRUCTOR_MODE:
        return
    report = grading_report()
    writer = terminalreporter
    writer.section("Chat Site report")
    writer.write_line(f"App: {report['app']}   graded up to step {report['step']}")
    for step, graded in report["steps"].items():
        counts = Counter(test["outcome"] for test in graded["tests"])
        verdict = "PASS" if graded["outcome"] == "passed" else "FAIL"
        writer.write_line(
            f"  step {step}: {verdict}  {counts['passed']} passed, {counts['failed']} failed"
        )
        for test in graded["tests"]:
            mark = "ok  " if test["outcome"] == "passed" else "FAIL"
            writer.write_line(f"    {mark} {test['purpose']}")
            for failed in test["failed"]:
                writer.write_line(f"           failed: {failed}")


def pytest_sessionfinish(session):
    """With CHATSITE_REPORT=path.json (make check REPORT=...), write the report there."""
    path = os.environ.get("CHATSITE_REPORT")
    if INSTRUCTOR_MODE and path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(grading_report(), file, indent=2, ensure_ascii=False)
            file.write("\n")


def purpose(item):
    """A test's one-line purpose: its docstring's first line, or its name made readable."""
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    if doc:
        return doc.splitlines()[0].strip()
    name = getattr(item, "originalname", item.name).removeprefix("test_").replace("_", " ")
    return name[:1].upper() + name[1:]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    keep = []
    limit = int(os.environ.get("CHATSITE_STEP", "99"))
    for item in items:
        marker = item.get_closest_marker("since")
        if marker:
            item.user_properties.append(("chatsite_since", marker.args[0]))
            item.user_properties.append(("chatsite_test", getattr(item, "originalname", item.name)))
            item.user_properties.append(("chatsite_purpose", purpose(item)))
        # Instructor mode grades the app: only the staged tests up to its step, not
        # the tests of this repository's own tools and docs, nor those of a behaviour
        # that a later step replaced before the app's step (until("15") for a step 16 app).
        until = item.get_closest_marker("until")
        if INSTRUCTOR_MODE and (not marker or int(marker.args[0]) > limit):
            continue
        if INSTRUCTOR_MODE and until and int(until.args[0]) < limit:
            continue
        keep.append(item)
    items[:] = keep
    if config.getoption("step"):
        choose_one_step(config, items)


def choose_one_step(config, items):
    """--step NN: keep the runs on step NN and the "before" runs of the tests it
    introduces (they run on the step before, e.g. [03_threads-before] for 04).

    Selecting by name with -k 04_replies would not do: it also matches the file
    tests/test_04_replies.py (every target), and [04_replies-before], which is a
    run of step 05's tests. --step final keeps the final app's own suite too.
    """
    wanted = config.getoption("step").strip().lower()
    numbers = {f"{target.number:02d}": target.number for target in step_targets()}
    numbers["final"] = FINAL_NUMBER
    # The last step is the final app (see selected_targets): its runs are final's.
    aliased = [target for target in step_targets() if target not in selected_targets()]
    numbers.update({f"{target.number:02d}": FINAL_NUMBER for target in aliased})
    number = numbers.get(wanted.zfill(2))
    if number is None:
        raise pytest.UsageError(f"--step {wanted}: no such step; choose one of {', '.join(numbers)}")
    # The tests a step introduces; the final app is the last step, so it introduces that step's.
    introducing = {number} | ({target.number for target in aliased} if number == FINAL_NUMBER else set())
    keep, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("target") if callspec else None
        if target is None:
            # Not a staged test: the final app's suite belongs to --step final;
            # the tests of the tools and the docs belong to no step.
            chosen = number == FINAL_NUMBER and FINAL_DIR in Path(item.path).parents
        elif f"{target.name}-before" in callspec.id:
            chosen = int(item.get_closest_marker("since").args[0]) in introducing
        else:
            chosen = target.number == number
        (keep if chosen else dropped).append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = keep
