"""Integration tests through the test client: what the staged suite does not cover."""

import re

import imagefactory
import pytest
from forum import create_thread, reply, stored_files, thread_ids_on_board

import chatsite.files
from chatsite.reading import THREADS_PER_PAGE
from chatsite.text_search import RESULTS_PER_PAGE

# --- board pages, 50 threads a page ----------------------------------------------


def fill(posting, count, board="astronomy"):
    """Start `count` threads on a board; return their ids, oldest first."""
    return [posting.add_thread(board, f"Thread {n}", "").id for n in range(count)]


def test_51_threads_make_two_pages(client, posting):
    ids = fill(posting, THREADS_PER_PAGE + 1)
    first = thread_ids_on_board(client)
    assert first == ids[::-1][:THREADS_PER_PAGE]
    html = client.get("/boards/astronomy?page=2").get_data(as_text=True)
    assert re.findall(r'href="/threads/(\d+)"', html) == [str(ids[0])]


def test_pages_link_to_each_other(client, posting):
    fill(posting, 2 * THREADS_PER_PAGE + 1)
    first = client.get("/boards/astronomy").get_data(as_text=True)
    assert 'rel="next" href="/boards/astronomy?page=2"' in first
    assert 'rel="prev"' not in first
    assert "Page 1 of 3" in first
    middle = client.get("/boards/astronomy?page=2").get_data(as_text=True)
    # Page 1 is the board's own address, without ?page=1.
    assert 'rel="prev" href="/boards/astronomy"' in middle
    assert 'rel="next" href="/boards/astronomy?page=3"' in middle
    last = client.get("/boards/astronomy?page=3").get_data(as_text=True)
    assert 'rel="prev" href="/boards/astronomy?page=2"' in last
    assert 'rel="next"' not in last
    assert "Page 3 of 3" in last


def test_one_page_shows_no_page_links(client, posting):
    fill(posting, THREADS_PER_PAGE)
    html = client.get("/boards/astronomy").get_data(as_text=True)
    assert 'class="pagination"' not in html
    assert client.get("/boards/astronomy?page=2").status_code == 404


@pytest.mark.parametrize("page", ["3", "0", "-1", "abc", "", "1.5", "²", "99999999999999999999"])
def test_pages_that_do_not_exist_are_404(client, page, posting):
    fill(posting, THREADS_PER_PAGE + 1)
    response = client.get(f"/boards/astronomy?page={page}")
    assert response.status_code == 404
    assert 'class="card error-page"' in response.get_data(as_text=True)


def test_an_empty_board_has_its_first_page(client):
    assert client.get("/boards/astronomy?page=1").status_code == 200
    assert client.get("/boards/astronomy?page=2").status_code == 404


def test_a_reply_brings_a_thread_back_to_page_one(client, posting):
    ids = fill(posting, THREADS_PER_PAGE + 1)
    assert ids[0] not in thread_ids_on_board(client)
    assert reply(client, ids[0], "bump").status_code == 303
    assert thread_ids_on_board(client)[0] == ids[0]


def test_board_page_counts_posts(client, posting):
    empty = posting.add_thread("astronomy", "Empty", "")
    one = posting.add_thread("astronomy", "One", "first")
    posting.add_reply(one.id, "second")
    html = client.get("/boards/astronomy").get_data(as_text=True)
    assert "2 posts" in html
    assert "0 posts" in html
    assert empty.post_count == 0


def test_refused_thread_form_shows_the_first_page(submit, posting):
    fill(posting, THREADS_PER_PAGE + 1)
    response = submit("/boards/astronomy?page=2", "/boards/astronomy/threads", {"body": "no title"})
    assert response.status_code == 400
    assert "Page 1 of 2" in response.get_data(as_text=True)


# --- uploads ------------------------------------------------------------------------


def test_a_failed_save_leaves_no_part_file(client, upload_folder, monkeypatch, caplog):
    thread_id = create_thread(client)

    def disk_full(source, destination):
        raise OSError("No space left on device")

    monkeypatch.setattr(chatsite.files.os, "replace", disk_full)
    response = reply(client, thread_id, "pic", image=("a.png", imagefactory.png()))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert stored_files(upload_folder) == []
    assert any("No space left" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_hidden_characters_and_folders_are_dropped_from_the_alt_text(client):
    thread_id = create_thread(client)
    name = "../photos/sky\u202e\x07.png"
    assert reply(client, thread_id, image=(name, imagefactory.png())).status_code == 303
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert 'alt="sky.png"' in html


# --- the app as a whole ------------------------------------------------------------


def test_routes_are_the_same_as_step_12(app):
    rules = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    assert rules == {
        "/": {"GET"},
        "/boards/<slug>": {"GET"},
        "/boards/<slug>/threads": {"POST"},
        "/threads/<id:thread_id>": {"GET"},
        "/threads/<id:thread_id>/replies": {"POST"},
        "/search": {"GET"},
        "/uploads/<path:filename>": {"GET"},
        "/api/boards": {"GET"},
        "/api/boards/<slug>/threads": {"GET"},
        "/api/threads/<id:thread_id>/posts": {"GET"},
        "/static/<path:filename>": {"GET"},
        # Steps 11 to 13: reports, staff accounts and the moderators' pages.
        "/posts/<id:post_id>/report": {"GET", "POST"},
        "/login": {"GET", "POST"},
        "/logout": {"POST"},
        "/mod/": {"GET"},
        "/mod/reports": {"GET"},
        "/mod/reports/<id:report_id>/dismiss": {"POST"},
        "/mod/log": {"GET"},
        "/mod/posts/<id:post_id>/delete": {"POST"},
        "/mod/threads/<id:thread_id>/delete": {"POST"},
        "/mod/threads/<id:thread_id>/lock": {"POST"},
        "/mod/threads/<id:thread_id>/unlock": {"POST"},
        "/mod/threads/<id:thread_id>/pin": {"POST"},
        "/mod/threads/<id:thread_id>/unpin": {"POST"},
        "/mod/threads/<id:thread_id>/move": {"POST"},
        "/mod/users": {"GET", "POST"},
        "/mod/users/<id:user_id>/role": {"POST"},
        "/mod/users/<id:user_id>/disable": {"POST"},
        "/mod/users/<id:user_id>/enable": {"POST"},
        # Step 15: a thread page's live updates (a WebSocket).
        "/threads/<id:thread_id>/live": {"GET"},
        # Added since: 4chan's read-only API (fourchan.py).
        "/boards.json": {"GET"},
        "/<board>/threads.json": {"GET"},
        "/<board>/catalog.json": {"GET"},
        "/<board>/thread/<number>.json": {"GET"},
        "/<board>/archive.json": {"GET"},
        "/<board>/<fourchan_file:name>": {"GET"},
        # ...and the API's description, in OpenAPI (api.py).
        "/api/openapi.json": {"GET"},
    }


def test_the_runner_runs_the_apps_commands(app, runner):
    """The app has no commands of its own yet; one added to app.cli runs like this."""

    @app.cli.command("hello")
    def hello():
        print("Hello from", app.name)

    result = runner.invoke(args=["hello"])
    assert result.output == "Hello from chatsite\n"


def test_api_counts_agree_with_the_pages(client, posting):
    fill(posting, 3, board="chess")
    boards = client.get("/api/boards").get_json()["boards"]
    assert next(b for b in boards if b["slug"] == "chess")["thread_count"] == 3
    data = client.get("/api/boards/chess/threads").get_json()
    assert data["board"]["thread_count"] == len(data["threads"]) == 3
    assert data["board"]["url"] == "http://localhost/api/boards/chess/threads"


def test_api_times_are_utc_with_milliseconds(client, posting):
    thread = posting.add_thread("astronomy", "T", "body")
    data = client.get(f"/api/threads/{thread.id}/posts").get_json()
    created = data["thread"]["created_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created)
    assert data["posts"][0]["created_at"] == created
    assert data["thread"]["url"] == f"http://localhost/threads/{thread.id}"


def test_head_requests_need_no_token(client):
    assert client.head("/boards/astronomy").status_code == 200


def test_search_results_come_a_page_at_a_time(client, posting):
    for n in range(RESULTS_PER_PAGE + 1):
        posting.add_thread("astronomy", f"Comet {n}", "")
    first = client.get("/search?q=comet").get_data(as_text=True)
    assert f"{RESULTS_PER_PAGE + 1} threads found" in first
    assert 'rel="next" href="/search?q=comet&amp;page=2"' in first
    second = client.get("/search?q=comet&page=2").get_data(as_text=True)
    assert 'rel="prev" href="/search?q=comet"' in second
    assert "Comet 0<" in second
    assert client.get("/search?q=comet&page=3").status_code == 404


def test_a_search_typed_with_combining_accents_finds_the_stored_text(client, posting):
    wanted = posting.add_thread("astronomy", "Café au lait", "").id
    html = client.get("/search", query_string={"q": "cafe\u0301"}).get_data(as_text=True)
    assert f'href="/threads/{wanted}"' in html
