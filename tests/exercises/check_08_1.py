"""Exercise 08.1 · Search as JSON: GET /api/search?q=… lists the threads the search finds."""

from forum import create_thread, reply


def test_api_search_lists_the_threads_it_finds(client):
    """GET /api/search?q=rings answers {"threads": [...]}: the threads found, newest activity first.

    Each thread is shown as the board's list of threads shows it (thread_json).

    Hint: a view @app.get("/api/search") that reads ?q= like search() does and returns
    {"query": query, "threads": [thread_json(thread) for thread, board, text in find_threads(query)]}.
    """
    older = create_thread(client, title="Saturn's rings")
    newer = create_thread(client, title="Jupiter's rings", board="astronomy")
    create_thread(client, title="Bread", board="baking")
    reply(client, older, "Still the best rings")  # now the most recently active
    response = client.get("/api/search?q=rings")
    assert response.status_code == 200 and response.is_json, f"/api/search answers {response.status}"
    found = response.get_json().get("threads")
    assert isinstance(found, list), 'the answer has no list "threads"'
    assert [thread.get("id") for thread in found] == [older, newer], f"found {found}"
    board = client.get("/api/boards/astronomy/threads").get_json()
    listed = {thread["id"]: thread for thread in board["threads"]}
    assert found == [listed[older], listed[newer]], "the threads are not made with thread_json"


def test_a_search_over_200_characters_gets_a_json_400(client):
    """A query of 201 characters gets a 400 in JSON: {"error": {"status": 400, "message": ...}}.

    Hint: abort(400) (or raise BadParameter("...")) in a view under /api/ answers in JSON.
    """
    response = client.get("/api/search", query_string={"q": "a" * 201})
    assert response.status_code == 400, f"a 201-character query answers {response.status_code}"
    assert response.is_json and response.get_json()["error"]["status"] == 400, "the 400 is not JSON"
