"""Step 20: Flask extensions. Flask-Login, Flask-WTF and Flask-Limiter replace the
hand-made sessions, CSRF guard, form checks and flood control of steps 11-14.

What a user notices: almost nothing, on purpose. Every test of steps 11 to 14
still passes, word for word: the extensions do what the hand-made code did.
What a client can tell apart is the little that Flask-WTF's CSRF guard does
beyond step 12's:

- over HTTPS, a form must also come from a page of this site: its Referer
  header must name this site (WTF_CSRF_SSL_STRICT), so a token that leaked
  does not let another site post;
- a script may send the token in an X-CSRFToken header instead of a form
  field; the form's fields are still read from the form only.

The shared helpers are in staff.py.
"""

import pytest
from forum import BOARD, create_thread, csrf_token, post_ids, thread_ids_on_board
from staff import EMPTY, EXPIRED, text_of

pytestmark = pytest.mark.since("20")

HTTPS = "https://localhost"


def test_over_https_a_form_must_come_from_a_page_of_this_site(client):
    """With the right token, a form sent over HTTPS without a Referer, or from
    another site's page, or from this site's plain-HTTP page, is refused (400,
    "This form has expired"); from a page of this site, it posts."""
    form_page = f"{HTTPS}/boards/{BOARD}"
    token = csrf_token(client.get(f"/boards/{BOARD}", base_url=HTTPS))
    referers = {
        "none": None,
        "another site": "https://evil.example/boards/astronomy",
        "this site over http": f"http://localhost/boards/{BOARD}",
        "this site": form_page,
    }
    seen = {}
    for case, referer in referers.items():
        headers = {"Referer": referer} if referer else {}
        fields = {"title": case, "csrf_token": token}
        response = client.post(f"/boards/{BOARD}/threads", data=fields, headers=headers, base_url=HTTPS)
        seen[case] = (response.status_code, EXPIRED in text_of(response))
    assert seen == {
        "none": (400, True),
        "another site": (400, True),
        "this site over http": (400, True),
        "this site": (303, False),
    }
    assert len(thread_ids_on_board(client)) == 1


def test_a_script_may_send_the_token_in_a_header(client):
    """X-CSRFToken (or X-CSRF-Token) instead of the csrf_token field: the reply posts;
    a wrong token there is refused like a wrong field. The fields are still read from
    the form only: a login sent as JSON has no username, never a 500."""
    thread_id = create_thread(client)
    token = csrf_token(client.get(f"/threads/{thread_id}"))
    sends = {
        "X-CSRFToken": {"X-CSRFToken": token},
        "X-CSRF-Token": {"X-CSRF-Token": token},
        "a wrong token": {"X-CSRFToken": "x" * 43},
    }
    seen = {}
    for case, headers in sends.items():
        response = client.post(f"/threads/{thread_id}/replies", data={"body": case}, headers=headers)
        seen[case] = response.status_code
    for sent in ({"username": 5, "password": ["x"]}, [1, 2], "text"):
        response = client.post("/login", json=sent, headers={"X-CSRFToken": token})
        seen[f"login as JSON {sent!r}"] = (response.status_code, EMPTY in text_of(response))
    assert seen == {
        "X-CSRFToken": 303,
        "X-CSRF-Token": 303,
        "a wrong token": 400,
        "login as JSON {'username': 5, 'password': ['x']}": (400, True),
        "login as JSON [1, 2]": (400, True),
        "login as JSON 'text'": (400, True),
    }
    assert len(post_ids(client, thread_id)) == 3  # the opening post and two replies
