"""MkDocs hook: turn ``<!-- solution: 04_1 -->`` into an exercise's collapsed solution.

Every exercise of a step page has a reference solution in the repository,
``solutions/NN_K/``: only the files it changes or adds, at the same paths as
in the step folder (``solutions/04_1/templates/board.html``). The marker, put
under the exercise, becomes a collapsed block (``??? success "Solution"``)
holding the diff of each of those files against the step's own, made at build
time from the real files with step_diff.py's helpers. The page can never show a
solution that is not the one tests/test_exercises.py checks.

A marker whose folder is missing or empty fails the build.
"""

import difflib
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from step_diff import fenced, text_files

# <!-- solution: 04_1 -->, possibly indented (inside a list item).
MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*solution:\s*(?P<id>\S+)\s*-->[ \t]*$", re.M)


def on_page_markdown(markdown, page, config, files):
    root = Path(config.config_file_path).parent

    def replace(match):
        text = solution_markdown(root, match["id"], page.file.src_uri)
        # The block starts at the marker's indentation; its content is 4 spaces further in.
        return "\n".join(match["indent"] + line if line else line for line in text.splitlines())

    return MARKER.sub(replace, markdown)


def on_serve(server, config, builder):
    """`mkdocs serve` (`make docs`): rebuild when a solution changes."""
    solutions = Path(config.config_file_path).parent / "solutions"
    if solutions.is_dir():
        server.watch(str(solutions))
    return server


def solution_markdown(root, exercise, page_name):
    """The Markdown that replaces one marker: a collapsed block with the diffs."""
    found = re.fullmatch(r"(\d\d)_(\d+)", exercise)
    steps = sorted((root / "steps").glob(f"{found[1]}_*")) if found else []
    folder = root / "solutions" / exercise
    solution = solution_files(folder) if folder.is_dir() else {}
    if not steps or not solution:
        raise PluginError(
            f"{page_name}: <!-- solution: {exercise} --> needs a step folder steps/NN_*/ and a "
            f"solution folder solutions/{exercise}/ with the files the solution changes or adds"
        )
    step = steps[0]
    original = text_files(step)
    parts = []
    for name in sorted(solution):
        status = "changed" if name in original else "new file"
        lines = difflib.unified_diff(
            original.get(name, "").splitlines(),
            solution[name].splitlines(),
            fromfile=f"steps/{step.name}/{name}" if name in original else "/dev/null",
            tofile=f"solutions/{exercise}/{name}",
            lineterm="",
        )
        parts.append(f"**`{name}`** — *{status}*\n\n{fenced(lines, 'diff')}")
    body = f"`solutions/{exercise}/`, compared with `steps/{step.name}/`:\n\n" + "\n\n".join(parts)
    indented = "\n".join("    " + line if line else line for line in body.splitlines())
    return f'??? success "Solution"\n{indented}\n'


def solution_files(folder):
    """{relative path: text} for every file of a solution folder. Unlike a step,
    a solution may hold an instance/ folder: exercise 09.1's instance/config.py."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
