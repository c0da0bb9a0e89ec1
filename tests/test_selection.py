"""One step's tests, with one command: `make test STEP=04` (pytest --step=04).

Selecting by name (-k 04_replies) is a trap: it matches the file name
tests/test_04_replies.py, so every target runs, and [04_replies-before], which
is a run of step 05's tests on step 04. --step chooses by the run's target.
"""

import re
import subprocess
import sys

from targets import ROOT, selected_targets, step_targets


def collected(*args):
    """The ids pytest would run with these arguments (nothing is run)."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", *args]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in output.splitlines() if "::" in line]


def targets_of(ids):
    """The target part of each id: "04_replies", "03_threads-before", "final"."""
    return {re.search(r"\[([0-9]{2}_[a-z_]+(?:-before)?|final)", test_id).group(1) for test_id in ids}


def test_one_step_runs_on_that_step_and_proves_its_new_tests_on_the_step_before():
    ids = collected("--step=04", "tests/test_04_replies.py", "tests/test_05_search.py")
    assert targets_of(ids) == {"04_replies", "03_threads-before"}
    # Step 04's own tests, on step 04 and once more on step 03 (where they must fail)...
    own = [test_id for test_id in ids if test_id.startswith("tests/test_04_replies.py")]
    on_step = [test_id for test_id in own if "[04_replies" in test_id]
    assert own and len(own) == 2 * len(on_step)
    # ...but not step 05's tests, though they run on step 04 too: as [04_replies-before],
    # the runs that prove step 05's tests.
    assert not any(test_id.startswith("tests/test_05_search.py") for test_id in ids)


def test_final_means_the_final_app_and_its_own_suite():
    ids = collected("--step", "final", "tests/test_04_replies.py", "final/tests/test_search.py")
    staged = [test_id for test_id in ids if test_id.startswith("tests/")]
    assert targets_of(staged) == {"final"}
    assert any(test_id.startswith("final/tests/test_search.py") for test_id in ids)


def test_a_step_that_does_not_exist_is_refused_with_the_ones_that_do():
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "--step=42"]
    command.append("tests/test_01_boards.py")  # one small file: the whole suite would only take longer
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode != 0
    assert "--step 42: no such step; choose one of 01, 02" in finished.stderr


def test_a_whole_run_runs_browser_tests_on_their_step_the_last_hand_made_step_and_final():
    """Heavy tests (live, browser) skip the steps in between; --step keeps them."""
    steps = [target for target in selected_targets() if not target.is_final]
    introducing = next(target for target in steps if target.number >= 15)
    last_hand_made = [target for target in steps if not target.is_migrated][-1]
    before = [f"{target.name}-before" for target in step_targets() if target.number == 14]
    whole_run = targets_of(collected("tests/test_15_live_browser.py"))
    assert whole_run == {introducing.name, last_hand_made.name, "final", *before}
    assert last_hand_made.name == "18_formatting"
    in_between = [t for t in steps if introducing.number < t.number and t != last_hand_made]
    # The first and the last of them (each a whole collection, seconds each).
    for target in in_between[:1] + in_between[-1:]:
        one_step = targets_of(collected(f"--step={target.number:02d}", "tests/test_15_live_browser.py"))
        assert one_step == {target.name}


def test_a_whole_run_leaves_the_older_tests_of_steps_20_to_22_to_make_test_bridge():
    """In make test, step 04's tests run on every step up to 19 and on final, not on
    20-22 (their files are step 19's and final's: test_bridge_steps.py); the bridge's
    own tests run on every step after theirs; `make test-bridge` lists exactly 20-22."""
    older = targets_of(collected("tests/test_04_replies.py"))
    bridge = targets_of(collected("tests/test_19_sqlalchemy.py"))
    numbers = sorted(target.number for target in selected_targets() if target.is_migrated)
    left_to_ci = [f"{number:02d}" for number in numbers[1:]]
    assert left_to_ci == ["20", "21", "22"]
    assert not any(name[:2] in left_to_ci for name in older)
    assert {"19_sqlalchemy", "18_formatting", "final"} <= older
    assert bridge == {"19_sqlalchemy", "20_extensions", "21_serving", "22_fourchan_api", "final",
                      "18_formatting-before"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^BRIDGE_STEPS := (.*)$", makefile, re.M).group(1).split() == left_to_ci
    one_step = targets_of(collected("--step=21", "tests/test_04_replies.py"))
    assert one_step == {"21_serving"}
