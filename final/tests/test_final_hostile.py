"""Requests an attacker would send: forged sessions, hostile hosts, huge numbers.

Each case is what an outsider can send without any special access, and each
must end in a clear 4xx (or a harmless page), never a 500, and never let the
attacker's text into our markup or our URLs.
"""

import io
import re

import pytest
from flask.sessions import SecureCookieSessionInterface
from forum import create_thread, csrf_token, reply, staff_client, thread_ids_on_board
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from chatsite import create_app

# --- forged sessions ---------------------------------------------------------------


def forge_session(app, client, data):
    """Sign `data` with the app's own key (as someone who stole it could) and set it as the cookie."""
    value = SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)


@pytest.mark.parametrize(
    "token",
    [
        Markup('"><script>alert(1)</script>'),
        ["a", "list"],
        {"a": "dict"},
        12345,
        None,
        "short",
        "x" * 43 + "<",
    ],
    ids=["markup", "list", "dict", "number", "null", "too short", "bad character"],
)
def test_a_forged_session_token_is_replaced_not_trusted(app, client, token):
    forge_session(app, client, {"csrf_token": token})
    page = client.get("/boards/astronomy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert csrf_token(html)
    with client.session_transaction() as session:
        assert re.fullmatch(r"[0-9a-f]{40}", session["csrf_token"])  # a fresh token of our own
    # Posting with the forged value is refused cleanly, never a 500: as it is, or
    # signed the way Flask-WTF signs the tokens on its pages (whoever has the key
    # can; Flask-WTF would then compare the list with hmac.compare_digest: TypeError).
    signed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(token)
    for sent in (str(token), signed):
        forge_session(app, client, {"csrf_token": token})
        response = client.post("/boards/astronomy/threads", data={"csrf_token": sent, "title": "x"})
        assert response.status_code == 400
    assert thread_ids_on_board(client) == []


def test_a_session_signed_with_another_key_is_ignored(app, client):
    other = create_app({"SECRET_KEY": "someone-else", "DATABASE_URL": "sqlite://", "TESTING": True})
    forge_session(other, client, {"csrf_token": "A" * 43})
    response = client.post("/boards/astronomy/threads", data={"csrf_token": "A" * 43, "title": "x"})
    assert response.status_code == 400


# --- hostile Host headers ------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "localhost.evil.example", "a b"])
def test_an_unknown_host_is_refused(client, host):
    response = client.get("/api/boards", headers={"Host": host})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/", "/boards/astronomy", "/boards.json", "/uploads/x.png", "/login", "/api/boards"]
)
def test_an_unknown_host_gets_a_short_400_and_one_log_line(client, url, caplog):
    """Every page, file and form: a short 400 (JSON for programs), no traceback in the log."""
    for method in (client.get, client.post):
        caplog.clear()
        response = method(url, headers={"Host": "evil.example"})
        assert response.status_code == 400
        assert "evil" not in response.get_data(as_text=True)
        assert len(response.get_data()) < 2000
        if url.startswith("/api/") or url.endswith(".json"):
            assert response.get_json()["error"]["status"] == 400
        else:
            assert "not served at this address" in response.get_data(as_text=True)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        [record] = [record for record in caplog.records if record.name == "chatsite"]
        assert "evil.example" in record.getMessage() and "\n" not in record.getMessage()
        assert record.exc_info is None and "Traceback" not in caplog.text


@pytest.mark.parametrize("host", ["LOCALHOST", "Localhost:5000", "[::1]", "[::1]:5000", "127.0.0.1:8000"])
def test_trusted_hosts_are_served_in_any_case_and_with_a_port(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200
    assert client.get("/api/boards", headers={"Host": host}).status_code == 200


def test_a_trusted_host_may_be_written_in_capitals(database_url):
    settings = {"TRUSTED_HOSTS": ["Chat.Example.org"], "DATABASE_URL": database_url, "SECRET_KEY": "t"}
    client = create_app(settings).test_client()
    assert client.get("/", headers={"Host": "chat.EXAMPLE.org"}).status_code == 200


def test_no_absolute_url_carries_a_forged_host(client, submit):
    thread_id = create_thread(client)
    response = reply(client, thread_id, "hi")
    assert response.headers["Location"].startswith("/threads/")  # relative: no host at all
    for url in ("/api/boards", f"/api/threads/{thread_id}/posts"):
        assert "evil" not in client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)


def test_configured_hosts_are_served(database_url, upload_folder):
    settings = {"TRUSTED_HOSTS": ["chat.example.org"], "DATABASE_URL": database_url, "SECRET_KEY": "t"}
    client = create_app(settings).test_client()
    served = client.get("/api/boards", headers={"Host": "chat.example.org"})
    assert served.status_code == 200
    assert served.get_json()["boards"][0]["url"].startswith("http://chat.example.org/")
    assert client.get("/api/boards", headers={"Host": "localhost"}).status_code == 400


# --- text fields that are not text ----------------------------------------------------


def test_form_fields_sent_as_files_or_json_are_400_not_500(app, client):
    """A login form whose username is a file part, or a JSON body (with the token
    in its header): the fields are read from the form only, so they are missing."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    as_file = client.post("/login", data={"csrf_token": token, "username": (io.BytesIO(b"milo"), "u.txt"),
                                          "password": "x"})
    assert as_file.status_code == 400
    assert "This form takes no files" in as_file.get_data(as_text=True)
    for sent in ({"username": 5, "password": ["x"]}, [1, 2], "text"):
        answer = client.post("/login", json=sent, headers={"X-CSRFToken": token})
        assert answer.status_code == 400, sent
        assert "Enter your username and password." in answer.get_data(as_text=True)


def test_the_users_form_refuses_a_username_sent_as_a_file(app):
    admin = staff_client(app, "ann", "admin")
    token = csrf_token(admin.get("/mod/users").get_data(as_text=True))
    fields = {"csrf_token": token, "username": (io.BytesIO(b"mia"), "u.txt"), "password": "p" * 10,
              "role": "moderator"}
    assert admin.post("/mod/users", data=fields).status_code == 400
    assert "mia" not in admin.get("/mod/users").get_data(as_text=True)


# --- proxies -------------------------------------------------------------------------

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.org"}


def test_forwarded_headers_are_ignored_without_a_proxy(client):
    board = client.get("/api/boards", headers=FORWARDED).get_json()["boards"][0]
    assert board["url"].startswith("http://localhost/")


def test_forwarded_headers_are_believed_from_one_configured_proxy(database_url):
    settings = {"PROXIES": 1, "TRUSTED_HOSTS": ["chat.example.org"], "DATABASE_URL": database_url}
    client = create_app({**settings, "SECRET_KEY": "t"}).test_client()
    board = client.get("/api/boards", headers=FORWARDED).get_json()["boards"][0]
    assert board["url"].startswith("https://chat.example.org/")


# --- huge numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/threads/" + "9" * 30,
        "/threads/" + "9" * 5000,
        "/threads/2147483648",
        "/threads/0",
        "/api/threads/" + "9" * 30 + "/posts",
        "/boards/astronomy?page=" + "9" * 5000,
        "/boards/astronomy?page=1000000000",
        "/search?q=x&page=" + "9" * 5000,
    ],
    ids=["30 digits", "5000 digits", "2**31", "zero", "API 30 digits", "page 5000 digits", "page 10**9",
         "search page 5000 digits"],
)
def test_huge_numbers_in_the_address_are_404(client, url):
    assert client.get(url).status_code == 404


def test_replying_to_a_huge_thread_number_is_404(client):
    thread_id = create_thread(client)
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), "body": "x"}
    response = client.post("/threads/" + "9" * 30 + "/replies", data=fields)
    assert response.status_code == 404

