"""MkDocs hook: turn ``<!-- step-sizes -->`` into a table of how big each step is.

Every step has a budget: its diff from the step before changes at most about
``CHANGED_LINES_BUDGET`` lines of code and templates, and its page is at most
about ``PAGE_LINES_BUDGET`` lines of Markdown. This file measures both from the
real files while the site is built, so the table on the instructors' page can
never be out of date. tests/test_budgets.py imports the same functions and
fails when a step is over budget and its page does not say why.

A page says why in its front matter, the YAML block that MkDocs reads from the
very top of a page (and hides from the reader):

    ---
    over_budget: "One sentence saying why this step cannot be smaller."
    ---
"""

import difflib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data
from step_diff import step_folders, text_files

CHANGED_LINES_BUDGET = 700
PAGE_LINES_BUDGET = 600
# What counts as code and templates. Tests live in tests/, not in a step folder.
CODE_SUFFIXES = {".py", ".html", ".js", ".css", ".sql"}
# Written by a tool, not by the learner: never counted.
GENERATED_FOLDERS = {"migrations"}
# From step 09 on, a step's app is a package in this folder of the step.
PACKAGE = "chatsite"

MARKER = re.compile(r"^<!--\s*step-sizes\s*-->[ \t]*$", re.M)


@dataclass
class StepSize:
    step: str  # the folder's name: "15_live"
    page: Path | None  # docs/steps/15-live.md, None when the step has no page
    changed_lines: int  # lines removed plus lines added, since the step before
    page_lines: int  # lines of the page's Markdown file
    reason: str  # the page's `over_budget` sentence, "" when it has none

    @property
    def over_budget(self):
        return self.changed_lines > CHANGED_LINES_BUDGET or self.page_lines > PAGE_LINES_BUDGET


def measure_steps(root):
    """A StepSize for every step folder of the repository at ``root``, in step order."""
    sizes = []
    previous = {}  # the step before the first one has no files
    for folder in step_folders(Path(root) / "steps"):
        files = code_files(folder)
        page = step_page(Path(root), folder.name)
        if page is None:
            page_lines, reason = 0, ""
        else:
            text = page.read_text(encoding="utf-8")
            page_lines = len(text.splitlines())
            reason = str(get_data(text)[1].get("over_budget") or "").strip()
        sizes.append(StepSize(folder.name, page, changed_lines(previous, files), page_lines, reason))
        previous = files
    return sizes


def code_files(folder):
    """{path inside the app: its lines} for the code and templates of a step folder.

    Paths are taken inside the app, so that steps/08_json_api/templates/base.html
    and steps/09_package/chatsite/templates/base.html are the same file: moving
    a file into the package changes none of its lines.
    """
    found = {}
    for name, text in text_files(folder).items():
        path = Path(name)
        if path.suffix not in CODE_SUFFIXES or GENERATED_FOLDERS.intersection(path.parts):
            continue
        if path.parts[0] == PACKAGE:
            path = path.relative_to(PACKAGE)
        found[path.as_posix()] = text.splitlines()
    return found


def changed_lines(old, new):
    """Lines removed plus lines added, file by file, as a diff on a page shows them."""
    count = 0
    for name in old.keys() | new.keys():
        matcher = difflib.SequenceMatcher(None, old.get(name, []), new.get(name, []))
        for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
            if tag != "equal":
                count += (old_end - old_start) + (new_end - new_start)
    return count


def step_page(root, step):
    """docs/steps/15-live.md for step folder "15_live", or None when there is none."""
    pages = sorted((root / "docs" / "steps").glob(f"{step[:2]}-*.md"))
    return pages[0] if pages else None


def on_page_markdown(markdown, page, config, files):
    if not MARKER.search(markdown):
        return markdown
    root = Path(config.config_file_path).parent
    table = sizes_table(measure_steps(root), posixpath.dirname(page.file.src_uri))
    return MARKER.sub(lambda match: table, markdown)


def sizes_table(sizes, page_folder):
    """The Markdown table; links are made relative to the folder of the page that shows it."""
    rows = [
        "| Step | Changed lines (code and templates) | Page lines | Why over budget |",
        "| --- | ---: | ---: | --- |",
    ]
    for size in sizes:
        if size.page is None:
            raise PluginError(f"steps/{size.step}/ has no page: docs/steps/{size.step[:2]}-*.md")
        link = posixpath.relpath(f"steps/{size.page.name}", page_folder or ".")
        changed = shown(size.changed_lines, CHANGED_LINES_BUDGET)
        page_lines = shown(size.page_lines, PAGE_LINES_BUDGET)
        reason = size.reason.replace("|", "\\|")  # a | would end the table's cell
        rows.append(f"| [`{size.step}`]({link}) | {changed} | {page_lines} | {reason} |")
    return "\n".join(rows)


def shown(number, budget):
    """1,234, in bold when it is over its budget."""
    return f"**{number:,}**" if number > budget else f"{number:,}"
