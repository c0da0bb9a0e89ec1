"""Bad input, proven: a catalogue of hostile or broken requests across steps 03-18.

Every case goes through the same check (`run_case`):

- the answer has the expected status code, and is never a 500;
- a refused request adds no thread, no post and no file;
- every stored file sits inside the upload folder under a generated name.

A case that the site should accept (a `<script>` title, a PNG with a script
appended...) says so with ``stores=True`` and checks what makes it safe.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import imagefactory
import pytest
from forum import (
    PASSWORD,
    create_thread,
    create_user,
    csrf_token,
    full_image_urls_in,
    log_in,
    login_redirect_next,
    markup,
    page,
    post_body,
    post_form,
    post_ids,
    quote_line,
    quote_link,
    reply,
    staff_client,
    stored_files,
    thread_ids_on_board,
    user_id,
    web_link,
)
from markupsafe import escape

MIB = 1024 * 1024
FOUR_MIB = 4 * MIB
# A random name (steps 06-16, with a thumbnail beside it from 16), or the SHA-256 of the
# content and a thumbnail beside it (17 on).
STORED_NAME = re.compile(
    r"[0-9a-f]{32}\.(png|jpg|gif|webp|thumb\.jpg)|[0-9a-f]{64}\.(png|jpg|gif|webp|webm|mp4|thumb\.jpg)"
)
NOT_AN_IMAGE = "This file is not a complete PNG, JPEG, GIF or WebP image."
NOT_A_VIDEO = "This file is not a complete WebM or MP4 video."
HTML_PROFILE = imagefactory.profile_with_html()  # an ICC colour profile carrying 4 KB of HTML


@dataclass
class Case:
    name: str
    send: Callable  # send(client, thread_id) -> response
    status: int
    stores: bool = False  # True: the input is accepted and stored (safely)
    says: str = ""  # words the answer must contain
    then: Callable | None = None  # then(client, response, thread_id): more checks


# --- ways to send things -------------------------------------------------------


def new_thread(title, body="body"):
    def send(client, thread_id):
        fields = {"title": title, "body": body}
        return post_form(client, "/boards/astronomy", "/boards/astronomy/threads", fields)

    return send


def new_reply(body="words", image=None):
    return lambda client, thread_id: reply(client, thread_id, body, image)


def get(url):
    return lambda client, thread_id: client.get(url.format(thread=thread_id))


# A WebSocket handshake's headers, as a browser sends them (the key: 16 bytes in base64).
WEBSOCKET = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "c2l4dGVlbiBieXRlcyEhIQ==",
}


def live_handshake(**changes):
    """GET the thread's live URL with WEBSOCKET's headers, some changed
    (Sec_WebSocket_Version="8") or left out (None)."""
    headers = {**WEBSOCKET, **{name.replace("_", "-"): value for name, value in changes.items()}}
    headers = {name: value for name, value in headers.items() if value is not None}
    return lambda client, thread_id: client.get(f"/threads/{thread_id}/live", headers=headers)


def in_digits(number, zero):
    """``number`` written with the ten digits that start at the character ``zero``:
    in_digits(31, "\u0660") is "\u0663\u0661", 31 in Arabic-Indic digits."""
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


ARABIC_INDIC, FULL_WIDTH, MATHEMATICAL_BOLD = "\u0660", "\uff10", "\U0001d7ce"


def get_in_digits(url, zero):
    """GET ``url`` with the case's thread id written in other digits ({thread})."""
    return lambda client, thread_id: client.get(url.format(thread=in_digits(thread_id, zero)))


def post(url):
    return lambda client, thread_id: post_form(client, "/", url.format(thread=thread_id), {})


def post_with_token(url, fields):
    """POST to ``url`` with this browser's csrf token (from a board page's form)."""
    return lambda client, thread_id: post_form(client, "/boards/astronomy", url, fields)


def report_first_post(reason, details=""):
    def send(client, thread_id):
        url = f"/posts/{post_ids(client, thread_id)[0]}/report"
        return post_form(client, url, url, {"reason": reason, "details": details})

    return send


def raw_multipart(build):
    """Send a hand-made multipart body to the reply form (with the csrf_token, if any)."""

    def send(client, thread_id):
        page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
        body = build(csrf_token(page))
        return client.post(
            f"/threads/{thread_id}/replies",
            data=body,
            content_type="multipart/form-data; boundary=BOUNDARY",
        )

    return send


def multipart(token, fields, file=None, close=True):
    """A multipart/form-data body: fields, then an optional (filename, bytes) image."""
    parts = []
    if token is not None:
        fields = {"csrf_token": token, **fields}
    for name, value in fields.items():
        parts.append(
            f'--BOUNDARY\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    if file is not None:
        filename, content = file
        parts.append(
            b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"image\"; "
            + f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + (b"--BOUNDARY--\r\n" if close else b"")


def raw_urlencoded(build):
    """Send a hand-made plain (URL-encoded) form body to the reply form (with the csrf_token, if any)."""

    def send(client, thread_id):
        page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
        token = csrf_token(page)
        body = build() + (f"&csrf_token={token}" if token is not None else "")
        return client.post(
            f"/threads/{thread_id}/replies", data=body, content_type="application/x-www-form-urlencoded"
        )

    return send


def upload_of_total_size(total):
    """A reply whose whole request body is exactly `total` bytes: a padded PNG."""

    def build(token):
        overhead = len(multipart(token, {"body": "sized"}, ("sized.png", b"")))
        return multipart(token, {"body": "sized"}, ("sized.png", imagefactory.png_of_size(total - overhead)))

    return build


def request_at_the_limit(extra=0):
    """A reply whose whole request body is the app's MAX_CONTENT_LENGTH + ``extra`` bytes
    (5 MiB until step 16; 17 MiB from step 17, room for a 16 MiB video)."""

    def send(client, thread_id):
        total = client.application.config["MAX_CONTENT_LENGTH"] + extra
        return raw_multipart(upload_of_total_size(total))(client, thread_id)

    return send


def says_the_request_limit(client, response, thread_id):
    """The 413 names the app's own limits: the request's, and an image's."""
    config = client.application.config
    limit, image_limit = config["MAX_CONTENT_LENGTH"] // MIB, config["MAX_IMAGE_SIZE"] // MIB
    text = response.get_data(as_text=True)
    assert f"larger than {limit} MiB in all (images can be up to {image_limit} MiB" in text


def formatted_reply(typed):
    """A reply whose body is ``typed``, with {op} the id of the thread's opening post."""

    def send(client, thread_id):
        return reply(client, thread_id, typed.format(op=post_ids(client, thread_id)[0]))

    return send


def login(username, password=PASSWORD, user=None):
    """Send the login form; ``user`` (a name) is made first, as a moderator."""

    def send(client, thread_id):
        if user is not None:
            create_user(client.application, user)
        return log_in(client, username, password)

    return send


def log_in_as_a_moderator(client):
    """Make the moderator "milo" and log this browser in as them."""
    create_user(client.application, "milo")
    assert log_in(client, "milo").status_code == 303


def staff_post(url, fields=None):
    """Log in as a moderator, then POST to ``url`` ({thread}: the case's thread) with the csrf token."""

    def send(client, thread_id):
        log_in_as_a_moderator(client)
        return post_form(client, "/boards/astronomy", url.format(thread=thread_id), fields or {})

    return send


def as_a_file(text):
    """A form field sent as a file part (filename and all), not as text."""
    return (io.BytesIO(text.encode()), "field.txt")


def big_file_to(url, staff=False):
    """POST to ``url`` ({thread}: the case's thread) the form of a page, with a 1 MiB file."""

    def send(client, thread_id):
        if staff:
            log_in_as_a_moderator(client)
        image = ("big.png", imagefactory.png_of_size(MIB))
        return post_form(client, "/boards/astronomy", url.format(thread=thread_id), {}, image=image)

    return send


def delete_reply_twice(client, thread_id):
    """A moderator deletes a new reply (303), then deletes it again."""
    log_in_as_a_moderator(client)
    assert reply(client, thread_id, "to be deleted").status_code == 303
    post_id = post_ids(client, thread_id)[-1]
    assert post_form(client, "/boards/astronomy", f"/mod/posts/{post_id}/delete", {}).status_code == 303
    return post_form(client, "/boards/astronomy", f"/mod/posts/{post_id}/delete", {})


def act_on_a_deleted_thread(action):
    """A moderator deletes a new thread (303), then tries ``action`` on it."""

    def send(client, thread_id):
        log_in_as_a_moderator(client)
        doomed = create_thread(client, title="Doomed")
        assert post_form(client, "/boards/astronomy", f"/mod/threads/{doomed}/delete", {}).status_code == 303
        return post_form(client, "/boards/astronomy", f"/mod/threads/{doomed}/{action}", {"board": "chess"})

    return send


def reply_to_a_locked_thread(client, thread_id):
    moderator = staff_client(client.application, "milo")
    assert post_form(moderator, "/boards/astronomy", f"/mod/threads/{thread_id}/lock", {}).status_code == 303
    # The page no longer has a reply form: the request of a page left open before the lock.
    fields = {"body": "Let me in anyway"}
    return post_form(client, "/boards/astronomy", f"/threads/{thread_id}/replies", fields,
                     image=("l.png", imagefactory.png()))


NEW_ADMIN = {"username": "intruder", "password": PASSWORD, "role": "admin"}


def disabled_admins_old_session(client, thread_id):
    """An admin is logged in; another admin disables them; their next form (a new admin) is refused."""
    app = client.application
    create_user(app, "dora", "admin")
    assert log_in(client, "dora").status_code == 303
    admin = staff_client(app, "ann", "admin")
    disabled = post_form(admin, "/mod/users", f"/mod/users/{user_id(app, 'dora')}/disable", {})
    assert disabled.status_code == 303
    return post_form(client, "/boards/astronomy", "/mod/users", NEW_ADMIN)


def copied_admin_session_after(ending):
    """An admin logs in, a copy of the session cookie is kept, then ``ending`` ends
    the session ("logout", or "disable" and enable again, by another admin); the
    copy tries to make a new admin."""

    def send(client, thread_id):
        app = client.application
        dora = staff_client(app, "dora", "admin")
        copied = dora.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        if ending == "logout":
            assert post_form(dora, "/", "/logout", {}).status_code == 303
        else:
            admin = staff_client(app, "ann", "admin")
            for action in ("disable", "enable"):
                changed = post_form(admin, "/mod/users", f"/mod/users/{user_id(app, 'dora')}/{action}", {})
                assert changed.status_code == 303
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
        return post_form(client, "/boards/astronomy", "/mod/users", NEW_ADMIN)

    return send


def disabled_moderators_old_session(client, thread_id):
    """A moderator is logged in; an admin disables them; their next click (lock) is refused."""
    app = client.application
    create_user(app, "dora")
    assert log_in(client, "dora").status_code == 303
    admin = staff_client(app, "ann", "admin")
    disabled = post_form(admin, "/boards/astronomy", f"/mod/users/{user_id(app, 'dora')}/disable", {})
    assert disabled.status_code == 303
    return post_form(client, "/boards/astronomy", f"/mod/threads/{thread_id}/lock", {})


def copied_session_after(ending):
    """A moderator logs in, a copy of the session cookie is kept, then ``ending`` ends
    the session ("logout", or "disable" and enable again); the copy tries to lock."""

    def send(client, thread_id):
        app = client.application
        moderator = staff_client(app, "dora")
        copied = moderator.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        if ending == "logout":
            assert post_form(moderator, "/", "/logout", {}).status_code == 303
        else:
            admin = staff_client(app, "ann", "admin")
            dora = user_id(app, "dora")
            for action in ("disable", "enable"):
                changed = post_form(admin, "/boards/astronomy", f"/mod/users/{dora}/{action}", {})
                assert changed.status_code == 303
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
        return post_form(client, "/boards/astronomy", f"/mod/threads/{thread_id}/lock", {})

    return send


def forged_session(user):
    """A session signed with the site's own key (as if it had leaked) whose user id is
    ``user``: a string, a huge number, a list, an id nobody has. Then open the home page."""

    def send(client, thread_id):
        app = client.application
        value = app.session_interface.get_signing_serializer(app).dumps(
            {"user_id": user, "_user_id": user}  # the step's key, and Flask-Login's
        )
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
        return client.get("/")

    return send


# --- checks for accepted input ---------------------------------------------------


def shown_escaped(text):
    def check(client, response, thread_id):
        page = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
        assert text not in page
        assert text.replace("<", "&lt;").replace(">", "&gt;") in page

    return check


def stored_as_text(text):
    """SQL typed into a form is kept as text, shown escaped, and breaks nothing."""

    def check(client, response, thread_id):
        page = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
        assert str(escape(text)) in page
        site_still_works(client, response, thread_id)

    return check


def site_still_works(client, response, thread_id):
    """No table was dropped, nothing else was changed: the thread and its posts are
    still there, and a new thread can be started."""
    assert thread_id in thread_ids_on_board(client)
    assert post_ids(client, thread_id)
    assert create_thread(client, title="Afterwards") in thread_ids_on_board(client)


def finds_nothing(client, response, thread_id):
    """The search took the SQL as words to look for: no thread has them."""
    assert f"/threads/{thread_id}" not in page(response).hrefs()
    site_still_works(client, response, thread_id)


def shown_as(*texts, title=None):
    """The post was stored, and its page shows each of `texts` exactly (e.g. in NFC),
    and `title` (if given) as its heading."""

    def check(client, response, thread_id):
        html = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
        for text in texts:
            assert text in html
        if title is not None:
            assert [heading.text() for heading in page(html).find_all("h1")] == [title]

    return check


def uploaded_images(client, thread_id):
    """The <img> elements of a thread page that show uploaded images."""
    images = page(client.get(f"/threads/{thread_id}")).images()
    return [img for img in images if img.get("src", "").startswith("/uploads/")]


def alt_text_is(text):
    def check(client, response, thread_id):
        assert [img.get("alt") for img in uploaded_images(client, thread_id)] == [text]

    return check


def served_safely_as(content_type, without=None):
    """The full image is served as ``content_type`` with nosniff, and (from step 16,
    which stores only the pixels) without the bytes ``without``."""

    def check(client, response, thread_id):
        [url] = full_image_urls_in(client.get(f"/threads/{thread_id}"))
        served = client.get(url)
        assert served.mimetype == content_type
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        if without is not None:
            assert without not in served.data

    return check


image_served_safely = served_safely_as("image/png")


def says_one_of(*messages):
    """The refusal gives one of these reasons (where a step words it its own way)."""

    def check(client, response, thread_id):
        text = response.get_data(as_text=True)
        assert any(message in text for message in messages), text[:500]

    return check


def videos_are_accepted(client, response, thread_id):
    """The 400 came from the empty file, not from videos being refused: a real one goes through."""
    assert reply(client, thread_id, image=("clip.mp4", imagefactory.mp4())).status_code == 303


def renders_as(*expected):
    """The new post's body holds exactly this markup (forum.quote_link, quote_line,
    web_link; {op}: the opening post's id), and nothing else."""

    def check(client, response, thread_id):
        post_id = int(re.search(r"#post-(\d+)$", response.headers["Location"]).group(1))
        op = post_ids(client, thread_id)[0]
        html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
        wanted = [(tag, {k: v.format(op=op) for k, v in attrs.items()}, text.format(op=op))
                  for tag, attrs, text in expected]
        assert markup(post_body(html, post_id)) == wanted

    return check


def short_alt_text(client, response, thread_id):
    [alt] = [img.get("alt", "") for img in uploaded_images(client, thread_id)]
    assert 0 < len(alt) <= 100


def reply_route_works(client, response, thread_id):
    """The 404 came from the missing thread, not from a missing reply route."""
    assert reply(client, thread_id, "a real reply").status_code == 303


def search_finds_the_target(client, response, thread_id):
    """The 404 came from the page number, not from a missing search page."""
    assert f"/threads/{thread_id}" in page(client.get("/search?q=target")).hrefs()


def uploads_are_served(client, response, thread_id):
    """The 404 came from the escaping path, not from a missing upload route."""
    reply(client, thread_id, image=("ok.png", imagefactory.png()))
    [url] = full_image_urls_in(client.get(f"/threads/{thread_id}"))
    assert client.get(url).status_code == 200


def report_first_post_twice(client, thread_id):
    """Report the thread's opening post (303), then again while that report is open."""
    assert report_first_post("spam")(client, thread_id).status_code == 303
    return report_first_post("illegal", "Still there")(client, thread_id)


def report_route_works(client, response, thread_id):
    """The 404 came from the unknown post, not from a missing report page."""
    assert client.get(f"/posts/{post_ids(client, thread_id)[0]}/report").status_code == 200


def still_open(client, response, thread_id):
    """The thread was not locked: its reply form is still there."""
    html = client.get(f"/threads/{thread_id}")
    assert f"/threads/{thread_id}/replies" in [form.action for form in page(html).forms()]


def anonymous(client, response, thread_id):
    """The browser is a visitor: staff pages send it to the login page, staff actions are refused."""
    assert login_redirect_next(client.get("/mod/")) == "/mod/"
    assert post_form(client, "/boards/astronomy", "/mod/users", NEW_ADMIN).status_code == 403


def still_open_under_its_lock_button(client, response, thread_id):
    """The thread was not locked, and the moderator still sees the Lock button that
    the refused request was sent to."""
    actions = [form.action for form in page(client.get(f"/threads/{thread_id}")).forms()]
    assert f"/threads/{thread_id}/replies" in actions and f"/mod/threads/{thread_id}/lock" in actions


def no_new_account(client, response, thread_id):
    """The refused form made no account: the intruder cannot log in."""
    assert log_in(client.application.test_client(), "intruder").status_code == 400


def still_logged_in(client, response, thread_id):
    """The refused log-out changed nothing: the staff's home page still opens."""
    assert client.get("/mod/").status_code == 200


def delete_route_works(client, response, thread_id):
    """The 404 came from the unknown id, not from a missing page: the moderator sees
    the thread's own Delete form."""
    forms = page(client.get(f"/threads/{thread_id}")).forms()
    assert f"/mod/threads/{thread_id}/delete" in [form.action for form in forms]


def json_error(status):
    def check(client, response, thread_id):
        assert response.mimetype == "application/json"
        assert response.get_json()["error"]["status"] == status

    return check


# Characters that show nothing: zero-width and other format characters, and the
# "fillers" that Unicode files as letters or symbols. A title made only of them
# would be a blank link on the board page.
INVISIBLE = {
    "U+200B zero-width space": "\u200b",
    "U+3164 Hangul filler": "\u3164",
    "U+FEFF byte order mark": "\ufeff",
    "U+2060 word joiner": "\u2060",
    "U+00AD soft hyphen": "\u00ad",
    "U+200E left-to-right mark": "\u200e",
    "U+200F right-to-left mark": "\u200f",
    "U+061C Arabic letter mark": "\u061c",
    "U+115F Hangul choseong filler": "\u115f",
    "U+1160 Hangul jungseong filler": "\u1160",
    "U+FFA0 halfwidth Hangul filler": "\uffa0",
    "U+2800 blank Braille pattern": "\u2800",
    "U+180E Mongolian vowel separator": "\u180e",
    "a combining mark with no letter": "\u0301",
}
ALL_INVISIBLE = "".join(INVISIBLE.values())
# Five accent marks on one letter ("Zalgo" text); none of them merges with "q" in NFC.
FIVE_MARKS = "q\u0300\u0301\u0302\u0303\u0304"

SCRIPT = "<script>alert(1)</script>"
# Text that would change the query if it were pasted into the SQL text
# instead of being sent as a parameter (see steps/10_database/chatsite/store.py).
DROP_TABLE = "x'); DROP TABLE threads; --"
OR_TRUE = "' OR 1=1 --"

WRONG = "Wrong username or password."
NO_FILES = "This form takes no files"

QUOTE_OP = quote_link("{op}", "#post-{op}")  # >>{op}, the thread's opening post

CASES = {
    "03": [
        Case("title of whitespace only", new_thread("   \t  "), 400, says="give your thread a title"),
        Case("title missing entirely", lambda c, t: post_form(
            c, "/boards/astronomy", "/boards/astronomy/threads", {"body": "no title"}), 400),
        Case("control character in title", new_thread("bell\x07"), 400, says="control"),
        Case("NUL in title", new_thread("nul\x00byte"), 400),
        Case("title sent as a file part", lambda c, t: post_form(c, "/boards/astronomy",
             "/boards/astronomy/threads", {"title": as_a_file("Hello"), "body": "x"}), 400,
             says="give your thread a title"),
        Case("U+202E in title", new_thread("invoice\u202egpj.exe"), 400, says="text-direction"),
        Case("script in title", new_thread(SCRIPT), 303, stores=True, then=shown_escaped(SCRIPT)),
        Case("script in body", new_thread("Fine", SCRIPT), 303, stores=True, then=shown_escaped(SCRIPT)),
        Case("SQL in title (DROP TABLE)", new_thread(DROP_TABLE), 303, stores=True,
             then=stored_as_text(DROP_TABLE)),
        Case("SQL in title (OR 1=1)", new_thread(OR_TRUE), 303, stores=True, then=stored_as_text(OR_TRUE)),
        Case("SQL in body (DROP TABLE)", new_thread("Fine", DROP_TABLE), 303, stores=True,
             then=stored_as_text(DROP_TABLE)),
        Case("SQL in body (OR 1=1)", new_thread("Fine", OR_TRUE), 303, stores=True,
             then=stored_as_text(OR_TRUE)),
        Case("NUL in body", new_thread("Fine", "nul\x00byte"), 400, says="control"),
        Case("title one over 120", new_thread("t" * 121), 400),
        Case("body exactly 5000", new_thread("Long", "b" * 5000), 303, stores=True),
        Case("body one over 5000", new_thread("Long", "b" * 5001), 400),
        Case("thread on unknown board", lambda c, t: post_form(
            c, "/boards/astronomy", "/boards/nope/threads", {"title": "x"}), 404),
        Case("non-integer thread id", get("/threads/abc"), 404),
        Case("negative thread id", get("/threads/-1"), 404),
        Case("thread id larger than any database integer", get("/threads/" + "9" * 30), 404),
        Case("thread id in Arabic-Indic digits", get_in_digits("/threads/{thread}", ARABIC_INDIC), 404),
        Case("thread id in full-width digits", get_in_digits("/threads/{thread}", FULL_WIDTH), 404),
        Case("thread id in mathematical bold digits", get_in_digits("/threads/{thread}", MATHEMATICAL_BOLD),
             404),
        Case("GET on a POST-only route", get("/boards/astronomy/threads"), 405),
        Case("POST to a GET-only route", post("/threads/{thread}"), 405),
        *[
            Case(f"title of only {name}", new_thread(character * 3), 400, says="visible character")
            for name, character in INVISIBLE.items()
        ],
        Case("title of every invisible character", new_thread(ALL_INVISIBLE), 400, says="visible character"),
        Case("body of 5,000 U+200B", new_thread("Fine", "\u200b" * 5000), 400, says="visible character"),
        Case("body of Hangul fillers and line breaks", new_thread("Fine", "\u3164\r\n\u3164" * 50), 400,
             says="visible character"),
        Case("body of every invisible character", new_thread("Fine", ALL_INVISIBLE * 100), 400,
             says="visible character"),
        Case("five accent marks on one letter in a title", new_thread("Zalgo " + FIVE_MARKS), 400,
             says="Too many accent marks"),
        Case("five accent marks on one letter in a body", new_thread("Fine", "he comes " + FIVE_MARKS * 50),
             400, says="Too many accent marks"),
        Case("four accent marks on one letter", new_thread(FIVE_MARKS[:-1]), 303, stores=True),
        Case("emoji with zero-width joiners in a title", new_thread("\U0001f469\u200d\U0001f4bb at work"),
             303, stores=True, then=shown_as("\U0001f469\u200d\U0001f4bb at work")),
        Case("e + combining accent is stored as one letter", new_thread("Cafe\u0301", "Cafe\u0301!"), 303,
             stores=True, then=shown_as("Caf\u00e9!", title="Caf\u00e9")),
        Case("Vietnamese title with stacked marks", new_thread("Tie\u0302\u0301ng Vie\u0323\u0302t"), 303,
             stores=True, then=shown_as("Ti\u1ebfng Vi\u1ec7t")),
        Case("Arabic, Thai and Hindi title", new_thread("\u0645\u0631\u062d\u0628\u0627 "
                                                        "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 "
                                                        "\u0939\u093f\u0928\u094d\u0926\u0940"),
             303, stores=True),
    ],
    "04": [
        Case("reply of whitespace only", new_reply(" \r\n\t "), 400),
        Case("U+202E in a reply", new_reply("abc\u202edef"), 400),
        Case("NUL in a reply", new_reply("nul\x00byte"), 400, says="control"),
        Case("SQL in a reply (DROP TABLE)", new_reply(DROP_TABLE), 303, stores=True,
             then=stored_as_text(DROP_TABLE)),
        Case("SQL in a reply (OR 1=1)", new_reply(OR_TRUE), 303, stores=True, then=stored_as_text(OR_TRUE)),
        Case("reply exactly 5000", new_reply("r" * 5000), 303, stores=True),
        Case("reply one over 5000", new_reply("r" * 5001), 400),
        Case("reply to thread 0", post("/threads/0/replies"), 404, then=reply_route_works),
        Case("reply to a non-integer thread", post("/threads/abc/replies"), 404, then=reply_route_works),
        Case("reply to a thread id in full-width digits", lambda c, t: post_form(
            c, "/boards/astronomy", f"/threads/{in_digits(t, FULL_WIDTH)}/replies", {"body": "x"}), 404,
             then=reply_route_works),
        Case("GET on the reply route", get("/threads/{thread}/replies"), 405),
        Case("reply of 5,000 U+200B", new_reply("\u200b" * 5000), 400, says="visible character"),
        Case("reply of only a Hangul filler", new_reply("\u3164"), 400, says="visible character"),
        Case("reply with five accent marks on one letter", new_reply(FIVE_MARKS), 400,
             says="Too many accent marks"),
    ],
    "05": [
        Case("search of 10,000 characters", get("/search?q=" + "a" * 10_000), 400, says="at most 200"),
        Case("script in a search", get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"), 200,
             says="&lt;script&gt;"),
        Case("SQL in a search (DROP TABLE)", lambda c, t: c.get("/search", query_string={"q": DROP_TABLE}),
             200, then=finds_nothing),
        Case("SQL in a search (OR 1=1)", lambda c, t: c.get("/search", query_string={"q": OR_TRUE}),
             200, then=finds_nothing),
        Case("search page number of 5,000 digits", get("/search?q=target&page=" + "9" * 5000), 404,
             then=search_finds_the_target),
        Case("search page 0", get("/search?q=target&page=0"), 404, then=search_finds_the_target),
        Case("search page in Arabic-Indic digits", get("/search?q=target&page=\u0661"), 404,
             then=search_finds_the_target),
        Case("search page past the last", get("/search?q=target&page=2"), 404, then=search_finds_the_target),
    ],
    "06": [
        Case("file named ../../app.py", new_reply(image=("../../app.py", b"import os")), 400),
        Case("file named ..", new_reply(image=("..", imagefactory.png())), 400),
        Case("empty file name", new_reply(image=("", imagefactory.png())), 400, says="no name"),
        Case("300-character file name", new_reply(image=("n" * 296 + ".png", imagefactory.png())),
             303, stores=True, then=short_alt_text),
        Case("file name of only invisible characters",
             new_reply(image=("\u200b" * 296 + ".png", imagefactory.png())), 303, stores=True,
             then=alt_text_is("image.png")),
        Case("only the magic bytes", new_reply(image=("m.png", imagefactory.magic_only_png())), 400),
        Case("truncated image", new_reply(image=("t.png", imagefactory.truncated_png())), 400),
        Case("zero-byte file", new_reply(image=("z.png", b"")), 400, says="empty"),
        Case("SVG with a script", new_reply(image=("s.svg", imagefactory.svg_with_script())), 400),
        Case("SVG renamed .png", new_reply(image=("s.png", imagefactory.svg_with_script())), 400),
        Case("HTML renamed .png", new_reply(image=("h.png", imagefactory.html_page())), 400),
        Case("GIF89a<script>", new_reply(image=("g.gif", imagefactory.gif_header_with_script())), 400),
        Case("PNG named .jpg", new_reply(image=("p.jpg", imagefactory.png())), 400, says="but it is"),
        Case("PNG with a script appended",
             new_reply(image=("x.png", imagefactory.png_with_script_appended())), 303, stores=True,
             then=image_served_safely),
        Case("image of exactly 4 MiB", new_reply(image=("big.png", imagefactory.png_of_size(FOUR_MIB))), 303,
             stores=True, then=image_served_safely),
        Case("image one byte over 4 MiB",
             new_reply(image=("big.png", imagefactory.png_of_size(FOUR_MIB + 1))), 400,
             says="Images can be at most 4 MiB; this one is 4.1 MiB."),
        Case("request of exactly MAX_CONTENT_LENGTH, its image over 4 MiB", request_at_the_limit(), 400,
             says="at most 4 MiB"),
        Case("request one byte over MAX_CONTENT_LENGTH", request_at_the_limit(1), 413,
             then=says_the_request_limit),
        Case("text field of 100 KiB",
             raw_multipart(lambda token: multipart(token, {"body": "x" * 100 * 1024})), 413,
             says="a text field longer than this site accepts"),
        Case("form of 1,000 parts",
             raw_multipart(lambda token: multipart(token, {f"field{n}": "x" for n in range(1000)})), 413,
             says="too many parts"),
        Case("plain form of 200,000 fields", raw_urlencoded(lambda: "body=x" + "&a=" * 200_000), 413,
             says="too many parts"),
        Case("form without the file field, no text",
             raw_multipart(lambda token: multipart(token, {"body": ""})), 400, says="choose an image"),
        Case("multipart body with no closing boundary",
             raw_multipart(lambda token: multipart(token, {"body": "x"}, ("a.png", imagefactory.png()),
                                                   close=False)), 400, then=uploads_are_served),
        Case("path escaping the upload folder", get("/uploads/..%2f..%2fapp.py"), 404,
             then=uploads_are_served),
    ],
    "07": [
        Case("POST to a GET-only route gets the error page", post("/boards/astronomy"), 405,
             says="Back to all boards"),
        Case("unknown board gets the error page", get("/boards/nope"), 404, says="Back to all boards"),
        Case("oversized request gets the error page", request_at_the_limit(1), 413,
             says="Back to all boards"),
    ],
    "08": [
        Case("non-integer thread id in the API", get("/api/threads/abc/posts"), 404, then=json_error(404)),
        Case("negative thread id in the API", get("/api/threads/-1/posts"), 404, then=json_error(404)),
        Case("thread id larger than any database integer in the API",
             get("/api/threads/" + "9" * 30 + "/posts"), 404, then=json_error(404)),
        Case("thread id in mathematical bold digits in the API",
             get_in_digits("/api/threads/{thread}/posts", MATHEMATICAL_BOLD), 404, then=json_error(404)),
        Case("unknown board in the API", get("/api/boards/nope/threads"), 404, then=json_error(404)),
        Case("POST to the API", post("/api/boards"), 405, then=json_error(405)),
        Case("API page number of 5,000 digits", get("/api/boards/astronomy/threads?page=" + "9" * 5000), 400,
             says="must be a whole number", then=json_error(400)),
        Case("API page 0 of a thread's posts", get("/api/threads/{thread}/posts?page=0"), 400,
             then=json_error(400)),
        Case("API page in full-width digits", get("/api/threads/{thread}/posts?page=\uff11"), 400,
             then=json_error(400)),
        Case("API page past the last", get("/api/threads/{thread}/posts?page=2"), 404, then=json_error(404)),
    ],
    "10": [
        Case("page number of 5,000 digits", get("/boards/astronomy?page=" + "9" * 5000), 404),
        Case("page 0", get("/boards/astronomy?page=0"), 404),
        Case("page -1", get("/boards/astronomy?page=-1"), 404),
        Case("page in Arabic-Indic digits", get("/boards/astronomy?page=\u0661"), 404),
    ],
    "11": [
        Case("login with an empty username", login(""), 400, says="Enter your username and password."),
        Case("login with an empty password", login("milo", ""), 400,
             says="Enter your username and password."),
        Case("login with a 33-character username", login("m" * 33), 400, says=WRONG),
        Case("login with a 10,000-character username", login("m" * 10_000), 400, says=WRONG),
        Case("login with a 10,000-character password", login("milo", "p" * 10_000, user="milo"), 400,
             says=WRONG),
        Case("login with NUL in the username", login("mi\x00lo"), 400, says=WRONG),
        Case("login with a wrong password", login("milo", "not the password", user="milo"), 400, says=WRONG),
        Case("a disabled admin's old session", disabled_admins_old_session, 403, then=no_new_account),
        Case("an admin's session cookie copied before logging out", copied_admin_session_after("logout"), 403,
             then=no_new_account),
        Case("an admin's session cookie copied before a disable and enable",
             copied_admin_session_after("disable"), 403, then=no_new_account),
        Case('forged session: user id "1"', forged_session("1"), 200, says="Staff login", then=anonymous),
        Case("forged session: user id 10**30", forged_session(10**30), 200, says="Staff login",
             then=anonymous),
        Case("forged session: user id a list", forged_session([1]), 200, says="Staff login", then=anonymous),
        Case("forged session: user id not a number", forged_session("abc"), 200, says="Staff login",
             then=anonymous),
        Case("forged session: an id nobody has", forged_session(999), 200, says="Staff login",
             then=anonymous),
    ],
    # Every form is held to a small size, and takes no files unless it has a file field.
    "12": [
        Case("login form of 1 MiB", lambda c, t: post_form(c, "/login", "/login", {
            "username": "milo", "password": "x", "more": "&a=" * (MIB // 3)}), 413,
             says="Nothing was posted."),
        Case("login form with a 1 MiB file", big_file_to("/login"), 413, says="Nothing was posted."),
        Case("a 1 MiB file sent to the log-out form", big_file_to("/logout", staff=True), 413,
             then=still_logged_in),
        Case("login with the username sent as a file", lambda c, t: post_form(c, "/login", "/login", {
            "username": as_a_file("milo"), "password": PASSWORD}), 400, says=NO_FILES),
        Case("login with the password sent as a file", lambda c, t: post_form(c, "/login", "/login", {
            "username": "milo", "password": as_a_file(PASSWORD)}), 400, says=NO_FILES),
    ],
    "13": [
        Case("a 1 MiB file sent to a moderator action", big_file_to("/mod/threads/{thread}/lock", staff=True),
             413, then=still_open_under_its_lock_button),
        Case("report of an unknown post", post_with_token("/posts/999999/report", {"reason": "spam"}), 404,
             then=report_route_works),
        Case("report of a post id larger than any database integer", get("/posts/" + "9" * 30 + "/report"),
             404, then=report_route_works),
        Case("report with an unknown reason", report_first_post("rude"), 400),
        Case("report with details of 501 characters", report_first_post("other", "d" * 501), 400),
        Case("report of a post this client has reported already", report_first_post_twice, 409,
             says="You have already reported this post."),
        Case("report with its details sent as a file",
             lambda c, t: report_first_post("other", as_a_file("details"))(c, t), 400, says=NO_FILES,
             then=report_route_works),
        Case("report with its reason sent as a file",
             lambda c, t: report_first_post(as_a_file("spam"))(c, t), 400, says=NO_FILES,
             then=report_route_works),
        Case("delete an unknown post", staff_post("/mod/posts/999999/delete"), 404, then=delete_route_works),
        Case("delete a post id larger than any database integer",
             staff_post("/mod/posts/" + "9" * 30 + "/delete"), 404, then=delete_route_works),
        Case("delete a post twice", delete_reply_twice, 404),
        Case("delete a thread whose id is in Arabic-Indic digits", lambda c, t: staff_post(
            f"/mod/threads/{in_digits(t, ARABIC_INDIC)}/delete")(c, t), 404, then=delete_route_works),
        Case("report a post whose id is in full-width digits", lambda c, t: post_form(
            c, "/boards/astronomy", f"/posts/{in_digits(post_ids(c, t)[0], FULL_WIDTH)}/report",
            {"reason": "spam"}), 404, then=report_route_works),
        Case("delete a thread twice", act_on_a_deleted_thread("delete"), 404),
        Case("lock a deleted thread", act_on_a_deleted_thread("lock"), 404),
        Case("move a thread to an unknown board", staff_post("/mod/threads/{thread}/move", {"board": "../x"}),
             400),
        Case("reply to a locked thread", reply_to_a_locked_thread, 403, says="This thread is locked."),
        Case("a disabled moderator's old session", disabled_moderators_old_session, 403, then=still_open),
        Case("a session cookie copied before logging out", copied_session_after("logout"), 403,
             then=still_open),
        Case("a session cookie copied before a disable and enable", copied_session_after("disable"), 403,
             then=still_open),
    ],
    # The live URL (/threads/<id>/live): handshakes that are not proper WebSocket
    # ones are refused before the upgrade (RFC 6455, 4.2.1 and 4.4). And the
    # polling answer's ?after= takes the digits 0-9 only.
    "15": [
        Case("WebSocket version 8", live_handshake(Sec_WebSocket_Version="8"), 426, says="version 13"),
        Case("WebSocket version 14", live_handshake(Sec_WebSocket_Version="14"), 426, says="version 13"),
        Case("WebSocket handshake without a version", live_handshake(Sec_WebSocket_Version=None), 400),
        Case("WebSocket handshake without a key", live_handshake(Sec_WebSocket_Key=None), 400),
        Case("WebSocket key that is not base64", live_handshake(Sec_WebSocket_Key="hello?"), 400),
        Case("WebSocket key of 8 bytes", live_handshake(Sec_WebSocket_Key="OCBieXRlcyE="), 400),
        Case("plain GET of the live URL", get("/threads/{thread}/live"), 400),
        Case("WebSocket handshake without Connection: Upgrade", live_handshake(Connection=None), 400),
        Case("API ?after= in Arabic-Indic digits", get("/api/threads/{thread}/posts?after=\u0660"), 400,
             then=json_error(400)),
        Case("API ?after= in mathematical bold digits", get("/api/threads/{thread}/posts?after=\U0001d7ce"),
             400, then=json_error(400)),
    ],
    "16": [
        Case("pixel bomb PNG (60000 x 60000 in 88 bytes)",
             new_reply(image=("bomb.png", imagefactory.png_bomb())), 400, says="60000"),
        Case("pixel bomb GIF (a 60000 x 60000 screen)",
             new_reply(image=("bomb.gif", imagefactory.gif_bomb())), 400, says="60000"),
        Case("PNG whose pixel data stops halfway",
             new_reply(image=("half.png", imagefactory.png_partly_decodable())), 400, says=NOT_AN_IMAGE),
        Case("PNG whose pixel data is not zlib",
             new_reply(image=("bad.png", imagefactory.png_with_corrupt_pixels())), 400, says=NOT_AN_IMAGE),
        Case("JPEG with 60 KB of EXIF", new_reply(image=("exif.jpg", imagefactory.jpeg_with_huge_exif())),
             303, stores=True, then=served_safely_as("image/jpeg", without=b"HUGE-EXIF-")),
        Case("GIF with an HTML page appended (polyglot)",
             new_reply(image=("poly.gif", imagefactory.gif_html_polyglot())), 303, stores=True,
             then=served_safely_as("image/gif", without=b"<html>")),
        Case("GIF frame of 65535 x 65535 on a 1x1 screen (34 bytes)",
             new_reply(image=("frame.gif", imagefactory.gif_frame_larger_than_its_screen())), 400,
             then=says_one_of(NOT_AN_IMAGE, "This image has too many pixels")),
        Case("WebP canvas of 16383 x 16383 (82 bytes)",
             new_reply(image=("canvas.webp", imagefactory.webp_canvas_bomb())), 400,
             then=says_one_of(NOT_AN_IMAGE, "This image has too many pixels")),
        Case("GIF that trips an assertion in Pillow's GIF encoder (72 bytes)",
             new_reply(image=("fuzzed.gif", imagefactory.gif_with_colours_only_in_its_second_frame())), 400,
             says=NOT_AN_IMAGE),
        Case("JPEG whose colour profile holds 4 KB of HTML",
             new_reply(image=("p.jpg", imagefactory.with_profile("JPEG", HTML_PROFILE))), 303, stores=True,
             then=served_safely_as("image/jpeg", without=b"<script>")),
        Case("WebP whose colour profile holds 4 KB of HTML",
             new_reply(image=("p.webp", imagefactory.with_profile("WEBP", HTML_PROFILE))), 303, stores=True,
             then=served_safely_as("image/webp", without=b"<script>")),
        # Slow to decode, yet under every pixel cap: refused by counting, before decoding.
        Case("GIF of 1001 frames of 1 x 1",
             new_reply(image=("many.gif", imagefactory.gif_with_many_frames(1001))), 400,
             says="more than 1000 frames"),
        Case("GIF of 110,000 frames of 1 x 1 (1.6 MB)",
             new_reply(image=("many.gif", imagefactory.gif_with_many_frames(110_000))), 400,
             says="more than 1000 frames"),
        Case("progressive JPEG of 101 scans",
             new_reply(image=("scans.jpg", imagefactory.jpeg_with_many_scans(101))), 400,
             says="more than 100 scans"),
        Case("progressive JPEG of 62,300 scans (750 KB)",
             new_reply(image=("scans.jpg", imagefactory.jpeg_with_many_scans(62_300))), 400,
             says="more than 100 scans"),
    ],
    "17": [
        Case("video with a wrong signature (AVI named .webm)",
             new_reply(image=("v.webm", imagefactory.video_with_wrong_signature())), 400, says=NOT_A_VIDEO),
        Case("Matroska named .webm", new_reply(image=("v.webm", imagefactory.webm(doctype=b"matroska"))), 400,
             says=NOT_A_VIDEO),
        Case("MP4 with a QuickTime brand", new_reply(image=("v.mp4", imagefactory.mp4(brand=b"qt  "))), 400,
             says=NOT_A_VIDEO),
        Case("MP4 whose last box runs past the end", new_reply(image=("v.mp4", imagefactory.mp4_truncated())),
             400, says=NOT_A_VIDEO),
        Case("0-byte video", new_reply(image=("v.mp4", b"")), 400, says="The file is empty",
             then=videos_are_accepted),
        Case("MP4 of 2,000 nested trak boxes (16 KB)",
             new_reply(image=("v.mp4", imagefactory.mp4_of_nested_traks())), 400, says=NOT_A_VIDEO),
        Case("MP4 with an html box at the top",
             new_reply(image=("v.mp4", imagefactory.mp4_with_html_box_at_the_top())), 400, says=NOT_A_VIDEO),
        Case("MP4 with HTML left over in its mdia box",
             new_reply(image=("v.mp4", imagefactory.mp4_with_html_left_in_mdia())), 400, says=NOT_A_VIDEO),
        Case("WebM with HTML after its Segment",
             new_reply(image=("v.webm", imagefactory.webm_with_html_after())), 400, says=NOT_A_VIDEO),
        Case("WebM of unknown size with HTML after its last Cluster",
             new_reply(image=("v.webm", imagefactory.webm_recording_with_html_after())), 400,
             says=NOT_A_VIDEO),
    ],
    # Each body quotes the opening post ({op}) too: the link proves the formatting ran,
    # and the rest of the body must add nothing more.
    "18": [
        Case(">> then a script", formatted_reply("as >>{op} said\n>><script>alert(1)</script>"), 303,
             stores=True, then=renders_as(QUOTE_OP, quote_line(">><script>alert(1)</script>"))),
        Case(">>N then an attribute", formatted_reply('see >>{op}" onmouseover="alert(1)'), 303, stores=True,
             then=renders_as(QUOTE_OP)),
        Case("javascript: URL", formatted_reply("as >>{op} said javascript:alert(1)"), 303, stores=True,
             then=renders_as(QUOTE_OP)),
        Case("URL with & and trailing punctuation", formatted_reply("as >>{op} said: https://example.com/?a=1&b=2)."),
             303, stores=True, then=renders_as(QUOTE_OP, web_link("https://example.com/?a=1&b=2"))),
        Case("nested quotes", formatted_reply("as >>{op} said\n>> > nested\n> > > deeper"), 303, stores=True,
             then=renders_as(QUOTE_OP, quote_line(">> > nested"), quote_line("> > > deeper"))),
        Case(">> of a post that does not exist", formatted_reply("as >>{op} said, not >>999999"), 303,
             stores=True, then=renders_as(QUOTE_OP)),
        Case("2,480 >> in a row", formatted_reply("as >>{op} said " + ">>" * 2480), 303, stores=True,
             then=renders_as(QUOTE_OP)),
    ],
}


def run_case(case, client, upload_folder):
    thread_id = reply_target(client)
    threads_before = thread_ids_on_board(client)
    posts_before = post_ids(client, thread_id)
    files_before = stored_files(upload_folder)

    response = case.send(client, thread_id)

    assert response.status_code != 500
    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    if case.says:
        assert case.says in response.get_data(as_text=True)
    for path in stored_files(upload_folder):
        assert path.resolve().is_relative_to(upload_folder.resolve())
        assert STORED_NAME.fullmatch(path.name)
    if not case.stores:
        assert thread_ids_on_board(client) == threads_before
        assert post_ids(client, thread_id) == posts_before
        assert stored_files(upload_folder) == files_before
    if case.then:
        case.then(client, response, thread_id)


def reply_target(client):
    """A thread to aim at: created through the form like any other."""
    fields = {"title": "Target", "body": "Opening post"}
    response = post_form(client, "/boards/astronomy", "/boards/astronomy/threads", fields)
    return int(re.search(r"/threads/(\d+)", response.headers["Location"]).group(1))


def cases(step):
    return pytest.mark.parametrize("case", CASES[step], ids=[case.name for case in CASES[step]])


@pytest.mark.since("03")
@cases("03")
def test_thread_form_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("04")
@cases("04")
def test_reply_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("05")
@cases("05")
def test_search_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("06")
@cases("06")
def test_upload_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("07")
@cases("07")
def test_error_page_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("08")
@cases("08")
def test_api_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("10")
@cases("10")
def test_board_page_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("11")
@cases("11")
def test_accounts_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("12")
@cases("12")
def test_form_guard_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("13")
@cases("13")
def test_moderation_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("15")
@cases("15")
def test_live_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("16")
@cases("16")
def test_image_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("17")
@cases("17")
def test_video_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


@pytest.mark.since("18")
@cases("18")
def test_formatting_input(case, client, upload_folder):
    run_case(case, client, upload_folder)


def test_the_catalogue_is_big_enough():
    assert sum(len(step_cases) for step_cases in CASES.values()) >= 30
