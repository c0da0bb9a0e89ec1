"""Numbers and trees on the pages come from the project.

The summary line of a test run (``126 passed, 14 xfailed``) is counted at build
time by docs/hooks/summary_lines.py, from a marker; a page that writes one by
hand would go stale with the next test, so none may.

The tree of final/ on the final app's page is the real tree.

docs/final/index.md draws final/ with a line about each file. A file added,
renamed or removed in final/ and not on the page (or the other way round) turns
this test red and names it. Folders whose contents the page does not list
(templates/, migrations/versions/...) count as one entry; instance/, which the
app makes on its first start and git never holds, is the one entry that need
not exist.
"""

import re
import subprocess

import summary_lines
from targets import ROOT

PAGE = ROOT / "docs" / "final" / "index.md"
NOT_IN_GIT = {"instance/"}
# One line of the drawing: the tree's glyphs, then a name (a file, a folder/ or a/path).
ENTRY = re.compile(r"^(?P<indent>(?:[│ ] {3})*)[├└]── (?P<name>\S+)")


def drawn_paths():
    """Every path the page's tree of final/ names, e.g. "chatsite/models.py", "tests/"."""
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"```text\nfinal/\n(.*?)```", text, re.S)[1]
    paths, parents = [], []
    for line in block.splitlines():
        entry = ENTRY.match(line)
        if not entry:
            continue  # a description's second line
        depth = len(entry["indent"]) // 4
        parents[depth:] = [entry["name"]]
        paths.append("".join(parents))
    return paths


def tracked_files():
    """final/'s files as git holds them, relative to final/."""
    listed = subprocess.run(
        ["git", "ls-files", "final"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {path.removeprefix("final/") for path in listed}


def test_the_final_apps_tree_names_every_file_and_only_real_ones():
    drawn, real = drawn_paths(), tracked_files()
    folders = [path for path in drawn if path.endswith("/")]
    # A folder drawn without its contents (templates/) stands for all it holds.
    leaves = [folder for folder in folders if not any(p != folder and p.startswith(folder) for p in drawn)]
    missing = [
        path for path in drawn
        if path not in NOT_IN_GIT
        and not (path in real if not path.endswith("/") else any(f.startswith(path) for f in real))
    ]
    not_drawn = [
        path for path in sorted(real)
        if path not in drawn and not any(path.startswith(leaf) for leaf in leaves)
    ]
    assert {"drawn but not in final/": missing, "in final/ but not drawn": not_drawn} == {
        "drawn but not in final/": [],
        "in final/ but not drawn": [],
    }


# A pytest summary line: "===== 126 passed, 14 xfailed in 3.73s =====".
SUMMARY = re.compile(r"^=+ \d+ (passed|failed)\b.* in [\d.]+s =+$", re.M)


def test_no_page_writes_a_test_runs_counts_by_hand():
    pages = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    by_hand = [
        f"{page.relative_to(ROOT)}: {found[0]}"
        for page in pages
        for found in SUMMARY.finditer(page.read_text(encoding="utf-8"))
    ]
    assert by_hand == []


def test_the_summary_line_is_centred_as_pytest_centres_it():
    assert {
        text: summary_lines.centred(text)
        for text in ("126 passed, 14 xfailed in 3.73s", "44 passed in 0.61s")
    } == {
        "126 passed, 14 xfailed in 3.73s":
            "======================= 126 passed, 14 xfailed in 3.73s ========================",
        "44 passed in 0.61s":
            "============================== 44 passed in 0.61s ==============================",
    }


def test_a_summary_marker_names_its_test_files_not_an_options_value():
    """`<!-- pytest-summary: tests/test_04_replies.py -k test_reply_bumps_thread -->`:
    the name after -k is no file (collected as one, it broke the build)."""
    arguments = ["tests/test_04_replies.py", "-v", "-k", "test_reply_bumps_thread"]
    assert summary_lines.test_paths(arguments) == ["tests/test_04_replies.py"]
