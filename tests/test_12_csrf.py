"""Step 12: forged forms and security headers.

What a user notices: nothing, unless someone attacks. Every form carries a
hidden csrf_token, and a form sent without the right one (from another site,
or a page left open too long) gets 400 "This form has expired" with nothing
changed. The session cookie is SameSite=Lax and is renewed at login. Every
answer carries the security headers, no page has inline code, and only the
new-thread and reply forms take large bodies or files.

The shared browsers (``moderator``, ``admin``) and helpers are in staff.py.
"""

import io

import imagefactory
import pytest
import staff
from forum import (
    BOARD,
    PASSWORD,
    create_thread,
    create_user,
    csrf_token,
    image_urls_in,
    log_in,
    post_ids,
    reply,
    thread_ids_on_board,
    user_id,
    usernames,
)
from staff import (
    EXPIRED,
    act,
    cookie_attributes,
    forms_without_token,
    header_problems,
    inline_code,
    is_anonymous,
    post_form_actions,
    refused_without_token,
    text_of,
)

pytestmark = pytest.mark.since("12")

# The shared browsers logged in as "milo" and "ann" (staff.py), as fixtures of this module.
moderator, admin = staff.moderator, staff.admin


def test_logging_in_starts_a_new_session_whose_old_form_token_no_longer_works(app):
    """The session is renewed at login: a token from the page before login is refused."""
    create_user(app, "milo")
    client = app.test_client()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    old_token = csrf_token(client.get("/login").get_data(as_text=True))
    old_cookie = client.get_cookie(cookie_name).value
    assert log_in(client, "milo").status_code == 303
    assert client.get_cookie(cookie_name).value != old_cookie

    response = client.post("/logout", data={"csrf_token": old_token})
    assert response.status_code == 400
    assert EXPIRED in text_of(response)
    assert client.get("/mod/").status_code == 200  # still logged in


def test_the_session_cookie_is_same_site_lax(app, client):
    """Browsers leave the cookie out of other sites' forms: a visitor's session, and staff's."""
    create_user(app, "milo")
    name = app.config["SESSION_COOKIE_NAME"]
    samesite = {
        "visitor": cookie_attributes(client.get("/login"), name).get("samesite"),
        "staff": cookie_attributes(log_in(app.test_client(), "milo"), name).get("samesite"),
    }
    assert samesite == {"visitor": "Lax", "staff": "Lax"}


def test_every_form_refuses_a_post_without_the_right_token(app, client, admin):
    """No token, or a wrong one: 400, "This form has expired", and nothing changes."""
    thread_id = create_thread(client, title="Protected")
    [post_id] = post_ids(client, thread_id)
    create_user(app, "milo")
    visitor = app.test_client()
    visitor.get("/login")  # a session with a token of its own
    sends = {
        "new thread": (visitor, f"/boards/{BOARD}/threads", {"title": "Forged", "body": "x"}),
        "reply": (visitor, f"/threads/{thread_id}/replies", {"body": "Forged"}),
        "login": (visitor, "/login", {"username": "milo", "password": PASSWORD}),
        "new account": (admin, "/mod/users", {"username": "mole", "password": PASSWORD, "role": "admin"}),
        "disable": (admin, f"/mod/users/{user_id(app, 'milo')}/disable", {}),
        "log out": (admin, "/logout", {}),
    }
    seen = {form: refused_without_token(*send) for form, send in sends.items()}
    assert seen == {form: {"none": (400, True), "wrong": (400, True)} for form in sends}
    # Nothing changed.
    assert thread_ids_on_board(client) == [thread_id]
    assert post_ids(client, thread_id) == [post_id]
    assert is_anonymous(visitor)
    assert usernames(app) == ["ann", "milo"]
    assert log_in(app.test_client(), "milo").status_code == 303  # not disabled
    assert admin.get("/mod/users").status_code == 200  # still logged in


def test_every_page_sends_the_security_headers_and_has_no_inline_code(client, admin):
    thread_id = create_thread(client, title="Headers", image=("h.png", imagefactory.png()))
    [image] = image_urls_in(client.get(f"/threads/{thread_id}"))
    visitor_pages = [
        "/", f"/boards/{BOARD}", f"/threads/{thread_id}", "/search?q=headers", "/login",
        "/no/such/page", "/mod/", "/api/boards", image, "/static/style.css",
    ]
    answers = {f"visitor {url}": client.get(url) for url in visitor_pages}
    staff_pages = ["/", f"/threads/{thread_id}", "/mod/", "/mod/users"]
    answers |= {f"admin {url}": admin.get(url) for url in staff_pages}
    answers["visitor POST new account"] = act(client, "/mod/users", {"username": "x"})
    assert header_problems(answers) == {}
    assert {name: inline_code(answer) for name, answer in answers.items()} == {name: [] for name in answers}


def test_every_post_form_on_every_page_carries_a_csrf_token(app, client, admin):
    thread_id = create_thread(client)
    create_user(app, "milo")
    pages = {
        "visitor": (client, [f"/boards/{BOARD}", f"/threads/{thread_id}", "/login"]),
        "admin": (admin, ["/", f"/boards/{BOARD}", f"/threads/{thread_id}", "/mod/", "/mod/users"]),
    }
    without, actions = {}, set()
    for who, (browser, urls) in pages.items():
        for url in urls:
            response = browser.get(url)
            actions |= set(post_form_actions(response))
            without[f"{who} {url}"] = forms_without_token(response)
    assert without == {f"{who} {url}": [] for who, (_, urls) in pages.items() for url in urls}
    assert actions >= {
        f"/boards/{BOARD}/threads", f"/threads/{thread_id}/replies", "/login", "/logout", "/mod/users",
        f"/mod/users/{user_id(app, 'milo')}/disable",
    }


# --- request sizes ------------------------------------------------------------------------

MIB = 1024 * 1024


def send_body(browser, url, body, content_type, chunked=False):
    """POST ``body`` (bytes) as it is. chunked: with no length announced, as a
    "Transfer-Encoding: chunked" request arrives (the server ends the body)."""
    if not chunked:
        return browser.post(url, data=body, content_type=content_type)
    return browser.post(
        url, input_stream=io.BytesIO(body), content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )


def big_multipart(token, fields):
    """A multipart form: the csrf token, ``fields``, and a 1 MiB file, as an upload form sends it."""
    parts = [("csrf_token", token), *fields.items()]
    body = b"".join(
        f'--B\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in parts
    )
    body += b'--B\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
    body += b"Content-Type: image/png\r\n\r\n" + imagefactory.png_of_size(MIB) + b"\r\n--B--\r\n"
    return body


def test_only_the_new_thread_and_reply_forms_take_large_bodies(app, client, admin):
    """Any other address refuses a body over 65 KiB (MAX_FORM_MEMORY_SIZE) with 413,
    before it reads it: a plain form, a multipart one, any other type, chunked or not."""
    thread_id = create_thread(client, title="Not locked")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    staff_token = csrf_token(admin.get("/mod/users").get_data(as_text=True))
    plain = f"csrf_token={token}&username=milo&password=x".encode() + b"&a=" * 400_000
    account = {"username": "mole", "password": PASSWORD, "role": "admin"}
    multipart = "multipart/form-data; boundary=B"
    sends = {
        "plain login": (client, "/login", plain, "application/x-www-form-urlencoded", False),
        "multipart login": (client, "/login", big_multipart(token, {"username": "milo"}), multipart, False),
        "chunked login": (client, "/login", plain, "application/x-www-form-urlencoded", True),
        "text login": (client, "/login", b"x" * MIB, "text/plain", False),
        "new account": (admin, "/mod/users", big_multipart(staff_token, account), multipart, False),
        "chunked new account": (admin, "/mod/users", big_multipart(staff_token, account), multipart, True),
        "logout": (admin, "/logout", big_multipart(staff_token, {}), multipart, False),
        "API": (client, "/api/boards", b"{}" + b" " * MIB, "application/json", False),
    }
    answers = {name: send_body(*send) for name, send in sends.items()}
    assert {name: answer.status_code for name, answer in answers.items()} == {name: 413 for name in sends}
    assert "Nothing was posted." in text_of(answers["plain login"])
    assert "Back to all boards" in text_of(answers["logout"])  # the site's own page
    assert answers["API"].get_json()["error"]["status"] == 413
    # Nothing happened: no account, still logged in; the upload forms take 1 MiB.
    assert usernames(app) == ["ann"]
    assert admin.get("/mod/").status_code == 200
    image = ("big.png", imagefactory.png_of_size(MIB))
    assert reply(client, thread_id, "A big one", image=image).status_code == 303
