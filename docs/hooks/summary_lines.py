"""MkDocs hook: the last line of a test run, counted from the project at build time.

``<!-- pytest-summary: tests/test_04_replies.py -->`` (the arguments of the run
the page shows) becomes the line pytest ends that run with, for instance
``=========== 126 passed, 14 xfailed in …s ===========``. The tests are
collected, not run, with the same arguments: a run of a test on the step before
its own (``[03_threads-before]``) is expected to fail and counts as "xfailed",
every other run as "passed". The time differs on every machine and every run, so
it stays "…". A page can no longer show the counts of an older suite.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*pytest-summary:\s*(?P<args>[^>]*?)\s*-->[ \t]*$", re.M)
BEFORE_RUN = re.compile(r"\[\d{2}_[a-z_]+-before")
DESELECTED = re.compile(r"\((\d+) deselected\)")
VALUE_OPTIONS = ("-k", "-m")  # the options whose value is the next argument
WIDTH = 80  # pytest's line, in a terminal 80 characters wide

# Each distinct run is collected once per build: {arguments: (passed, xfailed, deselected)}
_counts = {}


def on_pre_build(config):
    _counts.clear()  # `mkdocs serve` rebuilds after a test changes


def on_page_markdown(markdown, page, config, files):
    root = Path(config.config_file_path).parent

    def replace(match):
        return match["indent"] + summary_line(root, tuple(match["args"].split()))

    return MARKER.sub(replace, markdown)


def summary_line(root, arguments):
    if arguments not in _counts:
        if any(argument.startswith("-") for argument in arguments):
            _counts[arguments] = count_runs(root, arguments)
        else:  # test files only: every page's files are counted in one collection
            per_file = files_counted(root)
            passed, xfailed = (sum(per_file[path][i] for path in arguments) for i in (0, 1))
            _counts[arguments] = passed, xfailed, 0
    passed, xfailed, deselected = _counts[arguments]
    parts = [f"{passed} passed"]
    parts += [f"{deselected} deselected"] if deselected else []
    parts += [f"{xfailed} xfailed"] if xfailed else []
    return centred(f"{', '.join(parts)} in …s")


def files_counted(root):
    """{test file: (passed, xfailed)} for every file a page's marker names, from one
    collection of them all (the runs of a test do not depend on the other files)."""
    if "files" not in _counts:
        pages = (root / "docs").rglob("*.md")
        named = sorted({path for page in pages for found in MARKER.finditer(page.read_text(encoding="utf-8"))
                        for path in test_paths(found["args"].split())})
        runs = collected_runs(root, named)
        _counts["files"] = {
            path: (sum(1 for run in runs if run.startswith(path + "::") and not BEFORE_RUN.search(run)),
                   sum(1 for run in runs if run.startswith(path + "::") and BEFORE_RUN.search(run)))
            for path in named
        }  # fmt: skip
    return _counts["files"]


def test_paths(arguments):
    """The test files among a run's arguments: not its options, nor the value of
    an option that takes one (`-k test_reply_bumps_thread`)."""
    return [
        argument for index, argument in enumerate(arguments)
        if not argument.startswith("-") and (index == 0 or arguments[index - 1] not in VALUE_OPTIONS)
    ]  # fmt: skip


def collect(root, arguments):
    """`pytest --collect-only -q <arguments>`, finished: its output is the runs' ids."""
    # The run as a learner starts it: none of the settings of a run in progress.
    ours = ("PYTEST", "CHATSITE_")
    environment = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *arguments]
    # (the arguments come from our own pages)
    collected = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True)  # noqa: S603
    if collected.returncode != 0:
        shown = " ".join(arguments)
        raise PluginError(f"pytest-summary: `pytest {shown}` does not collect:\n{collected.stdout[-2000:]}")
    return collected


def count_runs(root, arguments):
    """(passed, xfailed, deselected) of `pytest <arguments>`, from a collection."""
    collected = collect(root, arguments)
    runs = [line for line in collected.stdout.splitlines() if "::" in line]
    xfailed = sum(1 for run in runs if BEFORE_RUN.search(run))
    deselected = DESELECTED.search(collected.stdout)
    return len(runs) - xfailed, xfailed, int(deselected[1]) if deselected else 0


def collected_runs(root, arguments):
    """The ids of the runs `pytest <arguments>` would make."""
    return [line for line in collect(root, arguments).stdout.splitlines() if "::" in line]


def centred(title):
    """`title` between "=" signs, as pytest writes its summary (TerminalWriter.sep)."""
    half = (WIDTH - len(title) - 2) // 2
    line = f"{'=' * half} {title} {'=' * half}"
    return line + "=" if len(line) + 1 <= WIDTH else line
