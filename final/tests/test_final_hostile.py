"""Requests an attacker would send: forged sessions, fields that are not text, huge numbers.

(Hostile Host headers and forged X-Forwarded-* headers are step 21's:
tests/test_21_serving.py, which runs on the final app too.)

Each case is what an outsider can send without any special access, and each
must end in a clear 4xx (or a harmless page), never a 500, and never let the
attacker's text into our markup or our URLs.
"""

import io
import re

import pytest
from flask.sessions import SecureCookieSessionInterface
from forum import create_thread, csrf_token, staff_client, thread_ids_on_board
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


# --- text fields that are not text ----------------------------------------------------


def test_the_users_form_refuses_a_username_sent_as_a_file(app):
    admin = staff_client(app, "ann", "admin")
    token = csrf_token(admin.get("/mod/users").get_data(as_text=True))
    fields = {"csrf_token": token, "username": (io.BytesIO(b"mia"), "u.txt"), "password": "p" * 10,
              "role": "moderator"}
    assert admin.post("/mod/users", data=fields).status_code == 400
    assert "mia" not in admin.get("/mod/users").get_data(as_text=True)


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

