"""Measure the final app in-process: how do pages hold up as the store grows?

Fills two stores and times the same requests on both, through Flask's test
client (no network, so we time our code, not the operating system):

- small: 100 posts over 10 threads, plus one thread of 300 posts;
- large: 100,000 posts over 10,000 threads, including that 300-post thread.

Both stores stay in memory the whole time and each request alternates between
them, small then large, so both pay the same for CPU warm-up and Python's
garbage collector: what differs is only the size of the store the request
reads. For each request it reports the median of many runs. A thread page, the
thread's JSON and posting a reply must not get slower with the size of the
store (they touch one thread, found by id in a dict): at 100,000 posts they
must stay within 1.5x of their small-store time. The script exits 1 if not.

Run it from the top of the repository:  make bench
(or: .venv/bin/python final/bench/bench.py)
"""

import argparse
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatsite import create_app  # noqa: E402  (needs the path above)

WORDS = (
    "telescope saturn rings orbit comet meteor galaxy lens mirror eyepiece sky night dark "
    "star planet moon crater focus mount tripod clear cloud filter camera photo north"
).split()
RARE_WORD = "nebula"  # in about 1 post out of 100: what the search looks for
MUST_STAY_FLAT = ("thread page", "thread JSON", "post a reply")
ALLOWED_RATIO = 1.5


def build_app(total_posts, total_threads, upload_folder):
    """A fresh app whose store holds `total_posts` posts (plus a 300-post thread)."""
    app = create_app({"UPLOAD_FOLDER": upload_folder, "SECRET_KEY": "bench"})
    store = app.extensions["store"]
    boards = [board["slug"] for board in app.config["BOARDS"]]
    rng = random.Random(42)  # noqa: S311 - repeatable test data, not secrets
    thread_ids = []
    for number in range(total_threads):
        thread = store.add_thread(boards[number % len(boards)], f"Thread {number}", sentence(rng))
        thread_ids.append(thread["id"])
    for _ in range(total_posts - total_threads):
        store.add_reply(rng.choice(thread_ids), sentence(rng))
    big = store.add_thread("astronomy", "The 300-post thread", sentence(rng))
    for _ in range(299):
        store.add_reply(big["id"], sentence(rng))
    return app, big["id"], thread_ids[0]


def sentence(rng):
    words = rng.choices(WORDS, k=12)
    if rng.random() < 0.01:
        words[rng.randrange(12)] = RARE_WORD
    return " ".join(words).capitalize() + "."


def timed_ms(action):
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def compare(small_actions, large_actions, runs):
    """Alternate each small-store request with the same large-store request;
    return two dicts of median times in milliseconds."""
    small, large = {}, {}
    for name in small_actions:
        count = max(5, runs // 10) if name == "search" else runs
        small_times, large_times = [], []
        for _ in range(count + 1):  # the first round warms up and is not counted
            small_times.append(timed_ms(small_actions[name]))
            large_times.append(timed_ms(large_actions[name]))
        small[name] = statistics.median(small_times[1:])
        large[name] = statistics.median(large_times[1:])
    return small, large


def requests_for(app, big_thread, reply_thread):
    """The requests to time, as functions that make one request each."""
    client = app.test_client()
    page = client.get(f"/threads/{reply_thread}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"\s+value="([^"]*)"', page).group(1)

    def get(url, status=200):
        def action():
            response = client.get(url)
            assert response.status_code == status, (url, response.status_code)

        return action

    def post_reply():
        data = {"body": "A benchmark reply", "csrf_token": token}
        response = client.post(f"/threads/{reply_thread}/replies", data=data)
        assert response.status_code == 303, response.status_code

    return {
        "home page": get("/"),
        "board page": get("/boards/astronomy"),
        "thread page": get(f"/threads/{big_thread}"),
        "thread JSON": get(f"/api/threads/{big_thread}/posts"),
        "search": get(f"/search?q={RARE_WORD}"),
        "post a reply": post_reply,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per request")
    parser.add_argument("--posts", type=int, default=100_000, help="posts in the large store")
    parser.add_argument("--threads", type=int, default=10_000, help="threads in the large store")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as uploads:
        start = time.perf_counter()
        small_requests = requests_for(*build_app(100, 10, uploads))
        large_requests = requests_for(*build_app(args.posts, args.threads, uploads))
        filled = time.perf_counter() - start
        small, large = compare(small_requests, large_requests, args.runs)

    print(f"Chat Site benchmark — Python {platform.python_version()} on {platform.machine()}, "
          f"{platform.system()} {platform.release()}")
    print(f"small store: 100 posts / 10 threads; large store: {args.posts:,} posts / "
          f"{args.threads:,} threads; both with one 300-post thread. Medians of {args.runs} runs "
          f"(search: {max(5, args.runs // 10)}). Filling took {filled:.1f} s.\n")
    print(f"| request | small store (ms) | large store (ms) | ratio | must stay within {ALLOWED_RATIO}x |")
    print("| --- | ---: | ---: | ---: | --- |")
    failed = []
    for name in small:
        ratio = large[name] / small[name]
        verdict = ""
        if name in MUST_STAY_FLAT:
            verdict = "yes" if ratio <= ALLOWED_RATIO else "**NO**"
            if ratio > ALLOWED_RATIO:
                failed.append(name)
        print(f"| {name} | {small[name]:.2f} | {large[name]:.2f} | {ratio:.2f} | {verdict} |")
    if failed:
        print(f"\nToo slow at scale: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
