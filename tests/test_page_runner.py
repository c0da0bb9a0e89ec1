"""The page runner (tools/pages.py) fails a page whose session prints something else.

`make test-pages` runs every page's sessions; these tests make sure that run can
fail: a wrong line, a missing line, a failing command, a `not run` without a
reason. They run tiny pages of their own (echo, printf, no server), in well under
a few seconds. Not staged: no `target`.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import pages  # noqa: E402


def run_page(tmp_path, text, repository=False):
    """Run a page of the test's own, in an empty folder (or a copy of the repository)."""
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return pages.PageRun(page, repository=repository).run()


SESSION = """Some prose.

```console
$ printf 'one\\ntwo 2026-12-08\\nthree\\nfour\\n'
{shown}
```
"""


@pytest.mark.parametrize(
    ("shown", "matches"),
    [
        ("one\ntwo 2026-12-08\nthree\nfour", True),
        ("one\ntwo …\nthree\nfour", True),  # … within a line: any text
        ("one\ntwo ‹date›\n…", True),  # a line of … : any lines
        ("one\n…\nfour", True),
        ("one\ntwo 2026-12-09\nthree\nfour", False),  # a wrong character
        ("one\ntwo …\nthree", False),  # a line missing from the page
        ("one\ntwo …\nthree\nfour\nfive", False),  # a line it does not print
        ("one\ntwo ‹date›\nfour", False),  # ‹…› is one line's text, not several lines
    ],
)
def test_a_session_must_print_what_the_page_shows(tmp_path, shown, matches):
    text = SESSION.format(shown=shown)
    if matches:
        assert run_page(tmp_path, text) == {"ran": 1, "compared": 1, "not run": 0}
    else:
        with pytest.raises(pages.Mismatch, match="printed something else"):
            run_page(tmp_path, text)


def test_a_bash_block_must_succeed_and_commands_keep_their_folder_and_variables(tmp_path):
    page = (
        "```bash\nmkdir made && cd made\nexport GREETING=hello\n```\n\n"
        "```console\n$ pwd; echo $GREETING\n…/made\nhello\n```\n"
    )
    assert run_page(tmp_path, page) == {"ran": 3, "compared": 1, "not run": 0}
    with pytest.raises(pages.Mismatch, match=r"`false` failed \(exit status 1\)"):
        run_page(tmp_path, "```bash\ntrue\nfalse\n```\n")


def test_hidden_runs_prompts_and_blocks_not_run(tmp_path):
    page = (
        "<!-- run: echo made > made.txt -->\n<!-- input: secret -->\n"
        "```console\n$ read -p 'Password: ' word; cat made.txt; echo got $word\n"
        "Password: secret\nmade\ngot secret\n```\n\n"
        "<!-- not run: it installs system packages -->\n```bash\nsudo apt-get install postgresql\n```\n"
    )
    assert run_page(tmp_path, page) == {"ran": 1, "compared": 1, "not run": 1}


def test_a_block_not_run_must_say_why(tmp_path):
    with pytest.raises(ValueError, match="says why"):
        run_page(tmp_path, "<!-- not run: -->\n```bash\nsudo true\n```\n")


def test_every_run_starts_from_the_files_git_knows(tmp_path):
    """Nothing a run (or the developer) left in an ignored folder reaches a page."""
    shown = "app.py\nstatic\ntemplates\n0"
    page = f"```console\n$ ls -1 steps/01_boards; ls -1 final | grep -c instance\n{shown}\n```\n"
    left_behind = pages.ROOT / "final" / "instance"  # as `make run` leaves it
    made = not left_behind.exists()
    left_behind.mkdir(exist_ok=True)
    try:
        assert run_page(tmp_path, page, repository=True)["compared"] == 1
    finally:
        if made:
            left_behind.rmdir()


@pytest.mark.parametrize("time", ["0.61s", "93.19s (0:01:33)"])  # over a minute, pytest adds h:mm:ss
def test_a_summary_line_matches_a_run_of_any_length(time):
    line = "<!-- pytest-summary: tests/test_01_boards.py -->"
    pattern = pages.expected_pattern([line], lambda arguments: "=== 80 passed in …s ===")
    assert pattern.fullmatch(f"=========== 80 passed in {time} ===========\n")
    assert not pattern.fullmatch(f"=========== 81 passed in {time} ===========\n")
