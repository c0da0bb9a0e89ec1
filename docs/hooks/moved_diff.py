"""MkDocs hook: show how a piece of code changed when it moved to another file.

When one file is split into several, a diff of the whole step is useless: every
line of the old file looks deleted and every line of the new files looks added.
This hook compares what belongs together instead:

``<!-- moved: steps/08_json_api/app.py:show_board -> steps/09_package/chatsite/boards.py:show_board -->``
becomes a unified diff between the old function and the new one (decorators
included), read from the real files at build time. A name can be a method,
``store.py:Store.add_reply``, and the two names may differ. Without names,
``<!-- moved: steps/08_json_api/templates/base.html -> steps/09_package/chatsite/templates/base.html -->``
compares two whole files.

Something that moved without any change gets one sentence saying so. A file or
a name that does not exist fails the build, so the page cannot silently show
an old diff after the code is edited.
"""

import ast
import difflib
import re
import textwrap
from pathlib import Path

from mkdocs.exceptions import PluginError

# <!-- moved: OLD_FILE[:NAME] -> NEW_FILE[:NAME] -->, possibly indented (inside an admonition).
MARKER = re.compile(
    r"^(?P<indent>[ \t]*)<!--\s*moved:\s*"
    r"(?P<old>[^\s:]+)(?::(?P<old_name>[\w.]+))?\s*->\s*"
    r"(?P<new>[^\s:]+)(?::(?P<new_name>[\w.]+))?\s*-->[ \t]*$",
    re.M,
)


def on_page_markdown(markdown, page, config, files):
    root = Path(config.config_file_path).parent

    def replace(match):
        if bool(match["old_name"]) != bool(match["new_name"]):
            raise PluginError(f"{page.file.src_uri}: {match[0].strip()}: name both sides, or neither")
        old = Part(root, match["old"], match["old_name"], page.file.src_uri)
        new = Part(root, match["new"], match["new_name"], page.file.src_uri)
        text = moved_markdown(old, new)
        # Keep the marker's indentation so the diff stays inside its block.
        return "\n".join(match["indent"] + line if line else line for line in text.splitlines())

    return MARKER.sub(replace, markdown)


class Part:
    """A whole file, or one function or class in a Python file, read now."""

    def __init__(self, root, path, name, page_name):
        self.path = path
        self.name = name
        self.label = f"{path}:{name}" if name else path
        file = root / path
        if not file.is_file():
            raise PluginError(f"{page_name}: <!-- moved: ... -->: no such file: {path}")
        text = file.read_text(encoding="utf-8")
        self.lines = text.splitlines() if name is None else python_part(text, name, path, page_name)


def python_part(source, name, path, page_name):
    """The lines of ``name`` in a Python file: a top-level function or class, or a
    method ("Store.add_reply"), with its decorators, without its indentation."""
    lines = source.splitlines()
    nodes = ast.parse(source).body
    node = None
    for part in name.split("."):
        node = next((n for n in nodes if getattr(n, "name", None) == part), None)
        if node is None:
            raise PluginError(f"{page_name}: <!-- moved: ... -->: {name} not found in {path}")
        nodes = getattr(node, "body", [])
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    # A method is indented inside its class: dedent it, so that it compares
    # fairly with a function that used to be at the top of a file.
    return textwrap.dedent("\n".join(lines[first - 1 : node.end_lineno])).splitlines()


def moved_markdown(old, new):
    """The Markdown for one marker: a sentence, or a fenced diff."""
    where = f"`{old.path}` → `{new.path}`"
    if old.lines == new.lines:
        what = f"`{old.name}`" if old.name == new.name else f"`{old.name}` → `{new.name}`"
        return f"{what if old.name else 'The file'} moved without a change ({where})."
    # A function is short: show all of it, the changed lines marked. A whole file
    # shows three lines around each change, like `git diff`.
    context = max(len(old.lines), len(new.lines)) if old.name else 3
    lines = difflib.unified_diff(
        old.lines, new.lines, fromfile=old.label, tofile=new.label, n=context, lineterm=""
    )
    return fenced(lines, "diff")


def fenced(lines, language):
    """A fenced code block whose fence is longer than any run of backticks inside it."""
    text = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
