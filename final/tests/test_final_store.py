"""Tests of chatsite.store, the data layer: the database, without any HTTP in between.

The `store` fixture (conftest.py) runs each call in its own app context, as a
request would, on a fresh database.
"""

import threading
from datetime import timezone

import pytest

from chatsite.config import BOARDS
from chatsite.store import THREADS_PER_PAGE, Store, ThreadClosed, cut, get_store, search_words

SHA256 = "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882"  # of b"0123456789"
IMAGE = {
    "sha256": SHA256,
    "path": f"84/{SHA256}.png",
    "content_type": "image/png",
    "size": 10,
    "width": 1,
    "height": 1,
    "original_name": "sky.png",
    "md5": "eB5eJF1ptWaXm4bijSPyxw==",  # base64 of the MD5 of b"0123456789" (any 10 bytes)
    "thumbnail_path": f"84/{SHA256}.thumb.jpg",
    "thumbnail_width": 1,
    "thumbnail_height": 1,
}


def test_boards_are_a_to_z_with_thread_counts(store):
    store.add_thread("chess", "One", "")
    boards = store.boards()
    names = [board["name"] for board in boards]
    assert names == sorted(names, key=str.lower)
    assert len(boards) == 15
    counts = {board["slug"]: board["thread_count"] for board in boards}
    assert counts["chess"] == 1
    assert counts["astronomy"] == 0


def test_board_by_slug(store):
    assert store.board("chess")["name"] == "Chess"
    assert store.board("no-such-board") is None


def test_boards_are_copies(store):
    store.boards()[0]["name"] = "Changed"
    store.board("chess")["name"] = "Changed"
    assert store.boards()[0]["name"] == "Astronomy"
    assert store.board("chess")["name"] == "Chess"


def test_add_thread_returns_the_thread_with_an_opening_post(store):
    thread = store.add_thread("astronomy", "Saturn", "Rings!")
    assert thread["id"] == 1
    assert thread["board"] == "astronomy"
    assert thread["title"] == "Saturn"
    assert thread["reply_count"] == 0
    assert thread["post_count"] == 1
    assert thread["created_at"] == thread["bumped_at"]
    assert thread["created_at"].tzinfo == timezone.utc
    [post] = store.posts(thread["id"])
    assert post["body"] == "Rings!"
    assert post["thread_id"] == thread["id"]
    assert post["image"] is None


def test_thread_with_only_a_title_has_no_posts(store):
    thread = store.add_thread("astronomy", "Just a title", "")
    assert thread["post_count"] == 0
    assert store.posts(thread["id"]) == []


def test_thread_can_start_with_only_an_image(store):
    thread = store.add_thread("astronomy", "Look", "", image=IMAGE)
    assert store.posts(thread["id"])[0]["image"] == IMAGE


def test_add_thread_on_an_unknown_board_raises(store):
    with pytest.raises(KeyError):
        store.add_thread("no-such-board", "Title", "")


def test_thread_by_id(store):
    thread = store.add_thread("astronomy", "Saturn", "")
    assert store.thread(thread["id"]) == thread
    assert store.thread(thread["id"] + 1) is None
    assert store.posts(thread["id"] + 1) is None


def test_add_reply_returns_the_post_and_bumps_the_thread(store):
    older = store.add_thread("astronomy", "Older", "first")
    newer = store.add_thread("astronomy", "Newer", "")
    post = store.add_reply(older["id"], "a reply", image=IMAGE)
    assert post["thread_id"] == older["id"]
    assert post["image"] == IMAGE
    thread = store.thread(older["id"])
    assert thread["reply_count"] == 1
    assert thread["post_count"] == 2
    assert thread["bumped_at"] == post["created_at"] >= thread["created_at"]
    threads, total = store.board_page("astronomy", 1)
    assert [t["id"] for t in threads] == [older["id"], newer["id"]]
    assert total == 2


def test_add_reply_to_an_unknown_thread_raises(store):
    with pytest.raises(KeyError):
        store.add_reply(1, "nobody home")


def test_posts_are_oldest_first_and_ids_increase(store):
    thread = store.add_thread("astronomy", "T", "one")
    store.add_reply(thread["id"], "two")
    store.add_reply(thread["id"], "three")
    posts = store.posts(thread["id"])
    assert [post["body"] for post in posts] == ["one", "two", "three"]
    ids = [post["id"] for post in posts]
    assert ids == sorted(ids)


def test_posts_are_a_snapshot(store):
    thread = store.add_thread("astronomy", "T", "one")
    posts = store.posts(thread["id"])
    store.add_reply(thread["id"], "two")
    assert len(posts) == 1
    posts[0]["body"] = "changed"
    assert store.posts(thread["id"])[0]["body"] == "one"


def test_images_are_copied_in_and_out(store):
    image = dict(IMAGE)
    thread = store.add_thread("astronomy", "T", "", image=image)
    image["width"] = 999
    store.posts(thread["id"])[0]["image"]["height"] = 999
    assert store.posts(thread["id"])[0]["image"] == IMAGE


def test_thread_is_a_snapshot(store):
    thread = store.add_thread("astronomy", "T", "one")
    store.add_reply(thread["id"], "two")
    assert thread["reply_count"] == 0
    assert "posts" not in thread


def test_board_page_paginates_newest_first(store):
    ids = [store.add_thread("astronomy", f"Thread {n}", "")["id"] for n in range(THREADS_PER_PAGE + 1)]
    first, total = store.board_page("astronomy", 1)
    second, _ = store.board_page("astronomy", 2)
    beyond, _ = store.board_page("astronomy", 3)
    assert total == THREADS_PER_PAGE + 1
    assert [t["id"] for t in first] == ids[::-1][:THREADS_PER_PAGE]
    assert [t["id"] for t in second] == [ids[0]]
    assert beyond == []
    assert store.board_page("astronomy", 10**20) == ([], THREADS_PER_PAGE + 1)


def test_board_page_with_a_smaller_page_size(store):
    ids = [store.add_thread("chess", f"T{n}", "")["id"] for n in range(5)]
    threads, total = store.board_page("chess", 2, per_page=2)
    assert [t["id"] for t in threads] == [ids[2], ids[1]]
    assert total == 5


def test_search_words_are_letters_and_digits_once_each():
    words = search_words('Saturn, "rings" OR saturn* NEAR(x) ünïcode_2')
    assert words == ["saturn", "rings", "or", "near", "x", "ünïcode", "2"]
    assert search_words("a b c d e f g h i j") == list("abcdefgh")
    assert search_words("*** ---") == []


def test_board_page_of_an_unknown_board_raises(store):
    with pytest.raises(KeyError):
        store.board_page("no-such-board", 1)


def test_posts_page_pages_a_thread_oldest_first(store):
    thread = store.add_thread("chess", "Long", "0")
    for n in range(1, 5):
        store.add_reply(thread["id"], str(n))
    first, total = store.posts_page(thread["id"], 1, 2)
    last, _ = store.posts_page(thread["id"], 3, 2)
    assert total == 5
    assert [post["body"] for post in first] == ["0", "1"]
    assert [post["body"] for post in last] == ["4"]
    assert store.posts_page(thread["id"], 4, 2) == ([], 5)
    with pytest.raises(KeyError):
        store.posts_page(thread["id"] + 1, 1, 2)


def test_replies_past_the_bump_limit_do_not_bump(store):
    old = store.add_thread("astronomy", "Old", "first")
    new = store.add_thread("astronomy", "New", "")
    for n in range(3):
        store.add_reply(old["id"], f"reply {n}", bump_limit=3)
    assert [t["id"] for t in store.board_page("astronomy", 1)[0]] == [old["id"], new["id"]]
    store.add_reply(new["id"], "bump new")
    store.add_reply(old["id"], "the fourth reply", bump_limit=3)  # kept, but no bump
    assert [t["id"] for t in store.board_page("astronomy", 1)[0]] == [new["id"], old["id"]]
    assert store.thread(old["id"])["reply_count"] == 4


def test_a_thread_at_its_reply_limit_is_closed(store):
    thread = store.add_thread("astronomy", "Short", "first")
    for n in range(2):
        store.add_reply(thread["id"], f"reply {n}", reply_limit=2)
    with pytest.raises(ThreadClosed):
        store.add_reply(thread["id"], "one too many", reply_limit=2)
    assert store.thread(thread["id"])["reply_count"] == 2
    assert len(store.posts(thread["id"])) == 3


def test_prune_board_deletes_the_least_recently_active_threads(store):
    oldest = store.add_thread("chess", "Oldest", "", image={**IMAGE, "path": "chess/a.png", "size": 100})
    middle = store.add_thread("chess", "Middle", "x")
    newest = store.add_thread("chess", "Newest", "", image={**IMAGE, "path": "chess/b.png", "size": 100})
    store.add_reply(oldest["id"], "bumped: now the most recently active")
    other = store.add_thread("astronomy", "Another board", "", image={**IMAGE, "path": "astro/c.png"})
    assert store.prune_board("chess", 3, 10**9) == []
    assert store.prune_board("chess", 2, 10**9) == []  # Middle has no image
    assert store.thread(middle["id"]) is None
    assert store.prune_board("chess", 5, 150) == ["chess/b.png"]  # over the byte budget
    assert store.thread(newest["id"]) is None
    assert store.thread(oldest["id"]) is not None
    assert store.thread(other["id"]) is not None
    assert store.image_paths() == {"chess/a.png", "astro/c.png", IMAGE["thumbnail_path"]}


def test_search_needs_every_word_and_ignores_case(store):
    both = store.add_thread("astronomy", "Saturn rings", "Seen through a TELESCOPE")
    store.add_thread("astronomy", "Saturn only", "")
    [result], total = store.search("telescope SATURN")
    assert total == 1
    assert result["thread"]["id"] == both["id"]
    assert result["board"]["name"] == "Astronomy"
    assert result["excerpt"] == "Seen through a TELESCOPE"


def test_search_is_newest_activity_first_across_boards(store):
    older = store.add_thread("chess", "Moon opening", "")
    newer = store.add_thread("astronomy", "Moon photo", "")
    assert [r["thread"]["id"] for r in store.search("moon")[0]] == [newer["id"], older["id"]]
    store.add_reply(older["id"], "bump")
    assert [r["thread"]["id"] for r in store.search("moon")[0]] == [older["id"], newer["id"]]


def test_a_word_finds_words_that_start_with_it_in_titles_and_posts(store):
    title = store.add_thread("astronomy", "Telescopes compared", "")
    post = store.add_thread("astronomy", "Gear", "My telescope arrived")
    store.add_thread("astronomy", "Radio", "A radiotelescope is huge")  # "tele" is inside, not at the start
    found, total = store.search("tele")
    assert [r["thread"]["id"] for r in found] == [post["id"], title["id"]]
    assert total == 2


def test_search_pages(store):
    ids = [store.add_thread("astronomy", f"Comet {n}", "")["id"] for n in range(5)]
    first, total = store.search("comet", page=1, per_page=2)
    third, _ = store.search("comet", page=3, per_page=2)
    assert total == 5
    assert [r["thread"]["id"] for r in first] == [ids[4], ids[3]]
    assert [r["thread"]["id"] for r in third] == [ids[0]]
    assert store.search("comet", page=4, per_page=2) == ([], 5)
    assert store.search("comet", page=10**20) == ([], 5)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_finds_nothing(store, query):
    store.add_thread("astronomy", "Anything", "")
    assert store.search(query) == ([], 0)


def test_search_excerpts(store):
    store.add_thread("astronomy", "Title word", "")
    store.add_thread("chess", "Title word", "A first post without it")
    [in_chess, title_only], _ = store.search("word")
    assert title_only["excerpt"] == ""
    assert in_chess["excerpt"] == "A first post without it"


def test_excerpt_is_cut_around_the_word_in_the_first_post_that_has_it(store):
    long_body = "x" * 300 + " needle " + "y" * 300
    thread = store.add_thread("astronomy", "Haystack", "nothing")
    store.add_reply(thread["id"], long_body)
    store.add_reply(thread["id"], "a later needle")
    [result], _ = store.search("needle")
    text = result["excerpt"]
    assert text.startswith("…") and text.endswith("…")
    assert "needle" in text
    assert len(text) == 162


def test_cut_marks_what_was_left_out():
    assert cut("abcdef", 0, 10) == "abcdef"
    assert cut("abcdef", 0, 3) == "abc…"
    assert cut("abcdef", 2, 10) == "…cdef"


def test_duplicate_slugs_in_the_settings_are_refused():
    with pytest.raises(ValueError, match="same slug"):
        Store([BOARDS[0], BOARDS[0]])


def test_get_store_is_the_current_apps_store(app):
    with app.app_context():
        assert get_store() is app.extensions["store"]


def test_concurrent_writes_lose_nothing_and_never_repeat_an_id(store):
    """8 threads each start 25 threads and post 100 replies at the same time."""
    target = store.add_thread("astronomy", "Busy", "opening")
    start = threading.Barrier(8)
    posts, threads = [], []

    def work(worker):
        start.wait()
        for number in range(100):
            posts.append(store.add_reply(target["id"], f"{worker}-{number}"))
            if number % 4 == 0:
                threads.append(store.add_thread(BOARDS[worker]["slug"], f"{worker}-{number}", "x"))

    workers = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    stored = store.posts(target["id"])
    assert len(stored) == 801
    assert len({post["id"] for post in stored}) == 801
    assert {post["id"] for post in posts} <= {post["id"] for post in stored}
    assert store.thread(target["id"])["reply_count"] == 800
    assert len({thread["id"] for thread in threads}) == 200
    all_post_ids = {post["id"] for post in posts} | {
        store.posts(thread["id"])[0]["id"] for thread in threads
    }
    assert len(all_post_ids) == 1000
    assert sum(board["thread_count"] for board in store.boards()) == 201
