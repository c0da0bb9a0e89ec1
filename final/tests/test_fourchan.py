"""The 4chan-compatible read-only API (chatsite/fourchan.py): its parts, one at a time.

What a client sees of the API (every address, field and header, held to 4chan's
own description of its API) is tested in the staged suite, on step 22 and on
this app: tests/test_22_fourchan_api.py. Here are the tests of its modules'
functions, the database side on SQLite and on PostgreSQL (conftest.database_url).
"""

import imagefactory
import pytest
from databases import InAppContext

import chatsite.fourchan_data
from chatsite.fourchan_json import semantic_url


@pytest.fixture
def fourchan_data(app):
    return InAppContext(app, chatsite.fourchan_data)


def stored_image(upload_folder, name, data, md5=None):
    """An image file in the upload folder, and its description for posting.add_thread/add_reply;
    md5=None: stored before migration 0003, as far as the database knows."""
    path = f"astronomy/2026/01/{name}.png"
    (upload_folder / path).parent.mkdir(parents=True, exist_ok=True)
    (upload_folder / path).write_bytes(data)
    image = {"path": path, "content_type": "image/png", "size": len(data), "width": 4, "height": 3}
    return {**image, "original_name": f"{name}.png", "md5": md5}


def test_thread_summaries_read_first_posts_last_replies_and_images(posting, fourchan_data, upload_folder):
    """The catalog's query: each thread's opening post, its last replies and how many carry an image,
    in board order (a title-only thread has no opening post)."""
    image = stored_image(upload_folder, "a" * 32, imagefactory.png())
    long = posting.add_thread("astronomy", "Long", "opening", upload=image)
    # Seven replies, the first and the sixth with an image.
    replies = [posting.add_reply(long.id, f"{n}", upload=image if n in (0, 5) else None) for n in range(7)]
    title_only = posting.add_thread("astronomy", "Just a title", "")
    first_reply = posting.add_reply(title_only.id, "the first reply")
    posting.add_thread("chess", "Elsewhere", "not on this board")

    summaries = fourchan_data.thread_summaries("astronomy", with_posts=True, last_replies=5)
    seen = [
        (
            summary.thread.title,
            summary.opening_post.body if summary.opening_post else None,
            [post.id for post in summary.last_replies],
            summary.image_replies,
            summary.last_post_at == summary.last_replies[-1].created_at,
        )
        for summary in summaries
    ]
    assert seen == [
        ("Just a title", None, [first_reply.id], 0, True),
        ("Long", "opening", [post.id for post in replies[-5:]], 2, True),
    ]
    assert [summary.first_post_id for summary in summaries] == [first_reply.id, summaries[1].opening_post.id]


def test_fill_missing_md5_reads_the_files_in_batches(fourchan_data, posting, upload_folder):
    data = imagefactory.png()
    for n in range(3):
        posting.add_thread("astronomy", f"Old {n}", "", upload=stored_image(upload_folder, f"{n}" * 32, data))
    gone = stored_image(upload_folder, "f" * 32, data)
    (upload_folder / gone["path"]).unlink()
    posting.add_thread("astronomy", "Gone", "", upload=gone)
    assert fourchan_data.fill_missing_md5(upload_folder, batch_size=2) == (3, 1)
    assert fourchan_data.fill_missing_md5(upload_folder, batch_size=2) == (0, 1)


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Saturn's rings tonight!", "saturns-rings-tonight"),
        ("Ünïcödé café, 2 cups", "unicode-cafe-2-cups"),
        ("土星の環", ""),  # no ASCII letters or digits at all: an empty slug
        ("word " * 20, "-".join(["word"] * 10)),  # whole words, at most 50 characters
        ("x" * 60, "x" * 50),
    ],
)
def test_semantic_url_is_4chans_slug_of_the_title(title, slug):
    assert semantic_url(title) == slug
