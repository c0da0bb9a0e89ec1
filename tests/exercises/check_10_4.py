"""Exercise 10.4 · Keyset pagination: ?before=<bump_order> instead of ?page=."""

import urllib.parse

from forum import create_thread, page, thread_ids, thread_ids_on_board

OLDER = "Older threads"


def older_link(client, address):
    """The address of the page's link to older threads (rel="next" or its words), or None."""
    shown = page(client.get(address))
    for link in shown.links():
        if "next" in link.get("rel", "").split() or link.text().startswith(OLDER):
            return link.get("href")
    return None


def fill(client, count=52):
    """``count`` threads; their ids, most recently active first."""
    ids = []
    for n in range(count):
        # The new-thread form, sent straight away (step 10's form has no hidden fields).
        sent = client.post("/boards/astronomy/threads", data={"title": f"Thread {n}", "body": ""})
        assert sent.status_code == 303, f"starting a thread answered {sent.status_code}"
        ids.append(int(sent.headers["Location"].rsplit("/", 1)[1]))
    return ids[::-1]


def test_the_link_to_older_threads_says_before(client):
    """A board with 52 threads links its first page to the older ones with ?before=…, not ?page=2.

    Hint: in board.html, the older link is url_for('boards.show_board',
    slug=board.slug, before=threads[-1].bump_order): the last thread shown.
    """
    fill(client)
    address = older_link(client, "/boards/astronomy")
    assert address is not None, f"the first page has no link to {OLDER.lower()}"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
    assert "before" in query and "page" not in query, f"the link to older threads is {address}"


def test_older_threads_follow_on_exactly_even_after_a_new_post(client, note):
    """Following that link after someone started a thread shows the next threads exactly: none twice.

    Hint: in store.py, WHERE board = ? AND bump_order < ? ORDER BY bump_order DESC
    LIMIT ?: the page starts below the last thread you saw, wherever it is now.
    """
    ids = fill(client)
    first = thread_ids_on_board(client)
    address = older_link(client, "/boards/astronomy")
    assert first == ids[:50] and address, "the first page does not show 50 threads and a link to older ones"
    create_thread(client, title="Someone posts meanwhile")
    after = thread_ids(page(client.get(address)).links())
    again = sorted(set(first) & set(after))
    seen = f", and {again} were on page 1 already" if again else ""
    assert after == ids[50:], f"{address} shows {after}, not {ids[50:]}{seen}"
    assert older_link(client, address) is None, "the last page still links to older threads"
    note(
        f"page 1 showed threads {first[0]}…{first[-1]}, and {address} the next ones, {after}, "
        "although a new thread arrived in between"
    )

