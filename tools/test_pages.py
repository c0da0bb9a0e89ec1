"""Every page's shell sessions, run in page order in a fresh copy of the repository
(tools/pages.py says how): `make test-pages`, which CI runs after `make test`.

One test per page, in the order of the navigation; pages run side by side
(pytest -n auto), each with its own ports and folder. tools/conftest.py adds up
at the end how many commands ran, were compared and were not run.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import pages  # noqa: E402


@pytest.mark.parametrize("page", pages.pages(), ids=lambda page: str(page.relative_to(pages.ROOT / "docs")))
def test_page_sessions_print_what_the_page_shows(page, record_property):
    for name, number in pages.PageRun(page).run().items():
        record_property(name, number)
