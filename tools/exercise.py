"""Check the exercises of the step pages, one at a time, Rustlings-style.

Every step page (docs/steps/NN-*.md) ends with a numbered list of exercises.
Work on them in your own copy of the step, then let this script check one:

    python tools/exercise.py start 04          # copy steps/04_replies/ to exercises/04/
    python tools/exercise.py check 04 1        # check exercise 1 of step 04 there
    python tools/exercise.py check 04 1 --app path/to/app.py   # ... or in any app
    python tools/exercise.py list [04]         # the exercises, by step

`make exercise-start STEP=04` and `make exercise STEP=04 N=1 [APP=path]` do the
same. Run them from the top folder of the repository, with the project's
virtual environment (make uses .venv/bin/python).

How a check works: exercise K of step NN has a file of checks,
tests/exercises/check_NN_K.py, written like the staged tests (a browser's view
of the pages, through Flask's test client). This script runs that one file
with pytest against your app, and prints which checks pass, what is still
missing, and a hint. It exits with 0 only when every check passes.

Each exercise also has a reference solution, solutions/NN_K/: only the files
it changes or adds, at the same paths as in the step folder. The step page
shows it as a diff, and tests/test_exercises.py proves, for every exercise,
that its checks pass on the step with the solution on top and fail on the
unchanged step.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ROOT / "steps"
STEP_PAGES = ROOT / "docs" / "steps"
CHECKS = ROOT / "tests" / "exercises"
SOLUTIONS = ROOT / "solutions"
# The learner's copies of the steps: exercises/04/ and so on (not in git).
COPIES = ROOT / "exercises"

# What a running app leaves in its folder: never part of a step, never copied.
LEFT_BY_RUNNING = ("__pycache__", "instance", "uploads", ".pytest_cache", "*.pyc")

# The numbered list under "## Exercises": 1. **Title.** text...
EXERCISE_ITEM = re.compile(r"^(?P<number>\d+)\.\s+\*\*(?P<title>.+?)\*\*", re.M)


@dataclass(frozen=True)
class Exercise:
    step: str  # "04"
    number: int  # 1
    title: str  # "Reply count on the board"
    page: Path  # docs/steps/04-replies.md

    @property
    def id(self):
        """04_1: the name of its check file and of its solution folder."""
        return f"{self.step}_{self.number}"

    @property
    def name(self):
        """04.1, as the pages and the results say it."""
        return f"{self.step}.{self.number}"

    @property
    def checks(self):
        return CHECKS / f"check_{self.id}.py"

    @property
    def solution(self):
        return SOLUTIONS / self.id


def exercises(step=None):
    """Every exercise of every step page (or of one step), in page order.

    They are read from the pages themselves, so a new exercise on a page is
    found here at once, and tests/test_exercises.py asks for its checks and
    solution.
    """
    found = []
    for page in sorted(STEP_PAGES.glob("[0-9][0-9]-*.md")):
        if step is not None and page.name[:2] != step:
            continue
        text = page.read_text(encoding="utf-8")
        section = re.search(r"^## Exercises\s*$(?P<body>.*?)(?=^## |\Z)", text, re.M | re.S)
        if not section:
            continue
        for item in EXERCISE_ITEM.finditer(section["body"]):
            title = item["title"].strip().rstrip(".").strip()
            found.append(Exercise(page.name[:2], int(item["number"]), title, page))
    return found


def find_exercise(step, number):
    for exercise in exercises(step):
        if exercise.number == number:
            return exercise
    return None


def step_folder(step):
    """steps/04_replies for "04", or None."""
    matches = sorted(STEPS.glob(f"{step}_*"))
    return matches[0] if matches else None


def app_in(path):
    """The app a path means, as the checks take it: an app.py (steps 01-08) or a
    chatsite/ package folder (09 on); None if there is none there.

    ``path`` may be the app.py itself, a package folder (or its __init__.py), or
    a step-like folder that holds either: exercises/04/, steps/09_package/.
    """
    path = Path(path)
    if path.is_file():
        if path.name == "__init__.py":
            return path.parent
        return path if path.suffix == ".py" else None
    if (path / "app.py").is_file():
        return path / "app.py"
    if (path / "chatsite" / "__init__.py").is_file():
        return path / "chatsite"
    if (path / "__init__.py").is_file():
        return path
    return None


def copy_step(step, destination):
    """Copy a step folder to ``destination`` (which must not exist), without what a
    running app leaves behind (uploads, the instance folder, caches)."""
    shutil.copytree(step_folder(step), destination, ignore=shutil.ignore_patterns(*LEFT_BY_RUNNING))
    return Path(destination)


def solution_files(exercise):
    """The files of an exercise's solution, relative to its folder (and so to the step)."""
    folder = exercise.solution
    return sorted(
        path.relative_to(folder)
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def copy_solution(exercise, destination):
    """The step with the exercise's solution on top, in ``destination``: a solved copy."""
    copy_step(exercise.step, destination)
    for relative in solution_files(exercise):
        target = Path(destination) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exercise.solution / relative, target)
    return Path(destination)


# --- running the checks -------------------------------------------------------


@dataclass
class Check:
    """One check of an exercise and how it went."""

    name: str
    purpose: str  # the first line of its docstring: what it looks for
    hint: str = ""  # its docstring's "Hint:" paragraph
    outcome: str = "passed"  # passed, failed, or error (the app or the check could not run)
    message: str = ""  # why it failed, in short
    notes: list = field(default_factory=list)  # what the check saw (note fixture)


@dataclass
class Result:
    exercise: Exercise
    app: Path
    checks: list
    broken_on_purpose: bool = False
    problem: str = ""  # the check file could not run at all

    @property
    def passed(self):
        return not self.problem and bool(self.checks) and all(c.outcome == "passed" for c in self.checks)


class _Collector:
    """A pytest plugin that keeps each check's outcome, instead of printing it."""

    def __init__(self):
        self.checks = {}
        self.broken_on_purpose = False
        self.problem = ""

    def pytest_collection_modifyitems(self, items):
        for item in items:
            purpose, hint = _docstring(item.function)
            self.checks[item.nodeid] = Check(item.name, purpose or item.name, hint)
            self.broken_on_purpose |= bool(getattr(item.module, "BROKEN_ON_PURPOSE", False))

    def pytest_collectreport(self, report):
        if report.failed:
            self.problem = _short(report.longrepr)

    def pytest_runtest_logreport(self, report):
        check = self.checks.get(report.nodeid)
        if check is None:
            return
        if report.when == "call":
            check.notes += [text for name, text in report.user_properties if name == "note"]
        if report.failed and check.outcome == "passed":
            check.outcome = "failed" if report.when == "call" else "error"
            check.message = _failure_message(report)


def _docstring(function):
    """(purpose, hint) from a check's docstring: its first line, and the text after "Hint:"."""
    doc = textwrap.dedent(function.__doc__ or "").strip()
    if not doc:
        return "", ""
    first, _, rest = doc.partition("\n")
    hint = rest.split("Hint:", 1)[1] if "Hint:" in rest else ""
    return first.strip(), " ".join(hint.split())


def _short(longrepr):
    text = str(longrepr).strip()
    return text.splitlines()[-1] if text else ""


def _failure_message(report):
    """What went wrong, in a line or two: the assertion's own message, or the error."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash else _short(report.longrepr)
    if text.startswith("AssertionError: "):
        text = text.removeprefix("AssertionError: ")
        # pytest adds its own explanation after the message ("assert 3 == 2 ..."): leave it out.
        text = text.split("\nassert ", 1)[0].strip()
    elif text.startswith("AssertionError"):
        text = "a check failed without saying why"
    elif report.when == "setup":
        # Where the app failed, unless that is inside Python's own import machinery.
        inside_python = not crash or not crash.lineno or str(crash.path).startswith("<")
        where = "" if inside_python else f"{crash.path}:{crash.lineno}: "
        text = f"the app did not start: {where}{text.strip()}"
    else:
        text = f"error: {text}"
    if text.lstrip().lower().startswith(("<!doctype", "<html")):
        text = "the app answered with an unexpected page"
    lines = text.splitlines()
    if len(lines) > 12:  # e.g. a long output: its first and last lines say enough
        text = "\n".join([*lines[:2], "…", *lines[-8:]])
    # A traceback the app logged (a 500) says more than "the answer was 500".
    traceback = _logged_traceback(report)
    if traceback:
        text += f"\n(the app logged: {traceback})"
    return text


def _logged_traceback(report):
    """The last line of a traceback that the app printed or logged, if any."""
    for _, content in report.sections:
        if "Traceback (most recent call last)" in content:
            lines = [line.strip() for line in content.split("Traceback")[-1].splitlines() if line.strip()]
            return lines[-1] if lines else ""
    return ""


@contextmanager
def _environment(**settings):
    """Set (or, with None, unset) environment variables for a while."""
    before = {name: os.environ.get(name) for name in settings}
    for name, value in settings.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_checks(exercise, app):
    """Run an exercise's checks against ``app`` (an app.py or a package folder)
    with pytest, in this process; return a Result."""
    import pytest

    collector = _Collector()
    arguments = [
        str(exercise.checks),
        "-c",
        str(CHECKS / "pytest.ini"),
        "--rootdir",
        str(CHECKS),
        "--exercise-app",
        str(app),
        # Nothing printed: the Result says it all.
        "-p",
        "no:terminal",
        # At its end, this plugin runs Python's garbage collector over the whole
        # process, to find objects that failed to clean up: a third of a second in
        # the test suite's big processes, for every check run.
        "-p",
        "no:unraisableexception",
    ]
    # Only pytest's own plugins: faster to start, and nothing else changes how checks run.
    path, modules = list(sys.path), set(sys.modules)
    try:
        # A temporary folder of its own for the checks' tmp_path: under pytest's
        # shared one (/tmp/pytest-of-<user>), each run would first delete the
        # oldest runs' folders there, seconds of work that is not ours to do.
        with (
            tempfile.TemporaryDirectory(prefix="exercise-checks-") as basetemp,
            _environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTEST_ADDOPTS=None),
        ):
            code = pytest.main([*arguments, "--basetemp", basetemp], plugins=[collector])
    finally:
        # Leave this process as it was (tests/test_exercises.py runs here many times):
        # pytest put tests/exercises/ on sys.path to import the check files.
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(CHECKS)):
                del sys.modules[name]
    problem = collector.problem
    if not collector.checks and not problem:
        problem = f"pytest found no checks in {exercise.checks.name} (exit code {int(code)})"
    return Result(exercise, Path(app), list(collector.checks.values()), collector.broken_on_purpose, problem)


# --- what the learner reads ---------------------------------------------------


def shown(path):
    """A path as short as it can be: relative to the repository if inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def report(result):
    """The text printed for a Result: each check, then a verdict and a hint."""
    exercise = result.exercise
    lines = [f"Exercise {exercise.name} — {exercise.title}", f"Checking {shown(result.app)}", ""]
    if result.problem:
        lines += [
            "The checks could not run:",
            f"    {result.problem}",
            "",
        ]
        return "\n".join(lines)
    did_not_start = all(check.outcome == "error" for check in result.checks)
    for check in result.checks:
        mark = "✓" if check.outcome == "passed" else "✗"
        lines.append(f"  {mark} {check.purpose}")
        if check.outcome != "passed" and not did_not_start:
            lines += [f"      {line}" for line in check.message.splitlines()]
        for note in check.notes:
            lines.append(f"      saw: {note}")
    lines.append("")
    passing = [check for check in result.checks if check.outcome == "passed"]
    missing = [check for check in result.checks if check.outcome != "passed"]
    total = len(result.checks)
    if did_not_start:
        # The same error for every check: say it once.
        first, *rest = result.checks[0].message.splitlines()
        lines += [first[:1].upper() + first[1:], *[f"    {line}" for line in rest], ""]
    if not missing:
        verdict = "the check passes" if total == 1 else f"all {total} checks pass"
        if result.broken_on_purpose:
            lines.append(
                f"Done: {verdict}, so the breakage shows, as the page says it should. "
                "Now put everything back, as the exercise says."
            )
        else:
            lines.append(f"Well done: {verdict}.")
        return "\n".join(lines)
    if did_not_start:
        lines.append("So the checks could not run: make the app start first.")
    elif total == 1:
        lines.append("The check does not pass yet.")
    else:
        lines.append(f"{len(passing)} of {total} checks pass.")
    more = f" (and {len(missing) - 1} more, marked ✗ above)" if len(missing) > 1 else ""
    lines.append(f"Still missing: {_lower_first(missing[0].purpose).rstrip('.')}{more}.")
    hint = next((check.hint for check in missing if check.hint), "")
    if hint:
        lines += textwrap.wrap(f"Hint: {hint}", width=88, subsequent_indent="      ")
    lines.append(f"The exercise: {shown(exercise.page)}, under \"Exercises\".")
    return "\n".join(lines)


def _lower_first(text):
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


# --- the commands -------------------------------------------------------------


def start(step, destination=None, force=False):
    folder = step_folder(step)
    if folder is None:
        print(f"There is no step {step} in steps/.")
        return 2
    destination = Path(destination) if destination else COPIES / step
    if destination.exists() and not force:
        print(
            f"{shown(destination)}/ is already there, maybe with your work in it, so I left it alone.\n"
            f"To start again from a fresh copy of {shown(folder)}/ (and lose what is in it), run:\n"
            f"    python tools/exercise.py start {step} --force"
            + (f" --to {shown(destination)}" if destination != COPIES / step else "")
        )
        return 1
    if destination.exists():
        shutil.rmtree(destination)
    copy_step(step, destination)
    app = app_in(destination)
    print(
        f"Copied {shown(folder)}/ to {shown(destination)}/. Do the exercises of "
        f"{shown(next(STEP_PAGES.glob(f'{step}-*.md')))} in there.\n"
        f"Run it:       flask --app {shown(app)} run --debug\n"
        f"Check one:    python tools/exercise.py check {step} 1    (or: make exercise STEP={step} N=1)"
    )
    return 0


def check(step, number, app=None):
    exercise = find_exercise(step, number)
    if exercise is None:
        known = ", ".join(e.name for e in exercises(step)) or "none"
        print(f"There is no exercise {step}.{number}. The exercises of step {step}: {known}.")
        return 2
    if not exercise.checks.is_file():
        print(f"Exercise {exercise.name} has no checks yet ({shown(exercise.checks)}).")
        return 2
    where = Path(app) if app else COPIES / step
    if not where.exists():
        if app:
            print(f"There is nothing at {app}: give an app.py, a package folder or a step-like folder.")
        else:
            print(
                f"There is no {shown(where)}/ yet: make your copy of the step first, with\n"
                f"    python tools/exercise.py start {step}    (or: make exercise-start STEP={step})"
            )
        return 2
    found = app_in(where)
    if found is None:
        print(f"No app in {shown(where)}: it holds neither an app.py nor a chatsite/ package folder.")
        return 2
    result = run_checks(exercise, found)
    print(report(result))
    return 0 if result.passed else 1


def list_exercises(step=None):
    for exercise in exercises(step):
        print(f"{exercise.name}  {exercise.title}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python tools/exercise.py", description="Check the exercises of the step pages."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    starting = commands.add_parser("start", help="copy a step to exercises/NN/ to work on its exercises")
    starting.add_argument("step", help="the step's number, e.g. 04")
    starting.add_argument("--force", action="store_true", help="replace a copy that is already there")
    starting.add_argument("--to", help="copy it there instead of exercises/NN/")
    checking = commands.add_parser("check", help="check one exercise of a step")
    checking.add_argument("step", help="the step's number, e.g. 04")
    checking.add_argument("number", type=int, help="the exercise's number on the step page, e.g. 1")
    checking.add_argument("--app", help="check this app instead of exercises/NN/")
    listing = commands.add_parser("list", help="list the exercises")
    listing.add_argument("step", nargs="?", help="only this step's")
    arguments = parser.parse_args(argv)
    step = f"{int(arguments.step):02d}" if arguments.step else None
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # ✓ and ✗ on a console that cannot show them
    if arguments.command == "start":
        return start(step, arguments.to, arguments.force)
    if arguments.command == "check":
        return check(step, arguments.number, arguments.app)
    return list_exercises(step)


if __name__ == "__main__":
    sys.exit(main())
