"""Small helpers the staged tests share: they act like a person with a browser.

Everything goes through HTTP. The helpers rely only on the page contract that
every step keeps (and that a student's app must keep too, see "For instructors"):

- the home page links each board as ``/boards/<slug>``;
- a board page links each thread as ``/threads/<id>``;
- every post on a thread page is an element with ``id="post-<id>"``;
- forms use the field names ``title``, ``body`` and ``image``; if a form carries a
  hidden ``csrf_token`` field (the final app does), it is sent back like a browser would.
"""

import contextlib
import http.cookiejar
import io
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

BOARD = "astronomy"


def csrf_token(html):
    """The hidden csrf_token of the first form on a page, or None."""
    found = re.search(r'name="csrf_token"\s+value="([^"]*)"', html)
    return found.group(1) if found else None


def post_form(client, form_page, action, fields, image=None, follow=False):
    """Open ``form_page``, then submit its form to ``action`` like a browser.

    ``image`` is ``(filename, bytes)`` for an upload, or None for no file field.
    """
    page = client.get(form_page).get_data(as_text=True)
    data = dict(fields)
    token = csrf_token(page)
    if token is not None:
        data.setdefault("csrf_token", token)
    if image is not None:
        filename, content = image
        data["image"] = (io.BytesIO(content), filename)
    return client.post(action, data=data, follow_redirects=follow)


def create_thread(client, title="Hello world", body="First!", board=BOARD, image=None):
    """Create a thread and return its id (asserting the 303 answer)."""
    fields = {"title": title, "body": body}
    response = post_form(client, f"/boards/{board}", f"/boards/{board}/threads", fields, image)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/threads/(\d+)", response.headers["Location"]).group(1))


def reply(client, thread_id, body="A reply", image=None):
    """Post a reply; return the raw response (303 on success)."""
    url = f"/threads/{thread_id}"
    return post_form(client, url, f"{url}/replies", {"body": body}, image)


def post_ids(client, thread_id):
    """The ids of the posts shown on a thread page, in page order."""
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    return [int(found) for found in re.findall(r'id="post-(\d+)"', html)]


def thread_ids_on_board(client, board=BOARD, page=None):
    """The ids of the threads a board page (or its ?page=N) links to, in page order, once each."""
    url = f"/boards/{board}" if page is None else f"/boards/{board}?page={page}"
    html = client.get(url).get_data(as_text=True)
    seen = []
    for found in re.findall(r'href="/threads/(\d+)"', html):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


def every_post(get_json, thread_id):
    """All of a thread's posts from the JSON API, page after page (if it pages).

    `get_json(path)` fetches and decodes one answer."""
    posts, page = [], 1
    while True:
        answer = get_json(f"/api/threads/{thread_id}/posts?page={page}")
        posts += answer["posts"]
        if page >= answer.get("pages", 1):
            return posts
        page += 1


def stored_files(upload_folder):
    """Every file under the upload folder (an empty list if it does not exist)."""
    if not upload_folder.exists():
        return []
    return sorted(path for path in upload_folder.rglob("*") if path.is_file())


@contextlib.contextmanager
def serving(app):
    """Serve the app with Werkzeug's threaded development server on a free port
    of 127.0.0.1; yield its address, e.g. "http://127.0.0.1:40123". The server
    stops when the block ends."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class LiveBrowser:
    """A tiny browser for a live server: keeps cookies, does not follow redirects.

    Used by the tests that need real concurrent HTTP requests, which Flask's
    test client cannot make.
    """

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, path):
        """GET a page; return (status, text)."""
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.status, response.read().decode()

    def get_json(self, path):
        """GET a JSON answer; return it decoded."""
        status, text = self.get(path)
        assert status == 200, f"GET {path} answered {status}"
        return json.loads(text)

    def post_form(self, form_page, action, fields):
        """Submit a form like a browser (with its csrf_token); return (status, Location)."""
        _, page = self.get(form_page)
        data = dict(fields)
        token = csrf_token(page)
        if token is not None:
            data["csrf_token"] = token
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base_url + action, data=body, timeout=30) as response:
                return response.status, response.headers.get("Location")
        except urllib.error.HTTPError as error:  # 303 and 4xx land here
            return error.code, error.headers.get("Location")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
