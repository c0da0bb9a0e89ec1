"""Exercise 05.1 · Search one board: a board menu on the search form, and results from that board only."""

from forum import create_thread, page, thread_ids


def result_ids(response):
    """The threads a search page links to after its "N threads found"."""
    return thread_ids(page(response).links_after(r"\b\d+ threads? found\b"))


def test_the_search_form_offers_every_board(client):
    """The search page's form has a <select name="board">: "All boards" first, then every board A to Z.

    Hint: pass boards_a_to_z() to search.html and add, inside its <form>, a
    <select name="board"> with <option value="">All boards</option> and one
    <option value="{{ board.slug }}"> per board.
    """
    forms = page(client.get("/search")).forms()
    form = next((form for form in forms if "q" in form.fields and "board" in form.fields), None)
    assert form is not None, 'the search page has no form with both a "q" field and a "board" menu'
    menu = form.fields["board"]
    options = [(node.get("value"), node.text()) for node in menu.descendants() if node.tag == "option"]
    assert menu.tag == "select" and options, "the board field is not a <select> with <option>s"
    assert options[0] == ("", "All boards"), f"the first option is {options[0]}"
    slugs = [
        link.get("href").removeprefix("/boards/")
        for link in page(client.get("/")).links()
        if link.inside("main") and link.get("href", "").startswith("/boards/")
    ]
    assert [value for value, _ in options[1:]] == slugs, "the options are not the boards' slugs, A to Z"


def test_a_search_in_one_board_finds_only_its_threads(client):
    """/search?q=rings&board=astronomy finds the Astronomy threads only; board= empty finds all.

    Hint: read request.args.get("board", "") in search() and, when it is set,
    keep only the threads whose thread["board"] is that slug.
    """
    saturn = create_thread(client, title="Saturn's rings", board="astronomy")
    onion = create_thread(client, title="Onion rings", board="baking")
    found = result_ids(client.get("/search?q=rings&board=astronomy"))
    assert found == [saturn], f"board=astronomy found threads {found}, not only {saturn}"
    everywhere = result_ids(client.get("/search?q=rings&board="))
    assert sorted(everywhere) == sorted([saturn, onion]), f"board= (All boards) found {everywhere}"


def test_an_unknown_board_is_refused(client):
    """A board that does not exist (board=nonsense) gets 400 or 404, not every thread.

    Hint: find_board(slug) is None for an unknown board: abort(404), or show the
    search page with a message and the status 400, as for a search that is too long.
    """
    create_thread(client, title="Saturn's rings")
    response = client.get("/search?q=rings&board=nonsense")
    assert response.status_code in (400, 404), f"board=nonsense answers {response.status_code}"
