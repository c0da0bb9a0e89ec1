"""Every exercise on the step pages can be checked, and its checks are proven both ways.

The exercises are read from the pages themselves (the numbered list under
"## Exercises" of each docs/steps/NN-*.md, by tools/exercise.py), so a new
exercise fails here until it has all of this:

- its checks, tests/exercises/check_NN_K.py, and its solution, solutions/NN_K/
  (only the files it changes or adds, at their paths inside the step folder);
- on its page, the line "Check it: `make exercise STEP=NN N=K`" and the marker
  ``<!-- solution: NN_K -->`` that docs/hooks/solution_diff.py turns into the
  collapsed solution;
- checks that all pass on the step with the solution on top;
- checks that fail on the unchanged step: every check fails there, with an
  assertion that says what is missing, except those named ``test_still_*``,
  which guard what must keep working while you change the code.

For a "Break it on purpose" exercise the solution is the broken code, and its
checks prove that the breakage shows (the lost ids, the double post, ...).

The checks run in this process, through the same run_checks() that
``make exercise`` uses, against throw-away copies in tmp_path. Last, the runner
itself: what it prints, its exit codes, and ``start`` never overwriting a copy.
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_tool():
    spec = importlib.util.spec_from_file_location("exercise_tool", ROOT / "tools" / "exercise.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()
EXERCISES = tool.exercises()


def by_id(exercises):
    return pytest.mark.parametrize("exercise", exercises, ids=[exercise.id for exercise in exercises])


def test_every_step_page_has_numbered_exercises():
    pages = sorted(tool.STEP_PAGES.glob("[0-9][0-9]-*.md"))
    for page in pages:
        numbers = [exercise.number for exercise in EXERCISES if exercise.page == page]
        assert numbers == list(range(1, len(numbers) + 1)) and numbers, page.name


@by_id(EXERCISES)
def test_exercise_has_checks_a_solution_and_its_lines_on_the_page(exercise):
    assert exercise.checks.is_file(), f"no checks: {exercise.checks.relative_to(ROOT)}"
    files = tool.solution_files(exercise)
    assert files, f"no solution: {exercise.solution.relative_to(ROOT)}/ holds no file"
    step = tool.step_folder(exercise.step)
    for relative in files:
        if (step / relative).is_file():
            same = (step / relative).read_bytes() == (exercise.solution / relative).read_bytes()
            assert not same, f"solutions/{exercise.id}/{relative} is the step's file, unchanged"
    # The exercise's own item in the page's "## Exercises", up to the next one.
    text = exercise.page.read_text(encoding="utf-8").split("\n## Exercises\n", 1)[1]
    item = re.search(rf"^{exercise.number}\. \*\*.*?(?=^\d+\. \*\*|^## |\Z)", text, re.M | re.S)
    assert f"`make exercise STEP={exercise.step} N={exercise.number}`" in item[0]
    assert f"<!-- solution: {exercise.id} -->" in item[0]


@by_id(EXERCISES)
def test_the_solution_passes_its_checks(exercise, tmp_path):
    solved = tool.copy_solution(exercise, tmp_path / exercise.id)
    result = tool.run_checks(exercise, tool.app_in(solved))
    assert result.passed, tool.report(result)


@by_id(EXERCISES)
def test_the_unchanged_step_fails_its_checks(exercise, tmp_path):
    unchanged = tool.copy_step(exercise.step, tmp_path / exercise.step)
    result = tool.run_checks(exercise, tool.app_in(unchanged))
    assert not result.problem, result.problem
    assert not result.passed
    for check in result.checks:
        if check.name.startswith("test_still_"):
            assert check.outcome == "passed", tool.report(result)
        else:
            # A failed assertion, not a crash: its message tells the learner what is missing.
            assert check.outcome == "failed", tool.report(result)
            assert not check.message.startswith("error:"), tool.report(result)


def run_tool(*arguments):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "exercise.py"), *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_the_runner_says_what_is_missing_then_that_it_is_done(tmp_path):
    exercise = tool.find_exercise("04", 1)
    unchanged = tool.copy_step("04", tmp_path / "unchanged")
    answer = run_tool("check", "04", "1", "--app", str(unchanged))
    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert answer.stdout.startswith(f"Exercise 04.1 — {exercise.title}\n")
    assert re.search(r"^0 of \d checks pass\.$", answer.stdout, re.M)
    assert "Still missing: " in answer.stdout
    assert "Hint: " in answer.stdout
    solved = tool.copy_solution(exercise, tmp_path / "solved")
    answer = run_tool("check", "04", "1", "--app", str(solved / "app.py"))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert re.search(r"^Well done: all \d checks pass\.$", answer.stdout, re.M)


def test_the_runner_explains_a_wrong_command(tmp_path):
    answer = run_tool("check", "04", "99", "--app", str(tmp_path))
    assert answer.returncode == 2
    assert "There is no exercise 04.99. The exercises of step 04: 04.1, 04.2" in answer.stdout


def test_start_copies_the_step_and_never_overwrites_a_copy(tmp_path):
    copy = tmp_path / "mine"
    assert run_tool("start", "04", "--to", str(copy)).returncode == 0
    assert sorted(p.name for p in copy.iterdir()) == sorted(
        p.name for p in tool.step_folder("04").iterdir() if p.name not in tool.LEFT_BY_RUNNING
    )
    (copy / "app.py").write_text("# my work\n", encoding="utf-8")
    refused = run_tool("start", "04", "--to", str(copy))
    assert refused.returncode == 1
    assert "already there" in refused.stdout and "--force" in refused.stdout
    assert (copy / "app.py").read_text(encoding="utf-8") == "# my work\n"
    assert run_tool("start", "04", "--to", str(copy), "--force").returncode == 0
    assert (copy / "app.py").read_bytes() == (tool.step_folder("04") / "app.py").read_bytes()
