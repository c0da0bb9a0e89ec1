"""Broken request bodies get a 400 and store nothing (chatsite/bodies.py).

A client that closes the connection half-way through a form must not leave a
shorter post behind, and a malformed chunked body is the client's mistake (400),
not our bug (500). Checked through the test client and, with raw sockets,
against gunicorn as `make serve` runs it.
"""

import urllib.parse
import urllib.request

import pytest
from forum import csrf_token, thread_ids_on_board
from liveserver import Gunicorn, RawSession, form_head

# On SQLite only: a body is read, and refused or let through, before the app
# opens its database (bodies.py), so PostgreSQL would see the same requests.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_body_shorter_than_its_content_length_is_refused(client, submit):
    page = client.get("/boards/astronomy").get_data(as_text=True)
    body = urllib.parse.urlencode({"csrf_token": csrf_token(page), "title": "Cut short", "body": "x" * 100})
    response = client.post(
        "/boards/astronomy/threads",
        data=body[: len(body) // 2],
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "ended before all of it arrived" in response.get_data(as_text=True)
    assert thread_ids_on_board(client) == []


@pytest.mark.parametrize("length", ["abc", "-5", "1" * 40])
def test_a_content_length_that_is_not_a_number_is_refused(client, length):
    overrides = {"CONTENT_LENGTH": length}
    response = client.post("/boards/astronomy/threads", data=b"x", environ_overrides=overrides)
    assert response.status_code in (400, 413)
    assert thread_ids_on_board(client) == []


def test_a_declared_length_over_the_limit_is_413_before_reading(client):
    response = client.post("/api/boards", data=b"x", environ_overrides={"CONTENT_LENGTH": str(10**12)})
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413


@pytest.fixture
def served(tmp_path, database_url):
    with Gunicorn(tmp_path, database_url, workers=1) as server:
        yield server


def threads_on_board(server):
    with urllib.request.urlopen(server.url + "/api/boards/astronomy/threads", timeout=10) as response:
        return response.read().decode().count('"title"')


@pytest.mark.live
@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nabc", b"3\r\nabcXX0\r\n\r\n", b"-1\r\nabc\r\n0\r\n\r\n"],
    ids=["size not hex", "ends early", "no CRLF after data", "negative size"],
)
def test_gunicorn_refuses_a_malformed_chunked_body_with_400(served, chunks):
    raw = RawSession(served.url, served.port)
    status = raw.send(form_head(None, "Transfer-Encoding: chunked\r\n"), chunks)
    assert status in (400, None), status  # None: the server closed the connection without an answer
    assert threads_on_board(served) == 0


@pytest.mark.live
def test_gunicorn_accepts_a_well_formed_chunked_form(served):
    raw = RawSession(served.url, served.port)
    body = urllib.parse.urlencode({"csrf_token": raw.token, "title": "Chunked", "body": "z"}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    assert raw.send(form_head(None, "Transfer-Encoding: chunked\r\n"), chunked) == 303
    assert threads_on_board(served) == 1


@pytest.mark.live
def test_gunicorn_refuses_a_large_chunked_form_where_no_file_belongs(served):
    """A chunked body says no length: it is refused (413) once it passes MAX_FORM_MEMORY_SIZE."""
    raw = RawSession(served.url, served.port)
    body = f"csrf_token={raw.token}&username=milo&password=x".encode() + b"&a=" * 40_000
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:60_000], body[60_000:]))
    head = form_head(None, "Transfer-Encoding: chunked\r\n").replace("/boards/astronomy/threads", "/login")
    assert raw.send(head, chunked + b"0\r\n\r\n") == 413


@pytest.mark.live
@pytest.mark.parametrize("host, status", [("evil.example", 400), ("LOCALHOST", 200), ("[::1]:8000", 200)])
def test_gunicorn_answers_only_its_own_host_names(served, host, status):
    raw = RawSession(served.url, served.port)
    head = f"GET /boards/astronomy HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    assert raw.send(head, b"") == status
