"""Print the threads of a board, newest activity first, with their number of posts.

Start the app (flask --app steps/08_json_api/app.py run), then, in a second terminal:

    python newest.py http://127.0.0.1:5000 astronomy

Like any program, it only uses the site's JSON API: the board's list of threads,
then each thread's own "url" for its posts.
"""

import json
import sys
import urllib.request


def get_json(address):
    """GET an address of the API; return its JSON answer, decoded."""
    with urllib.request.urlopen(address, timeout=10) as response:  # noqa: S310 (http(s), see main)
        return json.load(response)


def main(site, board):
    if not site.startswith(("http://", "https://")):
        sys.exit(f"{site} is not the address of a site: give one like http://127.0.0.1:5000")
    answer = get_json(f"{site.rstrip('/')}/api/boards/{board}/threads")
    # The API lists the threads newest activity first already (50 a page: enough here).
    for thread in answer["threads"]:
        posts = get_json(thread["url"])["total"]
        print(f"{thread['title']}: {posts} post{'' if posts == 1 else 's'}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python newest.py http://127.0.0.1:5000 astronomy")
    main(sys.argv[1], sys.argv[2])
