"""Exercise 10.1 · Look inside: two queries of your own, in look_inside.sql.

The check fills a database through your app, then runs your file on it with
Python's sqlite3, as `flask shell` would.
"""

import contextlib
import sqlite3

import imagefactory
from forum import create_thread, image_urls_in, post_ids, reply

SQL_FILE = "look_inside.sql"


def statements(text):
    """The SQL statements of a file, one by one; blank lines and comments between them left out."""
    found, buffer = [], ""
    for line in text.splitlines(keepends=True):
        if not buffer.strip() and (not line.strip() or line.strip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    return found


def fill(client):
    """Three threads: 1 with an opening post, a reply with an image and one without;
    2, the busiest, with three replies; 3 with none. Return the rows the second
    query should give: thread 1's posts, each with its image's path or None."""
    first = create_thread(client, title="Pictures of the Moon", body="Opening post")
    reply(client, first, "Here is mine", image=("moon.png", imagefactory.png()))
    reply(client, first, "Lovely")
    busiest = create_thread(client, title="Busy thread", body="Talk to me")
    for number in range(3):
        reply(client, busiest, f"Reply {number}")
    create_thread(client, title="Quiet thread", body="Anyone?")
    [image] = image_urls_in(client.get(f"/threads/{first}"))
    ids = post_ids(client, first)
    return [(ids[0], None), (ids[1], image.removeprefix("/uploads/")), (ids[2], None)]


def run(app, statement):
    with contextlib.closing(sqlite3.connect(app.config["DATABASE"])) as db:
        return [tuple(row) for row in db.execute(statement)]


def queries(app_folder):
    path = app_folder / SQL_FILE
    assert path.is_file(), f"there is no {SQL_FILE} next to the chatsite/ folder, in {app_folder}"
    found = statements(path.read_text(encoding="utf-8"))
    assert len(found) == 2, f"{SQL_FILE} holds {len(found)} statements, not 2 (end each one with ;)"
    return found


def test_the_first_query_finds_the_thread_with_the_most_replies(app, client, app_folder):
    """The first query of look_inside.sql gives one row: the id and title of the thread with the most replies.

    Hint: SELECT id, title FROM threads ORDER BY reply_count DESC LIMIT 1;
    """
    fill(client)
    first, _ = queries(app_folder)
    rows = run(app, first)
    assert rows == [(2, "Busy thread")], f"the first query gives {rows}"


def test_the_second_query_lists_every_post_of_thread_1_with_its_image(app, client, app_folder, note):
    """The second query gives every post of thread 1 with its image's path, None for a post without one.

    Hint: SELECT posts.id, images.path FROM posts LEFT JOIN images ON
    images.post_id = posts.id WHERE thread_id = 1;
    """
    expected = fill(client)
    _, second = queries(app_folder)
    rows = sorted(run(app, second), key=lambda row: row[0])
    assert rows == expected, f"the second query gives {rows}, not {expected}"
    if "LEFT JOIN" in second.upper():
        joined = run(app, second.replace("LEFT JOIN", "JOIN").replace("left join", "join"))
        note(
            f"with JOIN instead of LEFT JOIN it gives {len(joined)} row(s), not {len(rows)}: "
            "JOIN keeps only the posts that have an image"
        )
