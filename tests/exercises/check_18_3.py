"""Exercise 18.3 · Links to other boards: >>>/chess/.

">>>/slug/" becomes <a class="board-link" href="/boards/slug">&gt;&gt;&gt;/slug/</a>
when the site has a board with that slug (the BOARDS setting); any other
slug stays text, as >>N does for a post that does not exist. A line that
starts with a board link points somewhere, like ">>N I agree": it is not a
quote line. Everything else the step does keeps working.
"""


from forum import create_thread, page, post_ids, quote_line, quote_link
from helpers import shown

CHESS_LINK = ("a", {"class": "board-link", "href": "/boards/chess"}, ">>>/chess/")


def test_a_board_link_leads_to_the_board(client, note):
    """"Ask on >>>/chess/ instead" links >>>/chess/ to /boards/chess, with the class board-link.

    Hint: give the LINKS pattern in formatting.py one more alternative, for the
    escaped text "&gt;&gt;&gt;/" then a slug ([a-z0-9-]+) then "/", and in
    link() make it a link when the slug is one of the site's boards
    (current_app.config["BOARDS"]); url_for("boards.show_board", slug=...)
    gives the address.
    """
    thread_id = create_thread(client)
    got = shown(client, thread_id, "Ask on >>>/chess/ instead")
    assert got["markup"] == [CHESS_LINK], f"the post's markup is {got['markup'] or 'none'}, not {CHESS_LINK}"
    assert got["text"] == "Ask on >>>/chess/ instead", f"the post reads {got['text']!r}"
    board = client.get("/boards/chess")
    assert board.status_code == 200 and "Chess" in page(board).text(), "/boards/chess is not the Chess board"
    note("the link leads to the Chess board, /boards/chess")


def test_a_line_that_starts_with_a_board_link_is_not_a_quote(client):
    """">>>/chess/ is where openings go" is a board link, not a green quote line.

    Hint: render_line() makes a line that starts with ">" a quote unless it
    starts with a quote link: a board link at the start is not a quote either.
    """
    thread_id = create_thread(client)
    got = shown(client, thread_id, ">>>/chess/ is where openings go")
    assert got["markup"] == [CHESS_LINK], (
        f"the post's markup is {got['markup']}: expected the board link alone, not inside a quote line"
    )


def test_still_an_unknown_board_stays_text(client):
    """"see >>>/nosuch/", ">>>/Chess/" or ">>>/../" names no board: it stays text.

    Hint: link only the slugs of the BOARDS setting; anything else is returned as it was found.
    """
    thread_id = create_thread(client)
    for typed in (">>>/nosuch/", ">>>/Chess/", ">>>/../"):
        got = shown(client, thread_id, f"see {typed} please")
        assert got["markup"] == [], f"{typed!r} shows the markup {got['markup']}"
        assert got["text"] == f"see {typed} please", f"{typed!r} reads {got['text']!r}"


def test_still_quote_links_and_quotes_work(client):
    """>>N still links to post N, and "> text" is still a quote line, ">>>N" a quote of a quote link.

    Hint: put the board alternative into LINKS without changing the other two.
    """
    thread_id = create_thread(client)
    [op] = post_ids(client, thread_id)
    got = shown(client, thread_id, f">>{op} agreed\n> so you say\n>>>{op} hm")
    expected = [
        quote_link(op, f"#post-{op}"),
        quote_line("> so you say"),
        quote_line(f">>>{op} hm"),
        quote_link(op, f"#post-{op}"),
    ]
    assert got["markup"] == expected, f"the post's markup is {got['markup']}, expected {expected}"
