"""Exercise 08.3 · Be the program: newest.py prints a board's threads from the JSON API."""

import re
import subprocess
import sys

from forum import create_thread, reply

# (title, posts), in the order newest.py should print them: newest activity first.
EXPECTED = [("Moon photos", 2), ("Saturn rings", 3), ("Comet tonight", 1)]


def test_newest_py_prints_each_thread_with_its_number_of_posts(client, live_server, app_folder, note):
    """python newest.py <address> astronomy prints each thread, newest activity first, with its posts.

    Hint: urllib.request.urlopen(f"{address}/api/boards/{slug}/threads") and
    json.load() give the threads; each one's "url" gives its posts, and "total"
    says how many.
    """
    script = app_folder / "newest.py"
    assert script.is_file(), f"there is no newest.py next to the app, in {app_folder}"
    comet = create_thread(client, title="Comet tonight")
    saturn = create_thread(client, title="Saturn rings")
    moon = create_thread(client, title="Moon photos")
    create_thread(client, title="Sourdough", board="baking")
    reply(client, saturn, "Seen them!")
    reply(client, saturn, "Me too")
    reply(client, moon, "Lovely")
    assert comet  # the oldest, never bumped: printed last
    finished = subprocess.run(
        [sys.executable, str(script), live_server, "astronomy"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=app_folder,
    )
    errors = [line for line in finished.stderr.splitlines() if line.strip()]
    assert finished.returncode == 0, f"newest.py stopped: {errors[-1] if errors else finished.returncode}"
    lines = [line for line in finished.stdout.splitlines() if line.strip()]
    titles = [title for title, _ in EXPECTED]
    shown = [next((title for title in titles if title in line), line) for line in lines]
    assert shown == titles, f"newest.py printed {lines}, not the titles {titles} in that order"
    for line, (_, posts) in zip(lines, EXPECTED, strict=True):
        assert str(posts) in re.findall(r"\d+", line), f'the line "{line}" does not say {posts} posts'
    note(f'newest.py printed: {" | ".join(lines)}')
