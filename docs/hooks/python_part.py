"""MkDocs hook: show one part of a Python file, read from the file at build time.

``<!-- python: tests/conftest.py pytest_generate_tests -->`` becomes a code block
holding that top-level function (or class), decorators included.
``<!-- python: tests/forum.py __doc__ -->`` gives the module's docstring, and
``<!-- python: final/chatsite/live.py Notifier.notify -->`` one method of a
class (without the class's indentation).

Unlike a range of line numbers, a name still points at the right code after
the file is edited, and a name that is not in the file fails the build.
"""

import ast
import re
import textwrap
from pathlib import Path

from mkdocs.exceptions import PluginError

MARKER = re.compile(
    r"^(?P<indent>[ \t]*)<!--\s*python:\s*(?P<path>\S+)\s+(?P<name>[\w.]+)\s*-->[ \t]*$", re.M
)


def on_page_markdown(markdown, page, config, files):
    root = Path(config.config_file_path).parent

    def replace(match):
        code = python_part(root, match["path"], match["name"], page.file.src_uri)
        block = f'```python title="{match["path"]}"\n{code}\n```'
        return "\n".join(match["indent"] + line if line else line for line in block.splitlines())

    return MARKER.sub(replace, markdown)


def python_part(root, path, name, page_name):
    """The source text of ``name`` (a top-level def/class, a method "Class.method",
    or __doc__) in ``path``."""
    file = root / path
    if not file.is_file():
        raise PluginError(f"{page_name}: <!-- python: {path} {name} -->: no such file")
    source = file.read_text(encoding="utf-8")
    lines = source.splitlines()
    body = ast.parse(source).body
    if name == "__doc__":
        if body and isinstance(body[0], ast.Expr):
            return "\n".join(lines[body[0].lineno - 1 : body[0].end_lineno])
    else:
        node = None
        for part in name.split("."):
            node = next((n for n in body if getattr(n, "name", None) == part), None)
            if node is None:
                break
            body = getattr(node, "body", [])
        if node is not None:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return textwrap.dedent("\n".join(lines[first - 1 : node.end_lineno]))
    raise PluginError(f"{page_name}: <!-- python: {path} {name} -->: {name} not found in {path}")
