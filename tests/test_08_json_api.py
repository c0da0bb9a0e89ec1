"""Step 08: a read-only JSON API under /api/, with JSON errors."""

import re
from datetime import datetime

import imagefactory
import pytest
from flask import request
from forum import create_thread, page, reply

pytestmark = pytest.mark.since("08")

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)")


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_iso_utc(text):
    assert ISO_UTC.fullmatch(text), text
    datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_boards_with_thread_counts(client):
    create_thread(client, board="chess")
    create_thread(client, board="chess")
    boards = get_json(client, "/api/boards")["boards"]
    assert [board["name"] for board in boards] == sorted((b["name"] for b in boards), key=str.lower)
    chess = next(board for board in boards if board["slug"] == "chess")
    assert chess["name"] == "Chess"
    assert chess["description"]
    assert chess["thread_count"] == 2
    assert next(b for b in boards if b["slug"] == "astronomy")["thread_count"] == 0


def test_board_threads_newest_activity_first(client):
    older = create_thread(client, title="Older")
    newer = create_thread(client, title="Newer")
    reply(client, older, "bump")
    data = get_json(client, "/api/boards/astronomy/threads")
    assert data["board"]["slug"] == "astronomy"
    assert data["board"]["thread_count"] == 2
    assert [thread["id"] for thread in data["threads"]] == [older, newer]
    first = data["threads"][0]
    assert first["title"] == "Older"
    assert first["reply_count"] == 1
    assert data["threads"][1]["reply_count"] == 0
    assert_iso_utc(first["created_at"])
    assert_iso_utc(first["bumped_at"])
    assert first["bumped_at"] >= first["created_at"]
    assert first["url"].endswith(f"/api/threads/{older}/posts")


def test_thread_posts_oldest_first_with_images(client):
    thread_id = create_thread(client, title="<b>Title</b>", body="Opening post")
    reply(client, thread_id, "With a picture", image=("sky.png", imagefactory.png(4, 3)))
    data = get_json(client, f"/api/threads/{thread_id}/posts")
    thread = data["thread"]
    assert thread["id"] == thread_id
    assert thread["board"] == "astronomy"
    assert thread["title"] == "<b>Title</b>"  # JSON carries the raw text; escaping is HTML's job
    assert_iso_utc(thread["created_at"])
    first, second = data["posts"]
    assert first["body"] == "Opening post" and first["image"] is None
    assert first["id"] < second["id"]
    assert second["thread_id"] == thread_id
    assert_iso_utc(second["created_at"])
    image = second["image"]
    assert image["content_type"] == "image/png"
    assert (image["width"], image["height"]) == (4, 3)
    assert image["original_name"] == "sky.png"
    path = re.sub(r"^https?://[^/]+", "", image["url"])
    served = client.get(path).data
    # The stored file's size: the upload's until step 15, Pillow's re-encoding from step 16.
    assert (image["size"], served[:8]) == (len(served), imagefactory.PNG_SIGNATURE)


def test_thread_page_links_to_its_json(client):
    thread_id = create_thread(client)
    assert f"/api/threads/{thread_id}/posts" in page(client.get(f"/threads/{thread_id}")).hrefs()


@pytest.mark.parametrize(
    "url",
    ["/api/threads/999/posts", "/api/boards/no-such-board/threads", "/api/nothing", "/api/threads/x/posts"],
)
def test_api_404_is_json(client, url):
    create_thread(client)
    error = get_json(client, url, status=404)["error"]
    assert error["status"] == 404
    assert isinstance(error["message"], str) and error["message"]
    # Pages for people still answer with HTML.
    assert client.get("/boards/no-such-board").mimetype == "text/html"


def test_api_405_is_json(client):
    response = client.post("/api/boards")
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 405
    assert "GET" in response.headers["Allow"]


def test_api_500_is_json(app, client):
    @app.get("/api/test-only/crash")
    def crash():
        raise RuntimeError("secret detail")

    response = client.get("/api/test-only/crash")
    assert response.status_code == 500
    assert response.get_json()["error"]["status"] == 500
    assert "secret detail" not in response.get_data(as_text=True)


def test_api_413_is_json(app, client):
    @app.post("/api/test-only/upload")
    def upload():
        return {"fields": len(request.form)}

    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/api/test-only/upload", data={"body": "x" * 500})
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413


def test_the_board_api_answers_50_threads_a_page(client):
    ids = [create_thread(client, title=f"T{n}", board="chess") for n in range(51)]
    first = get_json(client, "/api/boards/chess/threads")
    second = get_json(client, "/api/boards/chess/threads?page=2")
    assert [thread["id"] for thread in first["threads"]] == ids[::-1][:50]
    assert {key: first[key] for key in ("page", "per_page", "total", "pages")} == {
        "page": 1, "per_page": 50, "total": 51, "pages": 2
    }  # fmt: skip
    assert [thread["id"] for thread in second["threads"]] == [ids[0]]
    assert second["page"] == 2
    assert first["board"]["thread_count"] == 51


def test_the_thread_api_answers_100_posts_a_page(client):
    thread_id = create_thread(client, body="0")
    for n in range(100):
        reply(client, thread_id, str(n + 1))
    first = get_json(client, f"/api/threads/{thread_id}/posts")
    second = get_json(client, f"/api/threads/{thread_id}/posts?page=2")
    assert [post["body"] for post in first["posts"]] == [str(n) for n in range(100)]
    assert [post["body"] for post in second["posts"]] == ["100"]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 100, 101, 2)
    assert second["thread"]["id"] == thread_id


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "9" * 10, "9" * 5000])
def test_a_bad_api_page_is_a_json_400_that_says_why(client, page):
    thread_id = create_thread(client, board="chess")
    for url in ("/api/boards/chess/threads", f"/api/threads/{thread_id}/posts"):
        response = client.get(url, query_string={"page": page})
        assert response.status_code == 400
        assert response.mimetype == "application/json"
        message = response.get_json()["error"]["message"]
        assert message == "?page= must be a whole number from 1 to 999999999."


def test_an_api_page_past_the_end_is_a_json_404(client):
    thread_id = create_thread(client)
    assert get_json(client, "/api/boards/astronomy/threads?page=1")["threads"]
    get_json(client, "/api/boards/astronomy/threads?page=2", status=404)
    get_json(client, "/api/boards/chess/threads?page=2", status=404)
    assert get_json(client, "/api/boards/chess/threads")["pages"] == 1  # an empty board has its page 1
    error = get_json(client, f"/api/threads/{thread_id}/posts?page=2", status=404)["error"]
    assert error["status"] == 404
