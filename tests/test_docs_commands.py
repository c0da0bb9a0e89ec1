"""The commands the docs show exist: no page tells a learner to run something gone.

Every page under docs/ and README.md is read; in its code blocks and inline
code this test finds:

- ``make <target>`` (also ``make run STEP=03``): the target is in the Makefile,
  and the step a ``STEP=`` names is in steps/;
- ``flask --app <path>``: the path is a step's app.py, a step's chatsite/
  package folder, or ``chatsite`` (the installed final app);
- ``python <path>.py`` (tools/screenshots.py, final/bench/bench.py, docs/examples/...):
  the file exists.

This is not a staged test (it takes no ``target``): it runs once, in well under a
second, and a failure names the page and line of each command that went stale.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]

# A fence opens a code block (``` or ~~~, maybe indented inside a tab or an admonition).
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# Where a command starts in a line of shell: at the start, after a prompt ("$ "),
# or after &&, ||, ; or |. A program may be named by its path (.venv/bin/flask).
COMMAND_START = r"(?:^|\$ |&& |\|\| |; |\| )\s*(?:[\w./\\-]*[/\\])?"
MAKE = re.compile(COMMAND_START + r"make ([a-z][\w-]*)")
STEP_SETTING = re.compile(COMMAND_START + r"make [a-z][\w-]*(?: [A-Z_]+=\S+)*? STEP=(\d+)")
FLASK_APP = re.compile(COMMAND_START + r"flask --app ([^\s`\"']+)")
PYTHON_FILE = re.compile(COMMAND_START + r"(?:python3?|py) ([\w./-]+\.py)\b")


def code_lines(page):
    """(line number, text) of each line of code on the page: the lines of fenced
    blocks, and each inline code span of the other lines."""
    inside = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
        elif inside:
            yield number, line.strip()
        else:
            for match in INLINE_CODE.finditer(line):
                yield number, match[2].strip()


def makefile_targets():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, flags=re.MULTILINE))


def flask_app_exists(path):
    """`flask --app` takes the final app's name, a step's app.py or its package folder."""
    if path == "chatsite" or path.startswith("chatsite:"):
        return True
    where = ROOT / path.split(":")[0].rstrip("/")
    is_step = where.parent.parent == ROOT / "steps"
    if where.name == "app.py":
        return is_step and where.is_file()
    return is_step and where.name == "chatsite" and (where / "__init__.py").is_file()


def stale_commands():
    targets = makefile_targets()
    for page in PAGES:
        name = page.relative_to(ROOT)
        for number, line in code_lines(page):
            for match in MAKE.finditer(line):
                if match[1] not in targets:
                    yield f"{name}:{number}: `make {match[1]}`: no such target in the Makefile"
            for match in STEP_SETTING.finditer(line):
                if not any((ROOT / "steps").glob(f"{match[1]}_*")):
                    yield f"{name}:{number}: `STEP={match[1]}`: no such step in steps/"
            for match in FLASK_APP.finditer(line):
                if not flask_app_exists(match[1]):
                    yield (
                        f"{name}:{number}: `flask --app {match[1]}`: not a step's app.py,"
                        " a step's chatsite/ folder or `chatsite`"
                    )
            for match in PYTHON_FILE.finditer(line):
                if not (ROOT / match[1]).is_file():
                    yield f"{name}:{number}: `python {match[1]}`: no such file"


def test_docs_show_only_commands_that_exist():
    stale = list(stale_commands())
    assert not stale, "commands in the docs that do not exist:\n" + "\n".join(stale)


def test_the_checker_sees_the_commands_it_should():
    """The patterns find real commands (an empty match would make the test above pass
    for nothing), and they tell a stale command from a good one."""
    found = {"make": 0, "flask": 0, "python": 0}
    for page in PAGES:
        for _, line in code_lines(page):
            found["make"] += len(MAKE.findall(line))
            found["flask"] += len(FLASK_APP.findall(line))
            found["python"] += len(PYTHON_FILE.findall(line))
    assert all(found.values()), found
    assert MAKE.findall("make run STEP=03 && make tset") == ["run", "tset"]
    assert STEP_SETTING.findall("make check STEP=04 APP=a.py; make run PORT=8000 STEP=09") == [
        "04",
        "09",
    ]
    assert FLASK_APP.findall("$ .venv/bin/flask --app steps/03_threads/app.py run") == [
        "steps/03_threads/app.py"
    ]
    assert flask_app_exists("steps/10_database/chatsite")
    assert not flask_app_exists("steps/99_nothing/app.py")
    assert not flask_app_exists("final/chatsite/app.py")
