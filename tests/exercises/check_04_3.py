"""Exercise 04.3 · Break it on purpose: post ids given out twice.

The check passes while the code is broken the way the exercise asks: a slow,
unsafe post counter, and add_reply calling new_post() before it takes the lock.
"""

from concurrent.futures import ThreadPoolExecutor

from forum import LiveBrowser, create_thread, post_ids

BROKEN_ON_PURPOSE = True


def test_concurrent_replies_get_some_ids_twice(client, live_server, note):
    """16 browsers replying at once (160 replies) get fewer than 161 different post ids.

    Hint: first replace next(post_ids) in new_post with a global last_post_id
    that you read, add one to, time.sleep(0.001), then write back; then move the
    new_post(...) line of add_reply above its `with data_lock:` line.
    """
    thread_id = create_thread(client, body="Opening post")

    def write_replies(worker):
        browser = LiveBrowser(live_server)
        url = f"/threads/{thread_id}"
        for number in range(10):
            browser.post_form(url, f"{url}/replies", {"body": f"reply {worker}-{number}"})

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(write_replies, range(16)))

    ids = post_ids(client, thread_id)
    different = len(set(ids))
    assert different < len(ids), (
        f"all {len(ids)} posts got different ids: is new_post(...) still inside the "
        "`with data_lock:` block of add_reply?"
    )
    note(
        f"{len(ids)} posts on the thread page, but only {different} different ids: "
        f"{len(ids) - different} ids were given out twice or more. Two requests read "
        "last_post_id before either wrote it back, and nothing made them take turns."
    )
