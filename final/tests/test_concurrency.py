"""Many people posting at once: nothing is lost, nothing is doubled.

32 client threads, each with its own cookie session like a separate browser,
post 400 replies (every 10th with an image) to a live server, all at once:
first Werkzeug's threaded development server, then gunicorn with 4 gevent
worker processes, the way ``make serve`` runs the site; each on SQLite and on
PostgreSQL. Afterwards the JSON API must show exactly those 400 posts,
each once, with unique ids, and the upload folder must hold exactly the images
the posts refer to: no lost file, no extra, no ``.part`` left.

All traffic goes to 127.0.0.1, and every request has a timeout.
"""

import hashlib
import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import imagefactory
import pytest
from databases import dispose
from forum import csrf_token, every_post
from liveserver import Gunicorn
from targets import FLOOD_LIMITS_OFF
from werkzeug.serving import make_server

from chatsite import create_app

pytestmark = pytest.mark.live
CLIENTS = 32
POSTS = 400
THREADS = 8  # the replies are spread over this many threads
IMAGE_EVERY = 10  # every 10th post carries an image
TIMEOUT = 30  # seconds, for every request


class Session:
    """One person's browser: its own cookies, a multipart form like the site's, no redirects."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path, data=None, headers=None):
        """Send a request; return (status, headers, body bytes) whatever the status."""
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # 303 and 4xx land here
            with error:
                return error.code, error.headers, error.read()

    def get_text(self, path):
        status, _, body = self.request(path)
        assert status == 200, f"GET {path} answered {status}"
        return body.decode()

    def get_json(self, path):
        status, headers, body = self.request(path)
        assert status == 200, f"GET {path} answered {status}"
        assert headers.get_content_type() == "application/json", headers.get("Content-Type")
        return json.loads(body)

    def post_multipart(self, path, fields, image=None):
        """POST like the site's forms (multipart/form-data); return (status, Location).

        ``image`` is (filename, bytes). Without one, the empty, nameless file part
        a browser sends when no file was chosen goes along instead.
        """
        boundary = f"----chatsite{uuid.uuid4().hex}"
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        filename, content, content_type = (
            (image[0], image[1], "image/png") if image else ("", b"", "application/octet-stream")
        )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, answer_headers, _ = self.request(path, data=body, headers=headers)
        return status, answer_headers.get("Location")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def token_from(session, form_page):
    """Open a form page like a person would; return the form's csrf_token fields."""
    token = csrf_token(session.get_text(form_page))
    return {} if token is None else {"csrf_token": token}


def image_for(number):
    """The upload of post `number`: a PNG whose width tells which post it belongs to."""
    return f"post{number}.png", imagefactory.png(10 + number // IMAGE_EVERY, 7)


def post_many_at_once(base_url, upload_folder, pixels):
    """32 sessions post 400 replies at once; then check every post and every file."""
    run = uuid.uuid4().hex[:8]
    setup = Session(base_url)
    fields = token_from(setup, "/boards/astronomy")
    thread_ids = []
    for number in range(THREADS):
        fields.update(title=f"Busy thread {number} ({run})", body=f"Opening post {number} ({run})")
        status, location = setup.post_multipart("/boards/astronomy/threads", fields)
        assert status == 303, f"starting a thread answered {status}"
        thread_ids.append(int(re.search(r"/threads/(\d+)$", location).group(1)))

    # Post number n goes to thread n % THREADS; client c sends posts c, c + 32, c + 64, ...
    jobs = [(n, thread_ids[n % THREADS], f"Reply {n} ({run})") for n in range(POSTS)]
    start_together = threading.Barrier(CLIENTS, timeout=TIMEOUT)

    def client(number):
        try:
            session = Session(base_url)
            # The csrf_token belongs to the session: one form page gives the token
            # for all of this person's posts, like a browser tab kept open.
            fields = token_from(session, f"/threads/{thread_ids[number % THREADS]}")
        except BaseException:
            start_together.abort()
            raise
        start_together.wait()
        answers = []
        for n, thread_id, body in jobs[number::CLIENTS]:
            image = image_for(n) if n % IMAGE_EVERY == 0 else None
            status, location = session.post_multipart(
                f"/threads/{thread_id}/replies", {**fields, "body": body}, image
            )
            answers.append((n, status, location))
        return answers

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(client, number) for number in range(CLIENTS)]
        answers = [answer for future in futures for answer in future.result(timeout=120)]

    # Every post was accepted and redirected to its own new post on the right thread.
    assert len(answers) == POSTS
    statuses = Counter(status for _, status, _ in answers)
    assert statuses == {303: POSTS}, f"not every post was accepted: {statuses}"
    anchors = {}
    for n, _, location in answers:
        found = re.search(r"/threads/(\d+)#post-(\d+)$", location or "")
        assert found, f"post {n} redirected to {location!r}"
        assert int(found.group(1)) == jobs[n][1]
        anchors[n] = int(found.group(2))
    assert len(set(anchors.values())) == POSTS, "two posts were redirected to the same post id"

    # The JSON API shows each of the 400 replies exactly once, where it was sent.
    reader = Session(base_url)
    posts = []
    for thread_id in thread_ids:
        posts += every_post(reader.get_json, thread_id)
    replies = [post for post in posts if not post["body"].startswith("Opening post")]
    assert len(posts) == POSTS + THREADS
    assert len(replies) == POSTS
    assert len({post["id"] for post in posts}) == len(posts), "a post id was given out twice"
    by_body = Counter(post["body"] for post in replies)
    assert by_body == Counter(body for _, _, body in jobs), "a post is missing, doubled or changed"

    expected_files = {}
    for post in replies:
        n = int(re.match(r"Reply (\d+) ", post["body"]).group(1))
        assert post["thread_id"] == jobs[n][1]
        assert post["id"] == anchors[n]
        if n % IMAGE_EVERY:
            assert post["image"] is None, f"post {n} got an image it never sent"
            continue
        image = post["image"]
        assert image is not None, f"the image of post {n} was lost"
        assert (image["width"], image["height"]) == (10 + n // IMAGE_EVERY, 7)
        assert image["original_name"] == f"post{n}.png"
        path = image["url"].split("/uploads/", 1)[1]
        expected_files[path] = (image["sha256"], image_for(n)[1])
        expected_files[image["thumbnail_url"].split("/uploads/", 1)[1]] = None
    assert len(expected_files) == 2 * POSTS // IMAGE_EVERY, "two posts refer to the same file"

    # The upload folder holds exactly those files and their thumbnails, each image
    # named by the SHA-256 of its bytes and showing the pixels that were sent.
    stored = {
        path.relative_to(upload_folder).as_posix(): path
        for path in upload_folder.rglob("*")
        if path.is_file() and path.name != "site-id.txt"  # which database the folder belongs to
    }
    assert [name for name in stored if name.endswith(".part")] == [], "half-written files left"
    assert set(stored) == set(expected_files)
    for name, expected in expected_files.items():
        if expected is not None:
            sha256, sent = expected
            data = stored[name].read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha256 and sha256 in name
            assert pixels(data) == pixels(sent), f"{name} does not show what was sent"


def test_400_posts_from_32_clients_on_the_dev_server(tmp_path, database_url, pixels):
    upload_folder = tmp_path / "uploads"
    settings = {
        "UPLOAD_FOLDER": str(upload_folder),
        "SECRET_KEY": "test",
        "DATABASE_URL": database_url,
        **FLOOD_LIMITS_OFF,  # 32 clients from one address
    }
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        post_many_at_once(f"http://127.0.0.1:{server.server_port}", upload_folder, pixels)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        dispose(app)


def test_400_posts_from_32_clients_on_gunicorn_with_4_workers(tmp_path, database_url, pixels):
    with Gunicorn(tmp_path, database_url, workers=4) as server:
        post_many_at_once(server.url, server.upload_folder, pixels)
