"""Options for the test suite that must exist whatever folder pytest is given.

pytest reads this file before any other conftest.py, so that `pytest --step final`
works: without it, "final" would be taken for the folder final/ and --step for an
unknown option. What --step does is in tests/conftest.py (choose_one_step).
"""


def pytest_addoption(parser):
    parser.addoption(
        "--step",
        metavar="NN",
        help="run one step's tests only: every staged test on step NN (e.g. 04, or final), "
        "plus the 'before' runs of the tests that step introduces (make test STEP=04)",
    )
