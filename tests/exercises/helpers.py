"""Small helpers the exercise checks share, on top of the staged suite's forum.py."""

import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from forum import BOARD, alert_text, markup, page, post_body, reply  # noqa: F401 (alert_text: for the checks)
from targets import STEPS_DIR

# What a running app leaves in its folder: never copied.
LEFT_BY_RUNNING = ("__pycache__", "instance", "uploads", ".pytest_cache", "*.pyc")


def board_line(client, thread_id, board=BOARD):
    """The text of the board page's list item that links to the thread, or ""."""
    shown = page(client.get(f"/boards/{board}"))
    address = f"/threads/{thread_id}"
    for item in shown.find_all("li"):
        if any(node.tag == "a" and node.get("href") == address for node in item.descendants()):
            return item.text()
    return ""


def typed_text(field):
    """What a <textarea> holds, line breaks and all (Element.text() joins the lines)."""
    return "".join(field._text)



@contextlib.contextmanager
def captured_logs(app, level=logging.INFO):
    """Collect every log record the app writes at ``level`` or above (like pytest's caplog).

    The records are caught at the root logger, so app.logger and any logger of
    the learner's own reach it; both are set to ``level`` while the block runs.
    """
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level)
    loggers = [logging.getLogger(), app.logger]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    logging.getLogger().addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(handler)
        for logger, before in zip(loggers, levels, strict=True):
            logger.setLevel(before)


def step_copy(step, destination):
    """A copy of steps/NN_*/ in ``destination``, without what a running app leaves behind."""
    [folder] = STEPS_DIR.glob(f"{step}_*")
    shutil.copytree(folder, destination, ignore=shutil.ignore_patterns(*LEFT_BY_RUNNING))
    return Path(destination)


def change_file(path, old, new):
    """Replace ``old`` (which must be there, once) with ``new`` in a file: a mutant."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name} does not hold this line once: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_learners_test(test_file, app_folder, where):
    """Run a test file the learner wrote, with pytest, against the app in ``app_folder``.

    Both are copied to ``where`` first, so that the test imports that app's
    ``chatsite`` (not the final app, which is installed under the same name).
    Return (pytest's exit code, the last lines it printed).
    """
    if not where.exists():
        shutil.copytree(app_folder, where, ignore=shutil.ignore_patterns(*LEFT_BY_RUNNING))
    shutil.copyfile(test_file, where / test_file.name)
    # A settings file of its own: no pytest settings from folders above are used.
    (where / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    environment = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTEST_ADDOPTS", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", test_file.name],
        cwd=where,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in (finished.stdout + finished.stderr).splitlines() if line.strip()]
    return finished.returncode, "\n".join(lines[-6:])


def shown(client, thread_id, body):
    """Reply with ``body``; return the reply's body as the page shows it: its markup and its text."""
    answer = reply(client, thread_id, body)
    assert answer.status_code == 303, f"the reply got {answer.status_code}"
    post_id = int(re.search(r"#post-(\d+)$", answer.headers["Location"])[1])
    element = post_body(client.get(f"/threads/{thread_id}"), post_id)
    assert element is not None, f"post {post_id} shows no body"
    return {"markup": markup(element), "text": element.text()}
