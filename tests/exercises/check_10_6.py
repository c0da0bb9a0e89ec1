"""Exercise 10.6 · BEGIN or BEGIN IMMEDIATE (break it on purpose).

The check passes while write_transaction says BEGIN and add_reply reads before
it writes: writers in parallel then lose replies, at once, whatever the timeout.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from forum import create_thread, reply
from targets import reload_app

BROKEN_ON_PURPOSE = True
WRITERS, REPLIES, ROUNDS = 4, 10, 2


def replies_in_parallel(app, thread_id):
    """WRITERS apps on one database each post REPLIES replies at once; [(status, seconds)]."""
    writers = [reload_app(app) for _ in range(WRITERS)]
    start_together = threading.Barrier(WRITERS)

    def write(writer, number):
        client = writer.test_client()
        start_together.wait()
        answers = []
        for n in range(REPLIES):
            started = time.perf_counter()
            status = reply(client, thread_id, f"writer {number}, reply {n}").status_code
            answers.append((status, time.perf_counter() - started))
        return answers

    with ThreadPoolExecutor(WRITERS) as pool:
        return [answer for answers in pool.map(write, writers, range(WRITERS)) for answer in answers]


def test_writers_in_parallel_lose_replies_at_once(app, client, note):
    """Writers in parallel now lose replies: some get 503 at once, long before DATABASE_TIMEOUT.

    Hint: in add_reply, make the first line inside `with write_transaction(db):`
    db.execute("SELECT count(*) FROM posts").fetchone(); in write_transaction,
    change BEGIN IMMEDIATE to BEGIN.
    """
    thread_id = create_thread(client, title="Everyone at once")
    answers = []
    for _ in range(ROUNDS):  # the race is a race: a few rounds make sure it shows
        answers += replies_in_parallel(app, thread_id)
        if any(status == 503 for status, _ in answers):
            break
    lost = [seconds for status, seconds in answers if status == 503]
    assert lost, f"all {len(answers)} replies were stored: the writers took turns (BEGIN IMMEDIATE?)"
    timeout = app.config["DATABASE_TIMEOUT"]
    assert max(lost) < timeout, f"the lost replies waited {max(lost):.1f} s, the whole DATABASE_TIMEOUT"
    note(
        f"{len(lost)} of {len(answers)} replies got 503 Service Unavailable, each after at most "
        f"{max(lost):.2f} s although DATABASE_TIMEOUT is {timeout} s: SQLite cannot let a "
        "transaction that read an older state write, so waiting would not help"
    )
