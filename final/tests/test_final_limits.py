"""Nothing grows without bound: threads, API answers, a board's threads and images.

Each limit is a setting; the tests set small values so that they are quick.
"""

import os
import time

import imagefactory
import pytest
from forum import create_thread, post_form, post_ids, reply, stored_files, thread_ids_on_board

from chatsite.api import POSTS_PER_PAGE
from chatsite.reading import THREADS_PER_PAGE

# --- bump limit and reply limit ------------------------------------------------------


def test_a_thread_past_its_bump_limit_sinks(app, client):
    app.config["BUMP_LIMIT"] = 2
    old = create_thread(client, title="Old")
    new = create_thread(client, title="New")
    reply(client, old, "one")
    reply(client, old, "two")
    assert thread_ids_on_board(client) == [old, new]
    reply(client, new, "bump the new one")
    assert reply(client, old, "three: kept, but no bump").status_code == 303
    assert thread_ids_on_board(client) == [new, old]


def test_a_full_thread_is_closed_and_says_so(app, client, upload_folder):
    app.config["REPLY_LIMIT"] = 2
    thread = create_thread(client)
    reply(client, thread, "one")
    reply(client, thread, "two")
    before = post_ids(client, thread)
    page = client.get(f"/threads/{thread}").get_data(as_text=True)
    assert "has reached its reply limit and is closed" in page
    assert 'name="body"' not in page  # no reply form
    # Someone whose page was open before the thread filled up (the form and its token from then):
    fields = {"body": "three"}
    response = post_form(
        client, "/boards/astronomy", f"/threads/{thread}/replies", fields, ("x.png", imagefactory.png())
    )
    assert response.status_code == 403
    assert "limit of 2 replies" in response.get_data(as_text=True)
    assert post_ids(client, thread) == before
    assert stored_files(upload_folder) == []


# --- the API answers a page at a time ---------------------------------------------------


def test_the_board_api_is_paged(client, posting):
    ids = [posting.add_thread("chess", f"T{n}", "").id for n in range(THREADS_PER_PAGE + 1)]
    first = client.get("/api/boards/chess/threads").get_json()
    second = client.get("/api/boards/chess/threads?page=2").get_json()
    assert [t["id"] for t in first["threads"]] == ids[::-1][:THREADS_PER_PAGE]
    assert {key: first[key] for key in ("page", "per_page", "total", "pages")} == {
        "page": 1, "per_page": THREADS_PER_PAGE, "total": THREADS_PER_PAGE + 1, "pages": 2
    }  # fmt: skip
    assert [t["id"] for t in second["threads"]] == [ids[0]]
    assert first["board"]["thread_count"] == THREADS_PER_PAGE + 1


def test_the_thread_api_is_paged(client, posting):
    thread = posting.add_thread("chess", "Long", "0")
    for n in range(POSTS_PER_PAGE):
        posting.add_reply(thread.id, str(n + 1))
    first = client.get(f"/api/threads/{thread.id}/posts").get_json()
    second = client.get(f"/api/threads/{thread.id}/posts?page=2").get_json()
    assert len(first["posts"]) == POSTS_PER_PAGE
    assert [post["body"] for post in second["posts"]] == [str(POSTS_PER_PAGE)]
    assert (second["total"], second["pages"]) == (POSTS_PER_PAGE + 1, 2)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "9" * 10, "9" * 5000])
def test_a_bad_api_page_is_a_json_400_that_says_why(client, page):
    for url in ("/api/boards/chess/threads", "/api/threads/1/posts"):
        if url.startswith("/api/threads"):
            create_thread(client, board="chess")
        response = client.get(url, query_string={"page": page})
        assert response.status_code == 400
        assert "must be a whole number" in response.get_json()["error"]["message"]


def test_an_api_page_past_the_end_is_a_json_404(client):
    thread = create_thread(client)
    assert client.get("/api/boards/astronomy/threads?page=2").status_code == 404
    response = client.get(f"/api/threads/{thread}/posts?page=2")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


# --- a board's budget ---------------------------------------------------------------


def test_a_board_over_its_thread_limit_loses_its_least_active_thread_and_image(app, client, upload_folder):
    app.config["BOARD_THREAD_LIMIT"] = 2
    oldest = create_thread(client, title="Oldest", image=("o.png", imagefactory.png()))
    second = create_thread(client, title="Second")
    oldest_files = stored_files(upload_folder)  # the image and its thumbnail
    assert len(oldest_files) == 2
    third = create_thread(client, title="Third")
    assert thread_ids_on_board(client) == [third, second]
    assert client.get(f"/threads/{oldest}").status_code == 404
    assert stored_files(upload_folder) == []


def test_a_board_over_its_image_budget_loses_its_least_active_threads(app, client, upload_folder):
    """The budget counts the bytes as stored (re-encoded), one image per post."""
    red, green, blue = (imagefactory.png(30, 30, rgb) for rgb in [(200, 0, 0), (0, 200, 0), (0, 0, 200)])
    first = create_thread(client, title="First", image=("1.png", red))
    second = create_thread(client, title="Second", image=("2.png", green))
    posts = [client.get(f"/api/threads/{t}/posts").json["posts"][0] for t in (first, second)]
    first_size, second_size = (post["image"]["size"] for post in posts)
    app.config["BOARD_UPLOAD_BUDGET"] = first_size + second_size + second_size // 2  # room for two of them
    third = reply(client, create_thread(client, title="Third"), image=("3.png", blue))
    assert third.status_code == 303
    assert client.get(f"/threads/{first}").status_code == 404
    assert client.get(f"/threads/{second}").status_code == 200
    assert len(stored_files(upload_folder)) == 2 * 2  # two images, each with its thumbnail


# --- flask prune-uploads ------------------------------------------------------------------


def test_prune_uploads_removes_files_no_post_refers_to(client, runner, upload_folder):
    thread = create_thread(client, image=("kept.png", imagefactory.png()))
    kept = stored_files(upload_folder)  # the image and its thumbnail
    orphan = upload_folder / "astronomy" / "2020" / "01" / ("f" * 32 + ".png")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(imagefactory.png())
    young_orphan = orphan.with_name("e" * 32 + ".png")
    young_orphan.write_bytes(imagefactory.png())
    two_hours_ago = time.time() - 2 * 60 * 60
    for old in (orphan, *kept):
        os.utime(old, (two_hours_ago, two_hours_ago))
    result = runner.invoke(args=["prune-uploads"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 file" in result.output
    # The young one may belong to a post still on its way into the database.
    assert stored_files(upload_folder) == sorted([*kept, young_orphan])
    assert client.get(f"/threads/{thread}").status_code == 200


def test_prune_uploads_on_an_empty_site(runner):
    assert "Removed 0 files" in runner.invoke(args=["prune-uploads"]).output


# --- uploads are cached for a long time ------------------------------------------------------


def test_uploads_are_cached_as_immutable_and_only_for_this_site(client, upload_folder):
    create_thread(client, image=("c.png", imagefactory.png()))
    files = stored_files(upload_folder)
    assert [path.name.endswith(".thumb.jpg") for path in files] == [False, True]  # <sha>.png, <sha>.thumb.jpg
    for path in files:
        response = client.get("/uploads/" + path.relative_to(upload_folder).as_posix())
        assert response.status_code == 200
        assert response.cache_control.max_age == 365 * 24 * 60 * 60
        assert response.cache_control.immutable and response.cache_control.public
        assert not response.cache_control.no_cache
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert response.headers["Content-Disposition"] == f'inline; filename="{path.name}"'
        assert response.headers["Content-Security-Policy"].endswith("; sandbox")
