"""Exercise 08.2 · Fewer threads at a time: ?limit=N on /api/boards/<slug>/threads."""

from forum import create_thread

ADDRESS = "/api/boards/astronomy/threads"


def seven_threads(client):
    """Seven threads on Astronomy; their ids, newest first."""
    return [create_thread(client, title=f"Thread {n}") for n in range(7)][::-1]


def test_limit_gives_that_many_threads_a_page(client):
    """?limit=5 gives the 5 most recently active threads, per_page says 5, and &page=2 the other 2.

    Hint: limit = request.args.get("limit", THREADS_PER_PAGE, type=int), then use
    limit wherever api_board_threads used THREADS_PER_PAGE.
    """
    ids = seven_threads(client)
    first = client.get(f"{ADDRESS}?limit=5").get_json()
    assert [thread["id"] for thread in first["threads"]] == ids[:5], f"?limit=5 gave {len(first['threads'])}"
    assert (first["per_page"], first["pages"]) == (5, 2), "per_page and pages do not follow the limit"
    second = client.get(f"{ADDRESS}?limit=5&page=2").get_json()
    assert [thread["id"] for thread in second["threads"]] == ids[5:], "?limit=5&page=2 is not the rest"


def test_a_limit_below_1_or_over_100_gets_a_json_400(client):
    """?limit=0, ?limit=-3 and ?limit=101 get a 400 in JSON that says what the limit may be.

    Hint: if not 1 <= limit <= 100: raise BadParameter("?limit= must be ...").
    """
    seven_threads(client)
    for limit in ("0", "-3", "101"):
        response = client.get(f"{ADDRESS}?limit={limit}")
        assert response.status_code == 400, f"?limit={limit} answers {response.status_code}"
        assert response.is_json and response.get_json()["error"]["status"] == 400


def test_still_50_a_page_without_a_limit(client):
    """Without ?limit=, or with one that is not a number (?limit=abc), a page still holds up to 50 threads.

    Hint: type=int gives the default for "abc": keep THREADS_PER_PAGE (50) as the default.
    """
    ids = seven_threads(client)
    for address in (ADDRESS, f"{ADDRESS}?limit=abc"):
        answer = client.get(address).get_json()
        assert [thread["id"] for thread in answer["threads"]] == ids, f"{address} lost threads"
        assert answer["per_page"] == 50, f"{address} says per_page {answer['per_page']}"
