"""The final app (or a step from 21 on) under gunicorn, started the way `make serve` starts it, for tests.

    with Gunicorn(tmp_path, database_url, workers=4) as server:
        urllib.request.urlopen(server.url + "/")

It uses final/gunicorn.conf.py (the file `make serve` uses), on a free port of
127.0.0.1, with its own upload folder and database, and without gunicorn's
control socket. It always stops the server, and `kill()` stops it the hard way
(SIGKILL), the way a crash or a power cut would.

A step that is served for real (21 on) has a gunicorn.conf.py of its own, beside
its chatsite/ package: Gunicorn(..., app_folder=served_folder(target)) runs that
package with that file, the way the step's page says.
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from forum import LiveBrowser, csrf_token
from simple_websocket import Client, ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
FINAL = ROOT / "final"
# The settings gunicorn reads: a file beside the chatsite/ package it serves.
CONFIG_NAME = "gunicorn.conf.py"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served_folder(target):
    """The folder that holds a staged test's target's chatsite/ package (and,
    from step 21 on, its gunicorn.conf.py): final/, or the step's folder."""
    return FINAL if target.is_final else target.path.parent


class Gunicorn:
    def __init__(self, folder, database_url, workers=4, port=None, app_folder=FINAL, **settings):
        self.folder = Path(folder)
        # The chatsite/ package to serve, and gunicorn.conf.py beside it.
        self.app_folder = Path(app_folder)
        self.upload_folder = self.folder / "uploads"
        self.log_file = self.folder / f"gunicorn-{time.monotonic_ns()}.log"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            # `import chatsite` finds the package of app_folder first.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(self.app_folder), os.environ.get("PYTHONPATH")])),
            "CHATSITE_DATABASE_URL": database_url,
            "CHATSITE_UPLOAD_FOLDER": str(self.upload_folder),
            "CHATSITE_SECRET_KEY": "test",
            "CHATSITE_WORKERS": str(workers),
            "CHATSITE_BIND": f"127.0.0.1:{self.port}",
            # Flood control off: these tests post many times a second from one address.
            "CHATSITE_THREAD_INTERVAL": "0",
            "CHATSITE_REPLY_INTERVAL": "0",
            "CHATSITE_REPORT_INTERVAL": "0",
            "CHATSITE_LOGIN_ATTEMPTS_PER_MINUTE": "0",
            # Any other setting of the app, e.g. TRUSTED_HOSTS=[...]: CHATSITE_TRUSTED_HOSTS.
            **{f"CHATSITE_{name}": value for name, value in settings.items()},
        }
        self.process = None

    def start(self, seconds=30):
        gunicorn = Path(sys.executable).parent / "gunicorn"
        if not gunicorn.exists():
            pytest.skip(f"gunicorn is not installed next to {sys.executable}: pip install gunicorn")
        config = self.app_folder / CONFIG_NAME
        if not config.is_file():
            pytest.fail(f"{self.app_folder} has no {CONFIG_NAME}: this app is not served by gunicorn")
        command = [str(gunicorn), "-c", str(config), "chatsite:create_app()"]
        with self.log_file.open("ab") as log:
            # A session of its own: kill() can then stop the master and every worker at once.
            self.process = subprocess.Popen(
                command, cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_answering(seconds)
        except BaseException:
            # A server that never answered is stopped here: `with Gunicorn(...)`
            # never reaches its __exit__ when starting fails, and it would stay.
            with contextlib.suppress(ProcessLookupError):  # (already gone: nothing to stop)
                self.kill()
            raise
        return self

    def _wait_until_answering(self, seconds):
        """Poll the home page until the server answers; fail with its log if it never does."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not answer within {seconds} s:\n{self.log()}")

    def log(self):
        return self.log_file.read_text(errors="replace")[-5000:]

    def kill(self):
        """Stop every gunicorn process at once with SIGKILL: no clean shutdown at all."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


# --- Raw requests: bytes exactly as given, which urllib would never send


class RawSession:
    """Raw HTTP/1.1 over a socket, with the cookie and token of a real form page."""

    def __init__(self, base_url, port):
        self.port = port
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(base_url + "/boards/astronomy", timeout=10) as response:
            self.cookie = response.headers["Set-Cookie"].split(";")[0]
            self.token = csrf_token(response.read().decode())

    def send(self, head, body, close_after=True):
        """Send the request head and body bytes as given; return the status code, or None."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
            connection.sendall(head.replace("COOKIE", self.cookie).encode() + body)
            if close_after:
                connection.shutdown(socket.SHUT_WR)  # "I am done sending"
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        found = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
        return int(found.group(1)) if found else None


def form_head(length, extra=""):
    """The head of a new thread's form for RawSession.send (length None: no Content-Length)."""
    return (
        "POST /boards/astronomy/threads HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: COOKIE\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n{extra}"
        + (f"Content-Length: {length}\r\n" if length is not None else "")
        + "\r\n"
    )


class LiveClient(Client):
    """simple_websocket's client, which also reads what arrives together with the
    server's answer to the handshake.

    A socket opened with ?after= is sent the events it missed at once, right after
    "101 Switching Protocols", often in the same TCP packet. simple-websocket 1.1's
    Client reads that packet during the handshake, takes the handshake's answer
    from it, and leaves the rest unread until more data comes, which may be never.
    (A browser reads it at once.) So the reading thread starts with what is left.
    """

    def _thread(self):
        if not self._handle_events():  # a "close" came with the handshake's answer
            self.connected = False
            self.event.set()
            self.sock.close()
            return
        super()._thread()



# --- Live updates under load: used by final/tests/test_live_gunicorn.py and final/bench/bench_live.py


class Reader:
    """One page's socket, read in a thread of its own: (arrival time, message) of each message."""

    def __init__(self, url, deadline=20):
        self.deadline = deadline  # seconds without a message before the reader gives up
        self.ws = LiveClient.connect(url)
        self.got = []
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        while True:
            try:
                text = self.ws.receive(timeout=self.deadline)
            except ConnectionClosed:
                return
            if text is None:
                return
            self.got.append((time.monotonic(), json.loads(text)))

    def close(self):
        try:
            self.ws.close()
        except ConnectionClosed:
            pass
        self.thread.join(timeout=5)


def post_reply(browser, token, thread_id, body):
    """POST a reply (a new connection: urllib opens one per request); return (post id, time of the 303)."""
    data = urllib.parse.urlencode({"body": body, "csrf_token": token}).encode()
    try:
        with browser.opener.open(f"{browser.base_url}/threads/{thread_id}/replies", data=data, timeout=30):
            raise AssertionError("a reply was answered without a redirect")
    except urllib.error.HTTPError as answer:  # the 303 lands here (no redirects followed)
        with answer:
            assert answer.code == 303, answer.code
            return int(re.search(r"#post-(\d+)$", answer.headers["Location"]).group(1)), time.monotonic()


def start_thread(base_url):
    """Start a thread on a running server; return (its id, the live URL that
    follows it from its newest event, as its page's live.js would open it)."""
    setup = LiveBrowser(base_url)
    status, location = setup.post_form(
        "/boards/astronomy", "/boards/astronomy/threads", {"title": "Busy night", "body": "Who is up?"}
    )
    assert status == 303, status
    thread_id = int(re.search(r"/threads/(\d+)$", location).group(1))
    _, page = setup.get(f"/threads/{thread_id}")
    after = int(re.search(r'data-last-event="(\d+)"', page).group(1))
    return thread_id, f"ws://{base_url.removeprefix('http://')}/threads/{thread_id}/live?after={after}"


def fan_out(base_url, thread_id, live, sockets, replies, posters, deadline):
    """Open `sockets` readers of `live`, post `replies` replies from `posters`
    clients at once, and wait (at most `deadline` seconds) until every reader has
    them all. Return (the readers, {post id: time of its 303}, seconds of posting).
    The readers are closed; each one's .got holds what it received."""
    readers = [Reader(live) for _ in range(sockets)]
    try:
        browsers = [LiveBrowser(base_url) for _ in range(posters)]
        tokens = [csrf_token(browser.get(f"/threads/{thread_id}")[1]) for browser in browsers]

        def post_share(number):
            return [
                post_reply(browsers[number], tokens[number], thread_id, f"Reply {n}")
                for n in range(number, replies, posters)
            ]

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=posters) as pool:
            posted = dict(answer for share in pool.map(post_share, range(posters)) for answer in share)
        posting = time.monotonic() - started
        give_up = time.monotonic() + deadline
        while time.monotonic() < give_up and any(len(reader.got) < replies for reader in readers):
            time.sleep(0.05)
    finally:
        for reader in readers:
            reader.close()
    return readers, posted, posting
