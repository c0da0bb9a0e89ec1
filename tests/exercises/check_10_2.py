"""Exercise 10.2 · Inject, on purpose: SQL made with f-strings (break it on purpose).

The check passes while find_thread, count_threads and search build their SQL
with f-strings: it shows which one a visitor can reach, and what ruff says.
"""

import ast
import json
import subprocess
import sys

from forum import create_thread

BROKEN_ON_PURPOSE = True
INJECTED = {"find_thread", "count_threads", "search"}


def test_a_quote_in_the_search_box_now_breaks_the_sql(client, note):
    """A search for it's now fails (500): what visitors type has become part of the SQL.

    Hint: in Store.search, put the words into the SQL text with an f-string:
    json_each('{json.dumps(words)}') instead of json_each(?).
    """
    create_thread(client, title="It's a test")
    status = client.get("/search?q=it's").status_code
    assert status != 200, "a search for it's still works: the words still go in as a ? parameter"
    note(
        f"a search for it's answers {status}: the ' ended the SQL string, and what followed was "
        "read as SQL. Anyone can type in the search box, so search() is open to attack."
    )


def test_still_thread_pages_work(client, note):
    """Thread pages still work: find_thread gets a number, never text typed by a visitor.

    Hint: the route is /threads/<int:thread_id>: Flask only calls the view with a whole number.
    """
    thread_id = create_thread(client, title="Still here")
    assert client.get(f"/threads/{thread_id}").status_code == 200
    assert client.get("/threads/1%20OR%201=1").status_code == 404
    note(
        "/threads/1 OR 1=1 is a 404: the route only takes a number; count_threads gets a slug "
        "from BOARDS, never from a visitor. Those two are not reachable, yet."
    )


def test_ruff_finds_the_sql_built_from_strings(app_folder, note):
    """ruff's rule S608 (SQL built from strings) points at find_thread, count_threads and search.

    Hint: the same f-string change in all three methods of Store (chatsite/store.py).
    """
    store = app_folder / "chatsite" / "store.py"
    finished = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "S608", "--output-format", "json",
         "--no-cache", str(store)],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert finished.stdout.strip().startswith("["), f"ruff did not run: {finished.stderr.strip()}"
    lines = sorted(finding["location"]["row"] for finding in json.loads(finished.stdout))
    functions = {
        node.name: range(node.lineno, node.end_lineno + 1)
        for node in ast.walk(ast.parse(store.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
    }
    flagged = {name for name, span in functions.items() if any(line in span for line in lines)}
    assert flagged >= INJECTED, f"ruff finds S608 only in {sorted(flagged) or 'no function'}"
    note(f"ruff check says S608 on lines {', '.join(map(str, lines))} of store.py")
