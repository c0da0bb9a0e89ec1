"""Tests of the data layer (reading.py, posting.py, text_search.py...): the
database, without any HTTP in between.

The fixtures (conftest.py) run each call in its own app context, as a request
would, on a fresh database. What comes back are models (models.Thread, Post...).
"""

import threading
from datetime import timezone

import pytest
from flask import Flask

from chatsite import files
from chatsite.config import BOARDS
from chatsite.models import Thread
from chatsite.posting import ThreadClosed
from chatsite.reading import THREADS_PER_PAGE, init_app
from chatsite.text_search import cut, search_words

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


def columns(image):
    """An image's columns, as IMAGE names them."""
    return {name: getattr(image, name) for name in IMAGE}


def test_boards_are_a_to_z_with_thread_counts(posting, reading):
    posting.add_thread("chess", "One", "")
    boards = reading.all_boards()
    names = [board.name for board in boards]
    assert names == sorted(names, key=str.lower)
    assert len(boards) == 15
    counts = {board.slug: board.thread_count for board in boards}
    assert counts["chess"] == 1
    assert counts["astronomy"] == 0


def test_board_by_slug(reading):
    assert reading.find_board("chess").name == "Chess"
    assert reading.find_board("chess").thread_count is None  # counted only by all_boards
    assert reading.find_board("no-such-board") is None


def test_add_thread_returns_the_thread_with_an_opening_post(posting, reading):
    thread = posting.add_thread("astronomy", "Saturn", "Rings!")
    assert thread.id == 1
    assert thread.board == "astronomy"
    assert thread.title == "Saturn"
    assert thread.reply_count == 0
    assert thread.post_count == 1
    assert thread.created_at == thread.bumped_at
    assert thread.created_at.tzinfo == timezone.utc
    [post] = reading.thread_posts(thread.id)
    assert post.body == "Rings!"
    assert post.thread_id == thread.id
    assert post.image is None


def test_thread_with_only_a_title_has_no_posts(posting, reading):
    thread = posting.add_thread("astronomy", "Just a title", "")
    assert thread.post_count == 0
    assert reading.thread_posts(thread.id) == []


def test_thread_can_start_with_only_an_image(posting, reading):
    thread = posting.add_thread("astronomy", "Look", "", upload=IMAGE)
    assert columns(reading.thread_posts(thread.id)[0].image) == IMAGE


def test_add_thread_on_an_unknown_board_raises(posting):
    with pytest.raises(KeyError):
        posting.add_thread("no-such-board", "Title", "")


def test_thread_by_id(posting, reading, get):
    thread = posting.add_thread("astronomy", "Saturn", "")
    assert get(Thread, thread.id).title == "Saturn"
    assert get(Thread, thread.id + 1) is None
    assert reading.thread_posts(thread.id + 1) == []


def test_add_reply_returns_the_post_and_bumps_the_thread(posting, reading, get):
    older = posting.add_thread("astronomy", "Older", "first")
    newer = posting.add_thread("astronomy", "Newer", "")
    post = posting.add_reply(older.id, "a reply", upload=IMAGE)
    assert post.thread_id == older.id
    assert columns(post.image) == IMAGE
    thread = get(Thread, older.id)
    assert thread.reply_count == 1
    assert thread.post_count == 2
    assert thread.bumped_at == post.created_at >= thread.created_at
    threads, total = reading.board_page("astronomy", 1)
    assert [t.id for t in threads] == [older.id, newer.id]
    assert total == 2


def test_add_reply_to_an_unknown_thread_raises(posting):
    with pytest.raises(KeyError):
        posting.add_reply(1, "nobody home")


def test_posts_are_oldest_first_and_ids_increase(posting, reading):
    thread = posting.add_thread("astronomy", "T", "one")
    posting.add_reply(thread.id, "two")
    posting.add_reply(thread.id, "three")
    posts = reading.thread_posts(thread.id)
    assert [post.body for post in posts] == ["one", "two", "three"]
    ids = [post.id for post in posts]
    assert ids == sorted(ids)


def test_posts_are_a_snapshot(posting, reading):
    thread = posting.add_thread("astronomy", "T", "one")
    posts = reading.thread_posts(thread.id)
    posting.add_reply(thread.id, "two")
    assert len(posts) == 1


def test_the_upload_description_is_copied_in(posting, reading):
    image = dict(IMAGE)
    thread = posting.add_thread("astronomy", "T", "", upload=image)
    image["width"] = 999
    assert columns(reading.thread_posts(thread.id)[0].image) == IMAGE


def test_thread_is_a_snapshot(posting):
    thread = posting.add_thread("astronomy", "T", "one")
    posting.add_reply(thread.id, "two")
    assert thread.reply_count == 0


def test_board_page_paginates_newest_first(posting, reading):
    ids = [posting.add_thread("astronomy", f"Thread {n}", "").id for n in range(THREADS_PER_PAGE + 1)]
    first, total = reading.board_page("astronomy", 1)
    second, _ = reading.board_page("astronomy", 2)
    beyond, _ = reading.board_page("astronomy", 3)
    assert total == THREADS_PER_PAGE + 1
    assert [t.id for t in first] == ids[::-1][:THREADS_PER_PAGE]
    assert [t.id for t in second] == [ids[0]]
    assert beyond == []
    assert reading.board_page("astronomy", 10**20) == ([], THREADS_PER_PAGE + 1)


def test_board_page_with_a_smaller_page_size(posting, reading):
    ids = [posting.add_thread("chess", f"T{n}", "").id for n in range(5)]
    threads, total = reading.board_page("chess", 2, per_page=2)
    assert [t.id for t in threads] == [ids[2], ids[1]]
    assert total == 5


def test_search_words_are_letters_and_digits_once_each():
    words = search_words('Saturn, "rings" OR saturn* NEAR(x) ünïcode_2')
    assert words == ["saturn", "rings", "or", "near", "x", "ünïcode", "2"]
    assert search_words("a b c d e f g h i j") == list("abcdefgh")
    assert search_words("*** ---") == []


def test_posts_page_pages_a_thread_oldest_first(posting, reading, get):
    thread = posting.add_thread("chess", "Long", "0")
    for n in range(1, 5):
        posting.add_reply(thread.id, str(n))
    thread = get(Thread, thread.id)
    first, total = reading.posts_page(thread, 1, 2)
    last, _ = reading.posts_page(thread, 3, 2)
    assert total == 5
    assert [post.body for post in first] == ["0", "1"]
    assert [post.body for post in last] == ["4"]
    assert reading.posts_page(thread, 4, 2) == ([], 5)


def test_replies_past_the_bump_limit_do_not_bump(posting, reading, get):
    old = posting.add_thread("astronomy", "Old", "first")
    new = posting.add_thread("astronomy", "New", "")
    for n in range(3):
        posting.add_reply(old.id, f"reply {n}", bump_limit=3)
    assert [t.id for t in reading.board_page("astronomy", 1)[0]] == [old.id, new.id]
    posting.add_reply(new.id, "bump new")
    posting.add_reply(old.id, "the fourth reply", bump_limit=3)  # kept, but no bump
    assert [t.id for t in reading.board_page("astronomy", 1)[0]] == [new.id, old.id]
    assert get(Thread, old.id).reply_count == 4


def test_a_thread_at_its_reply_limit_is_closed(posting, reading, get):
    thread = posting.add_thread("astronomy", "Short", "first")
    for n in range(2):
        posting.add_reply(thread.id, f"reply {n}", reply_limit=2)
    with pytest.raises(ThreadClosed):
        posting.add_reply(thread.id, "one too many", reply_limit=2)
    assert get(Thread, thread.id).reply_count == 2
    assert len(reading.thread_posts(thread.id)) == 3


def test_prune_board_deletes_the_least_recently_active_threads(app, posting, get):
    oldest = posting.add_thread("chess", "Oldest", "", upload={**IMAGE, "path": "chess/a.png", "size": 100})
    middle = posting.add_thread("chess", "Middle", "x")
    newest = posting.add_thread("chess", "Newest", "", upload={**IMAGE, "path": "chess/b.png", "size": 100})
    posting.add_reply(oldest.id, "bumped: now the most recently active")
    other = posting.add_thread("astronomy", "Another board", "", upload={**IMAGE, "path": "astro/c.png"})
    assert posting.prune_board("chess", 3, 10**9) == []
    assert posting.prune_board("chess", 2, 10**9) == []  # Middle has no image
    assert get(Thread, middle.id) is None
    assert posting.prune_board("chess", 5, 150) == ["chess/b.png"]  # over the byte budget
    assert get(Thread, newest.id) is None
    assert get(Thread, oldest.id) is not None
    assert get(Thread, other.id) is not None
    with app.app_context():
        assert files.paths_in_use() == {"chess/a.png", "astro/c.png", IMAGE["thumbnail_path"]}


def test_search_needs_every_word_and_ignores_case(posting, text_search):
    both = posting.add_thread("astronomy", "Saturn rings", "Seen through a TELESCOPE")
    posting.add_thread("astronomy", "Saturn only", "")
    [result], total = text_search.search("telescope SATURN")
    assert total == 1
    assert result.thread.id == both.id
    assert result.board.name == "Astronomy"
    assert result.excerpt == "Seen through a TELESCOPE"


def test_search_is_newest_activity_first_across_boards(posting, text_search):
    older = posting.add_thread("chess", "Moon opening", "")
    newer = posting.add_thread("astronomy", "Moon photo", "")
    assert [r.thread.id for r in text_search.search("moon")[0]] == [newer.id, older.id]
    posting.add_reply(older.id, "bump")
    assert [r.thread.id for r in text_search.search("moon")[0]] == [older.id, newer.id]


def test_a_word_finds_words_that_start_with_it_in_titles_and_posts(posting, text_search):
    title = posting.add_thread("astronomy", "Telescopes compared", "")
    post = posting.add_thread("astronomy", "Gear", "My telescope arrived")
    posting.add_thread("astronomy", "Radio", "A radiotelescope is huge")  # "tele" is inside, not at the start
    found, total = text_search.search("tele")
    assert [r.thread.id for r in found] == [post.id, title.id]
    assert total == 2


def test_search_pages(posting, text_search):
    ids = [posting.add_thread("astronomy", f"Comet {n}", "").id for n in range(5)]
    first, total = text_search.search("comet", page=1, per_page=2)
    third, _ = text_search.search("comet", page=3, per_page=2)
    assert total == 5
    assert [r.thread.id for r in first] == [ids[4], ids[3]]
    assert [r.thread.id for r in third] == [ids[0]]
    assert text_search.search("comet", page=4, per_page=2) == ([], 5)
    assert text_search.search("comet", page=10**20) == ([], 5)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_finds_nothing(posting, text_search, query):
    posting.add_thread("astronomy", "Anything", "")
    assert text_search.search(query) == ([], 0)


def test_search_excerpts(posting, text_search):
    posting.add_thread("astronomy", "Title word", "")
    posting.add_thread("chess", "Title word", "A first post without it")
    [in_chess, title_only], _ = text_search.search("word")
    assert title_only.excerpt == ""
    assert in_chess.excerpt == "A first post without it"


def test_excerpt_is_cut_around_the_word_in_the_first_post_that_has_it(posting, text_search):
    long_body = "x" * 300 + " needle " + "y" * 300
    thread = posting.add_thread("astronomy", "Haystack", "nothing")
    posting.add_reply(thread.id, long_body)
    posting.add_reply(thread.id, "a later needle")
    [result], _ = text_search.search("needle")
    text = result.excerpt
    assert text.startswith("…") and text.endswith("…")
    assert "needle" in text
    assert len(text) == 162


def test_cut_marks_what_was_left_out():
    assert cut("abcdef", 0, 10) == "abcdef"
    assert cut("abcdef", 0, 3) == "abc…"
    assert cut("abcdef", 2, 10) == "…cdef"


def test_duplicate_slugs_in_the_settings_are_refused():
    app = Flask(__name__)
    app.config["BOARDS"] = [BOARDS[0], BOARDS[0]]
    with pytest.raises(ValueError, match="same slug"):
        init_app(app)


def test_concurrent_writes_lose_nothing_and_never_repeat_an_id(posting, reading, get):
    """8 threads each start 25 threads and post 100 replies at the same time."""
    target = posting.add_thread("astronomy", "Busy", "opening")
    start = threading.Barrier(8)
    posts, threads = [], []

    def work(worker):
        start.wait()
        for number in range(100):
            posts.append(posting.add_reply(target.id, f"{worker}-{number}"))
            if number % 4 == 0:
                threads.append(posting.add_thread(BOARDS[worker]["slug"], f"{worker}-{number}", "x"))

    workers = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    stored = reading.thread_posts(target.id)
    assert len(stored) == 801
    assert len({post.id for post in stored}) == 801
    assert {post.id for post in posts} <= {post.id for post in stored}
    assert get(Thread, target.id).reply_count == 800
    assert len({thread.id for thread in threads}) == 200
    all_post_ids = {post.id for post in posts} | {reading.thread_posts(thread.id)[0].id for thread in threads}
    assert len(all_post_ids) == 1000
    assert sum(board.thread_count for board in reading.all_boards()) == 201
