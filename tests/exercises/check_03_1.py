"""Exercise 03.1 · A counter: each board on the home page says how many threads it has."""

import re

from forum import create_thread, page


def thread_counts(client):
    """{board name: "N threads"} as the home page shows them ("" where it shows none)."""
    counts = {}
    for item in page(client.get("/")).find_all("li"):
        if not item.inside("main") or item.inside("nav"):
            continue
        found = re.search(r"\b\d+ threads?\b", item.text())
        counts[item.text().split(" ")[0]] = found[0] if found else ""
    return counts


def test_each_board_says_how_many_threads_it_has(client):
    """Next to each board, the home page says how many threads it has, e.g. "Astronomy — 3 threads".

    Hint: in render_index, count the threads of each board, e.g. with
    collections.Counter(thread["board"] for thread in threads.values()), pass the
    counts to index.html and print counts[board.slug] next to the board's name.
    """
    for title in ("One", "Two", "Three"):
        create_thread(client, title=title)
    create_thread(client, title="Openings", board="chess")
    counts = thread_counts(client)
    shown = {name: counts.get(name) for name in ("Astronomy", "Chess", "Baking")}
    assert shown == {"Astronomy": "3 threads", "Chess": "1 thread", "Baking": "0 threads"}, (
        f"the home page says {shown}"
    )
