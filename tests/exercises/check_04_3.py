"""Exercise 04.3 · Break it on purpose: post ids given out twice.

The check passes while the code is broken the way the exercise asks: a slow,
unsafe post counter, and add_reply calling new_post() before it takes the lock.
"""

import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from forum import create_thread, post_ids

BROKEN_ON_PURPOSE = True


def test_concurrent_replies_get_some_ids_twice(client, live_server, note):
    """16 browsers replying at once (160 replies) get fewer than 161 different post ids.

    Hint: first replace next(post_ids) in new_post with a global last_post_id
    that you read, add one to, time.sleep(0.001), then write back; then move the
    new_post(...) line of add_reply above its `with data_lock:` line.
    """
    thread_id = create_thread(client, body="Opening post")

    def write_replies(worker):
        # Like 16 browsers sending the reply form (step 04's form has no hidden fields).
        address = f"{live_server}/threads/{thread_id}/replies"
        for number in range(10):
            form = urllib.parse.urlencode({"body": f"reply {worker}-{number}"}).encode()
            with urllib.request.urlopen(address, data=form, timeout=30) as answer:
                answer.read()

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
