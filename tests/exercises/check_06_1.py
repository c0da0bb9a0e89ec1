"""Exercise 06.1 · Show the file size: each image shows its size, e.g. "12.3 kB"."""

import imagefactory
from forum import create_thread, page, post_ids, reply
from jinja2.filters import do_filesizeformat


def test_each_image_shows_its_file_size(client):
    """Under each image, its post shows the file's size as filesizeformat writes it: "12.3 kB".

    Hint: in thread.html, next to the <img>: {{ post.image.size|filesizeformat }}.
    """
    big = imagefactory.png_of_size(12_345)
    small = imagefactory.png()
    thread_id = create_thread(client, body="A big one", image=("big.png", big))
    reply(client, thread_id, "A small one", image=("small.png", small))
    shown = page(client.get(f"/threads/{thread_id}"))
    posts = [shown.find_by_id(f"post-{post_id}").text() for post_id in post_ids(client, thread_id)]
    sizes = [do_filesizeformat(len(big)), do_filesizeformat(len(small))]
    missing = [size for size, text in zip(sizes, posts, strict=True) if size not in text]
    assert not missing, f"the posts do not show {' and '.join(repr(size) for size in missing)}"
