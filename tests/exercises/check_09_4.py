"""Exercise 09.4 · Break the import rule: a circular import (break it on purpose).

The check passes while errors.py and boards.py import from each other and the
app cannot start, as the exercise asks you to try.
"""

import re

BROKEN_ON_PURPOSE = True


def test_the_app_no_longer_starts_circular_import(make_app, note):
    """Starting the app fails with an ImportError that says "circular import".

    Hint: in errors.py, from .boards import ALPHABET; in boards.py, from .errors
    import ERROR_EXPLANATIONS. Each module needs the other to be finished first.
    """
    try:
        make_app()
    except ImportError as error:
        problem = error
    else:
        problem = None
    assert problem is not None, "the app starts: errors.py and boards.py do not import from each other yet"
    # The package is imported under a name of its own (targets.py): show it as chatsite.
    message = re.sub(r"chatsite_student_[0-9a-f]+", "chatsite", str(problem))
    assert "circular import" in message, f"the app does not start, but for another reason: {message}"
    note(f"ImportError: {message}")
