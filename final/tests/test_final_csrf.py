"""The CSRF token: every form carries the session's token, and a POST without it is refused.

Flask-WTF's CSRFProtect does the checking (forms.py): the session keeps a random
token (40 hex digits), and each page's forms carry it signed with the secret key
(itsdangerous: the token, a timestamp and a signature, separated by dots).
"""

import io
import re
import time

import imagefactory
from forum import csrf_token, post_ids, stored_files, thread_ids_on_board
from itsdangerous import URLSafeTimedSerializer

from chatsite.models import Thread

# What Flask-WTF writes into a form: base64 of the token, a timestamp, a signature.
SIGNED_TOKEN = r"[\w-]+\.[\w-]+\.[\w-]+"


def token_of(client, url="/boards/astronomy"):
    return csrf_token(client.get(url).get_data(as_text=True))


def assert_refused(response):
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="card error-page"' in html
    assert "This form has expired. Please reload the page and try again." in html


def test_every_form_carries_the_token_as_a_hidden_field(client, posting):
    thread = posting.add_thread("astronomy", "T", "")
    for url in ("/boards/astronomy", f"/threads/{thread.id}"):
        html = client.get(url).get_data(as_text=True)
        assert html.count('method="post"') == 1
        assert re.search(rf'<input type="hidden" name="csrf_token" value="{SIGNED_TOKEN}">', html)


def test_search_forms_do_not_carry_the_token(client):
    html = client.get("/search").get_data(as_text=True)
    assert csrf_token(html) is None
    assert "csrf_token" not in html


def session_token(client):
    with client.session_transaction() as session:
        return session.get("csrf_token")


def test_the_session_keeps_one_token_and_every_page_of_it_works(app, client, posting):
    """One random token a session (another for another session); the signed copies
    on its pages differ with the time they were made, and every one of them works."""
    thread = posting.add_thread("astronomy", "T", "")
    signed = [token_of(client), token_of(client, f"/threads/{thread.id}")]
    kept = session_token(client)
    assert re.fullmatch(r"[0-9a-f]{40}", kept)
    assert kept not in signed  # only its signed form is ever on a page
    other = app.test_client()
    token_of(other)
    assert session_token(other) != kept
    for token in signed:
        response = client.post("/boards/astronomy/threads", data={"title": "Hi", "csrf_token": token})
        assert response.status_code == 303
    assert session_token(client) == kept


def signed_token(app, token, seconds_ago=0):
    """`token` signed the way Flask-WTF signs it, as if `seconds_ago` seconds ago."""

    class Then(URLSafeTimedSerializer):
        def get_timestamp(self):
            return int(time.time()) - seconds_ago

    return Then(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(token)


def test_a_token_lasts_as_long_as_its_session(app, client):
    """WTF_CSRF_TIME_LIMIT = None: a form left open all day still posts (Flask-WTF's
    default would refuse it after an hour, and the visitor would lose what they typed)."""
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    token_of(client)
    day_old = signed_token(app, session_token(client), seconds_ago=24 * 3600)
    response = client.post("/boards/astronomy/threads", data={"title": "Slow typist", "csrf_token": day_old})
    assert response.status_code == 303


def test_a_token_signed_with_another_key_is_refused(app, client):
    token_of(client)
    forged = URLSafeTimedSerializer("not-our-key", salt="wtf-csrf-token").dumps(session_token(client))
    assert_refused(client.post("/boards/astronomy/threads", data={"title": "Hi", "csrf_token": forged}))


def test_valid_token_is_accepted(client):
    token = token_of(client)
    response = client.post("/boards/astronomy/threads", data={"title": "Hi", "csrf_token": token})
    assert response.status_code == 303


def test_missing_token_is_refused_and_nothing_is_stored(client, upload_folder):
    token_of(client)  # the session has a token, but the form does not send it
    data = {"title": "Forged", "body": "x", "image": (io.BytesIO(imagefactory.png()), "a.png")}
    response = client.post("/boards/astronomy/threads", data=data)
    assert_refused(response)
    assert thread_ids_on_board(client) == []
    assert stored_files(upload_folder) == []


def test_wrong_token_is_refused(client, posting, reading):
    thread = posting.add_thread("astronomy", "T", "opening")
    token_of(client)
    url = f"/threads/{thread.id}/replies"
    assert_refused(client.post(url, data={"body": "forged", "csrf_token": "x" * 43}))
    assert_refused(client.post(url, data={"body": "forged", "csrf_token": "é" * 43}))
    assert post_ids(client, thread.id) == [reading.thread_posts(thread.id)[0].id]


def test_token_from_another_session_is_refused(app, client):
    token = token_of(app.test_client())
    response = client.post("/boards/astronomy/threads", data={"title": "Hi", "csrf_token": token})
    assert_refused(response)


def test_a_token_without_a_session_is_refused(client):
    response = client.post("/boards/astronomy/threads", data={"title": "Hi", "csrf_token": ""})
    assert_refused(response)


def test_an_image_without_the_token_is_refused_and_not_stored(client, posting, get, upload_folder):
    thread = posting.add_thread("astronomy", "T", "opening")
    token_of(client)
    data = {"image": (io.BytesIO(imagefactory.png()), "a.png")}
    assert_refused(client.post(f"/threads/{thread.id}/replies", data=data))
    assert stored_files(upload_folder) == []
    assert get(Thread, thread.id).reply_count == 0


def test_an_empty_form_is_refused_too(client, posting, reading, get):
    """No fields at all (or a body too broken to read) still needs the token."""
    thread = posting.add_thread("astronomy", "T", "opening")
    token_of(client)
    assert_refused(client.post(f"/threads/{thread.id}/replies"))
    assert_refused(client.post("/boards/astronomy/threads"))
    assert get(Thread, thread.id).reply_count == 0
    assert reading.count_threads("astronomy") == 1


def test_too_large_without_a_token_is_still_413(app, client, posting):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    thread = posting.add_thread("astronomy", "T", "opening")
    response = client.post(f"/threads/{thread.id}/replies", data={"body": "x" * 2000})
    assert response.status_code == 413
    assert "That request was larger than" in response.get_data(as_text=True)


def test_unknown_thread_and_wrong_method_come_before_the_token(client):
    assert client.post("/threads/999/replies", data={"body": "x"}).status_code == 404
    assert client.post("/boards/nope/threads", data={"title": "x"}).status_code == 404
    assert client.post("/", data={"q": "x"}).status_code == 405


def test_other_unsafe_methods_need_the_token_too(app, client):
    @app.route("/test-only/change", methods=["PUT", "PATCH", "DELETE"])
    def change():
        return "changed"

    token = token_of(client)
    for method in ("put", "patch", "delete"):
        send = getattr(client, method)
        assert send("/test-only/change", data={"x": "1"}).status_code == 400
        assert send("/test-only/change", data={"x": "1", "csrf_token": token}).status_code == 200


def test_refused_token_under_the_api_is_json(app, client):
    @app.post("/api/test-only/change")
    def change():
        return {"changed": True}

    response = client.post("/api/test-only/change", data={"x": "1"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "status": 400,
        "message": "This form has expired. Please reload the page and try again.",
    }


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/boards/astronomy")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_without_forms_set_no_cookie(client):
    assert "Set-Cookie" not in client.get("/").headers
