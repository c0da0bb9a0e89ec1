"""A tiny 4chan API client, pointed at Chat Site instead of 4chan.

Run it from the top folder while `make run` serves the app:

    python docs/examples/fourchan_client.py                       # board "astronomy"
    python docs/examples/fourchan_client.py http://127.0.0.1:5000 chess

It reads a board's catalog.json, then the newest thread's JSON, exactly as it
would read 4chan's (https://a.4cdn.org): only BASE_URL differs. Standard
library only. It follows 4chan's API rules: at most one request a second, and
If-Modified-Since when asking again.
"""

import html
import json
import sys
import time
import urllib.error
import urllib.request

BASE_URL = "http://127.0.0.1:5000"  # 4chan's would be "https://a.4cdn.org"
BOARD = "astronomy"
# 4chan's first API rule: no more than one request a second.
SECONDS_BETWEEN_REQUESTS = 1.0


class Client:
    """Fetches JSON answers, remembering each one's Last-Modified date."""

    def __init__(self, base_url):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{base_url!r} is not an http:// or https:// address")
        self.base_url = base_url.rstrip("/")
        self.last_modified = {}  # path -> the Last-Modified date of its last answer
        self.last_request = 0.0

    def get(self, path):
        """The decoded JSON at `path`, or None if it has not changed since last time (304)."""
        time.sleep(max(0.0, self.last_request + SECONDS_BETWEEN_REQUESTS - time.monotonic()))
        self.last_request = time.monotonic()
        request = urllib.request.Request(self.base_url + path)  # noqa: S310 (http(s), see __init__)
        if path in self.last_modified:
            request.add_header("If-Modified-Since", self.last_modified[path])
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the same)
                self.last_modified[path] = response.headers["Last-Modified"]
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return None
            raise


def text_of(post):
    """A post's comment as plain text: `com` is HTML, with <br> for line breaks."""
    return html.unescape(post.get("com", "").replace("<br>", "\n"))


def show_catalog(client, board):
    """Print every thread of the board; return the number of the first (newest) one."""
    pages = client.get(f"/{board}/catalog.json")
    threads = [thread for page in pages for thread in page["threads"]]
    for thread in threads:
        print(f"No.{thread['no']}  {html.unescape(thread.get('sub', ''))!r}  ({thread['replies']} replies)")
    return threads[0]["no"] if threads else None


def show_thread(client, board, number):
    """Print a thread's posts, with the address of each image."""
    posts = client.get(f"/{board}/thread/{number}.json")["posts"]
    for post in posts:
        print(f"--- No.{post['no']}  {post['now']}")
        if "tim" in post:
            name = html.unescape(post["filename"]) + post["ext"]
            url = f"{client.base_url}/{board}/{post['tim']}{post['ext']}"
            print(f"[{name}, {post['w']}x{post['h']}, {post['fsize']} bytes] {url}")
        print(text_of(post))


def main(base_url=BASE_URL, board=BOARD):
    client = Client(base_url)
    number = show_catalog(client, board)
    if number is None:
        print(f"/{board}/ has no threads yet: start one in the browser, then run this again.")
        return
    show_thread(client, board, number)
    # Asking again: If-Modified-Since saves sending what we already have.
    if client.get(f"/{board}/thread/{number}.json") is None:
        print("(asked again: 304 Not Modified, nothing new)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
