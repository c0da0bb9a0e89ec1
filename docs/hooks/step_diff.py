"""MkDocs hook: turn ``<!-- diff: 03_threads -->`` into "what changed in this step".

MkDocs runs this file while it builds the site (see ``hooks:`` in mkdocs.yml).
Each marker is replaced by the difference between the previous step folder
(here ``steps/02_board_pages``) and the named one, made with Python's own
``difflib`` from the real files. So the diff on a page can never be out of date.
"""

import difflib
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

# <!-- diff: 03_threads -->, possibly indented (e.g. inside an admonition).
MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*diff:\s*(?P<step>\S+)\s*-->[ \t]*$", re.M)
# Folders that the running app fills in: never part of a step.
IGNORED_FOLDERS = {"__pycache__", "instance", "uploads"}


def on_page_markdown(markdown, page, config, files):
    steps_dir = Path(config.config_file_path).parent / "steps"

    def replace(match):
        text = diff_markdown(steps_dir, match["step"], page.file.src_uri)
        # Keep the marker's indentation so the diff stays inside its block.
        return "\n".join(match["indent"] + line if line else line for line in text.splitlines())

    return MARKER.sub(replace, markdown)


def on_serve(server, config, builder):
    """`mkdocs serve` (`make docs`): rebuild when a step or a test changes."""
    root = Path(config.config_file_path).parent
    for folder in ("steps", "tests"):
        if (root / folder).is_dir():
            server.watch(str(root / folder))
    return server


def diff_markdown(steps_dir, step, page_name):
    """The Markdown that replaces one marker."""
    folders = step_folders(steps_dir)
    names = [folder.name for folder in folders]
    if step not in names:
        raise PluginError(
            f"{page_name}: <!-- diff: {step} --> names a step folder that does not exist: "
            f"steps/{step}/ (existing: {', '.join(names) or 'none'})"
        )
    position = names.index(step)
    new = text_files(folders[position])
    if position == 0:
        listing = ", ".join(f"`{name}`" for name in new)
        return f"This is the first step, so nothing to compare with: every file is new ({listing})."

    old = text_files(folders[position - 1])
    previous = names[position - 1]
    parts = []
    for name in sorted(old.keys() | new.keys()):
        if old.get(name) == new.get(name):
            continue  # unchanged
        status = "new file" if name not in old else "removed" if name not in new else "changed"
        lines = difflib.unified_diff(
            old.get(name, "").splitlines(),
            new.get(name, "").splitlines(),
            fromfile=f"steps/{previous}/{name}" if name in old else "/dev/null",
            tofile=f"steps/{step}/{name}" if name in new else "/dev/null",
            lineterm="",
        )
        parts.append(f"**`{name}`** — *{status}*\n\n{fenced(lines, 'diff')}")
    if not parts:
        return f"No file changed since `steps/{previous}`."
    return f"Compared with `steps/{previous}`:\n\n" + "\n\n".join(parts)


def step_folders(steps_dir):
    """The step folders (steps/01_boards, steps/02_board_pages, ...), in step order."""
    return sorted(p for p in steps_dir.iterdir() if p.is_dir() and p.name[:2].isdigit())


def text_files(folder):
    """{relative path: text} for every text file in a step folder."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or IGNORED_FOLDERS.intersection(relative.parts):
            continue
        data = path.read_bytes()
        try:
            if b"\0" not in data:  # a zero byte means an image or another binary file
                found[relative.as_posix()] = data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # not text either
    return found


def fenced(lines, language):
    """A fenced code block whose fence is longer than any run of backticks inside it."""
    text = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
