"""Every step stays small enough to read whole, or its page says why not.

A step's budget: its diff from the step before changes at most about 700
lines of code and templates, and its page is at most about 600 lines of
Markdown. The numbers come from docs/hooks/step_sizes.py, the hook that also
makes the table on the instructors' page, so the test and the table always
agree. A step over budget carries one sentence in its page's front matter:

    ---
    over_budget: "One sentence saying why this step cannot be smaller."
    ---

This is not a staged test (it takes no ``target``): it runs once per step
folder, reading files only, in well under a second.
"""

import functools
from pathlib import Path

import pytest
from step_diff import step_folders
from step_sizes import CHANGED_LINES_BUDGET, PAGE_LINES_BUDGET, measure_steps

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def sizes():
    return {size.step: size for size in measure_steps(ROOT)}


def step_param(folder):
    return pytest.param(folder.name, id=folder.name)


@pytest.mark.parametrize("step", [step_param(folder) for folder in step_folders(ROOT / "steps")])
def test_a_step_over_budget_says_why(step):
    size = sizes()[step]
    assert size.page, f"steps/{step}/ has no page docs/steps/{step[:2]}-*.md"
    numbers = (
        f"steps/{step}: {size.changed_lines} changed lines (budget {CHANGED_LINES_BUDGET}), "
        f"page docs/steps/{size.page.name}: {size.page_lines} lines (budget {PAGE_LINES_BUDGET})"
    )
    if size.over_budget:
        assert size.reason, (
            f"{numbers}: over budget, and its page does not say why. Make the step smaller, "
            'or put these three lines at the top of its page:\n---\nover_budget: "One sentence."\n---'
        )
    else:
        assert not size.reason, f"{numbers}: within budget, so remove over_budget from the page"
