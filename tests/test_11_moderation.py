"""Step 11: moderation. Staff accounts, reports, moderator actions and flood control.

What a user notices: anyone can report a post; moderators log in, see the open
reports and delete, lock, pin or move what breaks the rules, and every action is
written in an audit log; admins manage the staff accounts. Posting stays
anonymous, but one address cannot post faster than the site allows (429), and
every form is protected against cross-site forgery.

The accounts are made with `flask create-user` (forum.create_user). Hashing a
password costs about a tenth of a second, so each test makes the few accounts it
needs once. Flood control is off in the staged suite (targets.FLOOD_LIMITS_OFF):
the tests of the limits turn one on with reload_app(app, THREAD_INTERVAL=60),
a restart on the same data.
"""

import importlib
import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import imagefactory
import pytest
from forum import (
    BOARD,
    PASSWORD,
    create_thread,
    create_user,
    create_user_command,
    csrf_token,
    every_post,
    field_labels,
    image_urls_in,
    log_in,
    login_redirect_next,
    page,
    post_form,
    post_ids,
    reply,
    staff_client,
    stored_files,
    submit,
    thread_ids,
    thread_ids_on_board,
    user_id,
    usernames,
    where,
)
from targets import reload_app

pytestmark = pytest.mark.since("11")

WRONG = "Wrong username or password."
EMPTY = "Enter your username and password."
EXPIRED = "This form has expired. Please reload the page and try again."
THANKS = "Thank you: a moderator will look at your report."
LOCKED = "This thread is locked."

# The audit log's actions, exactly as the log page writes them.
ACTIONS = (
    "delete post", "delete thread", "lock thread", "unlock thread", "pin thread", "unpin thread",
    "move thread", "dismiss report", "create user", "change role", "disable user", "enable user",
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


# --- helpers -------------------------------------------------------------------


@pytest.fixture
def moderator(app):
    """A browser logged in as the moderator "milo"."""
    return staff_client(app, "milo")


@pytest.fixture
def admin(app):
    """A browser logged in as the admin "ann"."""
    return staff_client(app, "ann", "admin")


def text_of(response):
    return page(response).text()


def status_text(response):
    """The text of the page's role="status" elements (flashed notes, "locked")."""
    return " ".join(e.text() for e in page(response).elements if e.get("role") == "status")


def act(client, action, fields=None):
    """POST to ``action`` with this browser's csrf token (taken from a board page,
    whose new-thread form every visitor sees): a request a page's form would send."""
    return post_form(client, f"/boards/{BOARD}", action, fields or {})


def logged_actions(staff):
    """The actions on the audit log page, in page order (newest first)."""
    text = text_of(staff.get("/mod/log"))
    return re.findall(r"\b(" + "|".join(ACTIONS) + r")\b", text)


def post_form_actions(response):
    """The actions of the page's POST forms, in page order."""
    return [form.action for form in page(response).forms() if form.method == "post"]


def report(client, post_id, reason="spam", details=""):
    """Report a post through its report form; return the answer."""
    url = f"/posts/{post_id}/report"
    return submit(client, url, url, {"reason": reason, "details": details})


def open_report_ids(staff):
    """The ids of the open reports, in the queue's order (from its Dismiss forms)."""
    actions = post_form_actions(staff.get("/mod/reports"))
    return [int(m.group(1)) for a in actions if (m := re.fullmatch(r"/mod/reports/(\d+)/dismiss", a))]


def reported_posts(staff):
    """The posts the report queue links to (/threads/T#post-P), in its order, as P."""
    links = page(staff.get("/mod/reports")).hrefs()
    return [int(m.group(1)) for h in links if (m := re.fullmatch(r"/threads/\d+#post-(\d+)", h))]


def search_ids(client, words):
    return thread_ids(page(client.get(f"/search?q={words}")).links_after(r"\b\d+ threads? found\b"))


def is_anonymous(client):
    """True when this browser is a visitor: /mod/ sends it to the login page."""
    return login_redirect_next(client.get("/mod/")) == "/mod/"


def client_at(app, address):
    """A new browser that comes from the IP address ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# --- the create-user command -----------------------------------------------------


def test_create_user_makes_accounts_that_can_log_in(app):
    """`flask create-user` makes a moderator (or, with --role admin, an admin) who can log in."""
    made = create_user_command(app, "mia", typed="password\npassword\n")  # 8 characters: enough
    assert (made.exit_code, "Created moderator mia." in made.output) == (0, True), made.output
    made = create_user_command(app, "Ann", "admin", typed=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output

    mia, ann = app.test_client(), app.test_client()
    # The name is not case-sensitive at login.
    assert (log_in(mia, "MIA", "password").status_code, log_in(ann, "ann").status_code) == (303, 303)
    assert "Logged in as Ann" in text_of(ann.get("/"))
    # Only the admin may see the users page.
    assert (mia.get("/mod/users").status_code, ann.get("/mod/users").status_code) == (403, 200)


def test_create_user_refuses_bad_input_and_stores_nothing(app):
    """A bad name, role or password: a message, a non-zero exit code, and no account."""
    cases = {
        "mismatched confirmation": ("mia", None, "password1\npassword2\n", "do not match"),
        "password of 7 characters": ("mia", None, "passwd7\npasswd7\n", "8"),
        "password of 201 characters": ("mia", None, "p" * 201 + "\n" + "p" * 201 + "\n", "200"),
        "empty name": ("", None, "password1\npassword1\n", ""),
        "name with a space": ("mia b", None, "password1\npassword1\n", ""),
        "name with !": ("mia!", None, "password1\npassword1\n", ""),
        "name with <>": ("<b>", None, "password1\npassword1\n", ""),
        "name of 33 characters": ("m" * 33, None, "password1\npassword1\n", ""),
        "unknown role": ("mia", "owner", "password1\npassword1\n", ""),
    }
    seen = {}
    for case, (name, role, typed, says) in cases.items():
        made = create_user_command(app, name, role, typed)
        seen[case] = {
            "failed": made.exit_code != 0,
            "says created": "Created" in made.output,
            "says what is wrong": says in made.output,
        }
    outcome = {"failed": True, "says created": False, "says what is wrong": True}
    assert seen == {case: outcome for case in cases}
    # Nothing was stored: no account at all (checking each by logging in would hash
    # a password per case), and "mia" cannot log in.
    assert usernames(app) == []
    assert log_in(app.test_client(), "mia", "password1").status_code == 400


def test_create_user_refuses_a_taken_name_in_any_case(app):
    """"MIA" is taken once "mia" exists: the command fails and the first account is unchanged."""
    create_user(app, "mia", password="first-password")
    made = create_user_command(app, "MIA", typed="second-password\nsecond-password\n")
    assert made.exit_code != 0
    assert "Created" not in made.output
    statuses = {
        password: log_in(app.test_client(), "mia", password).status_code
        for password in ("first-password", "second-password")
    }
    assert statuses == {"first-password": 303, "second-password": 400}


# --- logging in and out ------------------------------------------------------------


def test_the_login_form(client):
    """/login: a labelled username and password field, a hidden next and a csrf token."""
    response = client.get("/login?next=/mod/log")
    assert response.status_code == 200
    shown = page(response)
    form = next(form for form in shown.forms() if form.action == "/login")
    assert form.method == "post"
    assert set(form.fields) >= {"username", "password", "next", "csrf_token"}
    assert form.fields["password"].get("type") == "password"
    assert form.fields["next"].get("value") == "/mod/log"
    labels = field_labels(form, shown)
    assert labels.get("username") and labels.get("password")


def test_logging_in_goes_back_to_the_page_asked_for_but_only_on_this_site(app):
    """After login: back to the local page that asked for it; anywhere else becomes /mod/."""
    create_user(app, "milo")
    # The way a moderator arrives: a staff page sends them to log in first.
    client = app.test_client()
    assert login_redirect_next(client.get("/mod/reports")) == "/mod/reports"
    arrived = client.get(where(client.get("/mod/reports")))
    form = next(form for form in page(arrived).forms() if form.action == "/login")
    asked = form.fields["next"].get("value")

    nexts = [asked, None, "//evil.example", "https://evil.example", "/\\evil"]
    landed = {}
    for next_page in nexts:
        response = log_in(app.test_client(), "milo", next=next_page)
        landed[next_page] = (response.status_code, where(response))
    assert landed == {
        "/mod/reports": (303, "/mod/reports"),
        None: (303, "/mod/"),
        "//evil.example": (303, "/mod/"),
        "https://evil.example": (303, "/mod/"),
        "/\\evil": (303, "/mod/"),
    }


def test_a_failed_login_says_the_same_for_every_reason_and_keeps_only_the_name(app):
    """Wrong password, unknown name, overlong input: 400, the same words, the name kept."""
    create_user(app, "milo")
    attempts = {
        "wrong password": ("milo", "not the password"),
        "unknown name": ("nobody", PASSWORD),
        "name of 33 characters": ("m" * 33, PASSWORD),
        "password of 201 characters": ("milo", "p" * 201),
        "empty name": ("", PASSWORD),
        "empty password": ("milo", ""),
    }
    seen = {}
    for case, (name, password) in attempts.items():
        client = app.test_client()
        response = log_in(client, name, password)
        form = next(form for form in page(response).forms() if form.action == "/login")
        seen[case] = (
            response.status_code,
            WRONG if WRONG in text_of(response) else EMPTY if EMPTY in text_of(response) else None,
            form.fields["username"].get("value", ""),
            form.fields["password"].get("value", ""),
            is_anonymous(client),
        )
    assert seen == {
        "wrong password": (400, WRONG, "milo", "", True),
        "unknown name": (400, WRONG, "nobody", "", True),
        "name of 33 characters": (400, WRONG, "m" * 33, "", True),
        "password of 201 characters": (400, WRONG, "milo", "", True),
        "empty name": (400, EMPTY, "", "", True),
        "empty password": (400, EMPTY, "milo", "", True),
    }


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


def test_logging_out_ends_the_session(moderator):
    """Log out is a POST (GET /logout is 405); afterwards /mod/ asks to log in again."""
    assert moderator.get("/logout").status_code == 405
    assert moderator.get("/mod/").status_code == 200
    response = submit(moderator, "/", "/logout")
    assert (response.status_code, where(response)) == (303, "/")
    assert is_anonymous(moderator)
    assert "Staff login" in text_of(moderator.get("/"))


def replay(app, cookie_value):
    """A new browser that sends a copy of someone's session cookie, as it was when copied."""
    copy = app.test_client()
    copy.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_value)
    return copy


def assert_copy_is_a_visitor(app, copy, thread_id):
    """The copied cookie opens no staff page and performs no moderator action."""
    assert is_anonymous(copy)
    # The copy's CSRF token is still good (a board page's form shows it): only the login is gone.
    assert act(copy, f"/mod/threads/{thread_id}/lock").status_code == 403
    assert LOCKED not in text_of(app.test_client().get(f"/threads/{thread_id}"))


def test_logging_out_ends_every_copy_of_the_session(app, client, moderator):
    """A session cookie copied before "Log out" (from another browser, a proxy's log,
    a stolen laptop's backup) opens nothing afterwards, though its signature is still good."""
    thread_id = create_thread(client, title="Copy me")
    copied = moderator.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert replay(app, copied).get("/mod/").status_code == 200  # a copy works while logged in
    assert submit(moderator, "/", "/logout").status_code == 303
    assert_copy_is_a_visitor(app, replay(app, copied), thread_id)
    assert log_in(moderator, "milo").status_code == 303 and not is_anonymous(moderator)


def test_disabling_an_account_ends_its_sessions_for_good(app, client, admin):
    """A disabled account's sessions stay ended when it is enabled again: a copy
    kept from before, or the moderator's own browser, must log in afresh."""
    thread_id = create_thread(client, title="Copy me")
    milo = staff_client(app, "milo")
    copied = milo.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    milo_id = user_id(app, "milo")
    assert act(admin, f"/mod/users/{milo_id}/disable").status_code == 303
    assert act(admin, f"/mod/users/{milo_id}/enable").status_code == 303
    assert_copy_is_a_visitor(app, replay(app, copied), thread_id)
    assert is_anonymous(milo)
    assert log_in(milo, "milo").status_code == 303 and not is_anonymous(milo)


def cookie_attributes(response, name):
    """The attributes of the Set-Cookie for ``name``: {"httponly": "", "samesite": "Lax", ...}."""
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    pairs = (part.strip().partition("=") for part in cookie.split(";")[1:])
    return {key.lower(): value for key, _, value in pairs}


def test_the_session_cookie_is_http_only_same_site_and_lasts_12_hours(app):
    """The staff session cookie: HttpOnly, SameSite=Lax, over in 12 hours (Secure on https)."""
    create_user(app, "milo")
    name = app.config["SESSION_COOKIE_NAME"]
    response = log_in(app.test_client(), "milo")
    attributes = cookie_attributes(response, name)
    assert ("httponly" in attributes, attributes.get("samesite"), "secure" in attributes) == (
        True, "Lax", False
    )
    lasts = parsedate_to_datetime(attributes["expires"]).timestamp() - time.time()
    assert 12 * 3600 - 120 < lasts <= 12 * 3600 + 5

    https = reload_app(app, PREFERRED_URL_SCHEME="https")
    attributes = cookie_attributes(https.test_client().get("/login"), name)
    assert ("httponly" in attributes, attributes.get("samesite"), "secure" in attributes) == (
        True, "Lax", True
    )


def test_the_header_shows_who_is_logged_in_and_visitors_a_staff_login_link(client, moderator):
    visitor = page(client.get("/"))
    staff_login = visitor.link(text="Staff login")
    assert staff_login is not None and staff_login.get("href", "").split("?")[0] == "/login"
    assert "Logged in as" not in visitor.text()

    for url in ("/", f"/boards/{BOARD}", "/mod/"):
        shown = page(moderator.get(url))
        assert "Logged in as milo" in shown.text()
        assert shown.link(href="/mod/") is not None
        [logout] = [form for form in shown.forms() if form.action == "/logout"]
        assert logout.method == "post" and "Log out" in logout.element.text()


# --- who may do what --------------------------------------------------------------

ROLES = ("anonymous", "disabled", "moderator", "admin")


def test_who_may_open_and_use_each_staff_page(app):
    """The permission matrix: every /mod route, for a visitor, a disabled moderator
    (logged in before an admin disabled them), a moderator and an admin; the 403 page
    and the staff home's links."""
    visitor = app.test_client()
    browsers = {
        "anonymous": visitor,
        "disabled": staff_client(app, "dora"),
        "moderator": staff_client(app, "milo"),
        "admin": staff_client(app, "ann", "admin"),
    }
    admin = browsers["admin"]
    dora = user_id(app, "dora")
    assert act(admin, f"/mod/users/{dora}/disable").status_code == 303

    def thread(locked=False, pinned=False):
        made = create_thread(visitor, title="Matrix")
        if locked:
            assert act(admin, f"/mod/threads/{made}/lock").status_code == 303
        if pinned:
            assert act(admin, f"/mod/threads/{made}/pin").status_code == 303
        return made

    def post():
        made = thread()
        assert reply(visitor, made, "A reply to delete").status_code == 303
        return post_ids(visitor, made)[-1]

    # One open report for each browser to dismiss.
    for _ in ROLES:
        assert report(visitor, post_ids(visitor, thread())[0]).status_code == 303
    reports = open_report_ids(admin)
    assert len(reports) == len(ROLES)

    routes = {
        "GET /mod/": lambda role: "/mod/",
        "GET /mod/reports": lambda role: "/mod/reports",
        "GET /mod/log": lambda role: "/mod/log",
        "GET /mod/users": lambda role: "/mod/users",
        "POST /mod/reports/<id>/dismiss": lambda role: f"/mod/reports/{reports.pop()}/dismiss",
        "POST /mod/posts/<id>/delete": lambda role: f"/mod/posts/{post()}/delete",
        "POST /mod/threads/<id>/delete": lambda role: f"/mod/threads/{thread()}/delete",
        "POST /mod/threads/<id>/lock": lambda role: f"/mod/threads/{thread()}/lock",
        "POST /mod/threads/<id>/unlock": lambda role: f"/mod/threads/{thread(locked=True)}/unlock",
        "POST /mod/threads/<id>/pin": lambda role: f"/mod/threads/{thread()}/pin",
        "POST /mod/threads/<id>/unpin": lambda role: f"/mod/threads/{thread(pinned=True)}/unpin",
        "POST /mod/threads/<id>/move": lambda role: f"/mod/threads/{thread()}/move",
        "POST /mod/users": lambda role: "/mod/users",
        "POST /mod/users/<id>/role": lambda role: f"/mod/users/{dora}/role",
        "POST /mod/users/<id>/enable": lambda role: f"/mod/users/{dora}/enable",
        "POST /mod/users/<id>/disable": lambda role: f"/mod/users/{dora}/disable",
    }
    fields = {
        "POST /mod/threads/<id>/move": {"board": "chess"},
        "POST /mod/users": {"password": PASSWORD, "role": "moderator"},
        "POST /mod/users/<id>/role": {"role": "admin"},
    }

    seen = {route: {} for route in routes}
    for role in ROLES:  # the admin last: it enables, then disables "dora" again
        browser = browsers[role]
        for route, url_for in routes.items():
            method, _ = route.split(" ")
            url = url_for(role)
            if method == "GET":
                response = browser.get(url)
            else:
                sent = dict(fields.get(route, {}))
                if route == "POST /mod/users":
                    sent["username"] = f"new-{role}"
                response = act(browser, url, sent)
            if login_redirect_next(response) == url:
                seen[route][role] = "login"
            elif method == "GET" and response.status_code in (301, 302, 303, 307, 308):
                seen[route][role] = f"{response.status_code} to {where(response)}"
            else:
                seen[route][role] = response.status_code

    as_visitor = {"anonymous": "login", "disabled": "login"}
    refused = {"anonymous": 403, "disabled": 403}
    assert seen == {
        "GET /mod/": {**as_visitor, "moderator": 200, "admin": 200},
        "GET /mod/reports": {**as_visitor, "moderator": 200, "admin": 200},
        "GET /mod/log": {**as_visitor, "moderator": 200, "admin": 200},
        "GET /mod/users": {**as_visitor, "moderator": 403, "admin": 200},
        "POST /mod/reports/<id>/dismiss": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/posts/<id>/delete": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/threads/<id>/delete": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/threads/<id>/lock": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/threads/<id>/unlock": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/threads/<id>/pin": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/threads/<id>/unpin": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/threads/<id>/move": {**refused, "moderator": 303, "admin": 303},
        "POST /mod/users": {**refused, "moderator": 403, "admin": 303},
        "POST /mod/users/<id>/role": {**refused, "moderator": 403, "admin": 303},
        "POST /mod/users/<id>/enable": {**refused, "moderator": 403, "admin": 303},
        "POST /mod/users/<id>/disable": {**refused, "moderator": 403, "admin": 303},
    }

    # A 403 is the site's own error page: staff only for visitors, admins only for moderators.
    for response, words in (
        (act(visitor, f"/mod/threads/{thread()}/lock"), "staff only"),
        (browsers["moderator"].get("/mod/users"), "admins only"),
    ):
        assert (response.status_code, response.mimetype) == (403, "text/html")
        assert words in text_of(response).lower()
        assert page(response).link(text="Back to all boards", href="/")

    # The staff home links to the reports and the log; an admin's also to the users page.
    wanted = ("/mod/reports", "/mod/log", "/mod/users")
    links = {
        role: [href for href in wanted if page(browsers[role].get("/mod/")).link(href=href)]
        for role in ("moderator", "admin")
    }
    assert links == {"moderator": ["/mod/reports", "/mod/log"], "admin": list(wanted)}


def test_staff_see_moderator_controls_on_a_thread_and_visitors_do_not(client, moderator):
    thread_id = create_thread(client)
    reply(client, thread_id, "A reply")
    opening, answer = post_ids(client, thread_id)
    staff_forms = set(post_form_actions(moderator.get(f"/threads/{thread_id}")))
    controls = {
        f"/mod/threads/{thread_id}/lock",
        f"/mod/threads/{thread_id}/pin",
        f"/mod/threads/{thread_id}/move",
        f"/mod/threads/{thread_id}/delete",
        f"/mod/posts/{opening}/delete",
        f"/mod/posts/{answer}/delete",
    }
    assert staff_forms >= controls
    move = next(f for f in page(moderator.get(f"/threads/{thread_id}")).forms() if f.action.endswith("/move"))
    assert move.fields["board"].tag == "select"
    options = {o.get("value") for o in move.fields["board"].descendants() if o.tag == "option"}
    assert {"chess", "knitting"} <= options
    visitor_forms = post_form_actions(client.get(f"/threads/{thread_id}"))
    assert [action for action in visitor_forms if action.startswith("/mod/")] == []


# --- moderator actions ---------------------------------------------------------------


def test_deleting_a_post_removes_it_everywhere_with_its_image(client, moderator, upload_folder):
    """The deleted reply is gone from the thread page, the JSON, search and the board's count;
    its image is deleted."""
    thread_id = create_thread(client, title="Sky tonight", body="Clear skies")
    reply(client, thread_id, "zebracorn sighted", image=("z.png", imagefactory.png()))
    opening, answer = post_ids(client, thread_id)
    [image] = image_urls_in(client.get(f"/threads/{thread_id}"))
    assert search_ids(client, "zebracorn") == [thread_id]
    assert re.search(r"\b2 posts\b", text_of(client.get(f"/boards/{BOARD}")))

    response = submit(moderator, f"/threads/{thread_id}", f"/mod/posts/{answer}/delete")
    assert (response.status_code, where(response).split("#")[0]) == (303, f"/threads/{thread_id}")

    def get_json(url):
        return client.get(url).get_json()

    api_thread = client.get(f"/api/threads/{thread_id}/posts").get_json()
    [api_listing] = client.get(f"/api/boards/{BOARD}/threads").get_json()["threads"]
    assert {
        "thread page": post_ids(client, thread_id),
        "thread JSON": [p["id"] for p in every_post(get_json, thread_id)],
        "JSON total": api_thread["total"],
        "JSON reply count": api_listing["reply_count"],
        "search": search_ids(client, "zebracorn"),
        "image": client.get(image).status_code,
        "files": stored_files(upload_folder),
        "board says": bool(re.search(r"\b1 post\b", text_of(client.get(f"/boards/{BOARD}")))),
    } == {
        "thread page": [opening],
        "thread JSON": [opening],
        "JSON total": 1,
        "JSON reply count": 0,
        "search": [],
        "image": 404,
        "files": [],
        "board says": True,
    }
    # A second moderator clicking the same button: it is gone already.
    assert act(moderator, f"/mod/posts/{answer}/delete").status_code == 404


def test_deleting_a_thread_removes_it_and_every_image(client, moderator, upload_folder):
    thread_id = create_thread(client, title="Doomed zebracorn", image=("a.png", imagefactory.png()))
    reply(client, thread_id, "me too", image=("b.png", imagefactory.png()))
    kept = create_thread(client, title="Kept")
    images = image_urls_in(client.get(f"/threads/{thread_id}"))
    assert len(images) == 2
    report(client, post_ids(client, thread_id)[1], "spam")

    response = submit(moderator, f"/threads/{thread_id}", f"/mod/threads/{thread_id}/delete")
    assert (response.status_code, where(response)) == (303, f"/boards/{BOARD}")
    assert {
        "thread page": client.get(f"/threads/{thread_id}").status_code,
        "thread JSON": client.get(f"/api/threads/{thread_id}/posts").status_code,
        "board": thread_ids_on_board(client),
        "search": search_ids(client, "zebracorn"),
        "images": [client.get(url).status_code for url in images],
        "files": stored_files(upload_folder),
        "its reports": open_report_ids(moderator),
    } == {
        "thread page": 404,
        "thread JSON": 404,
        "board": [kept],
        "search": [],
        "images": [404, 404],
        "files": [],
        "its reports": [],
    }
    assert act(moderator, f"/mod/threads/{thread_id}/delete").status_code == 404


def test_a_locked_thread_takes_no_replies_until_unlocked(client, moderator, upload_folder):
    thread_id = create_thread(client, title="Quiet please")
    url = f"/threads/{thread_id}"
    response = submit(moderator, url, f"/mod/threads/{thread_id}/lock")
    assert (response.status_code, where(response).split("#")[0]) == (303, url)

    shown = client.get(url)
    assert LOCKED in status_text(shown)
    assert f"{url}/replies" not in post_form_actions(shown)
    assert re.search(r"\bLocked\b", text_of(client.get(f"/boards/{BOARD}")))
    # Someone with the page still open tries anyway: refused, nothing stored.
    refused = post_form(client, f"/boards/{BOARD}", f"{url}/replies", {"body": "Let me in"},
                        image=("x.png", imagefactory.png()))
    assert refused.status_code == 403
    assert LOCKED in text_of(refused)
    assert len(post_ids(client, thread_id)) == 1
    assert stored_files(upload_folder) == []

    assert submit(moderator, url, f"/mod/threads/{thread_id}/unlock").status_code == 303
    assert LOCKED not in text_of(client.get(url))
    assert not re.search(r"\bLocked\b", text_of(client.get(f"/boards/{BOARD}")))
    assert reply(client, thread_id, "Back again").status_code == 303


def test_locking_twice_is_fine_and_logged_once_and_unknown_ids_are_404(client, moderator):
    """Two moderators lock the same thread at once: both get 303, the log has one entry.
    An action on a thread, post or report that does not exist is 404."""
    thread_id = create_thread(client)
    statuses = [act(moderator, f"/mod/threads/{thread_id}/lock").status_code for _ in range(2)]
    assert statuses == [303, 303]
    assert logged_actions(moderator) == ["lock thread"]

    statuses = {
        action: act(moderator, action, {"board": "chess"}).status_code
        for action in (
            "/mod/threads/999999/lock", "/mod/threads/999999/unlock", "/mod/threads/999999/pin",
            "/mod/threads/999999/unpin", "/mod/threads/999999/move", "/mod/threads/999999/delete",
            "/mod/posts/999999/delete", "/mod/reports/999999/dismiss",
        )
    }
    assert statuses == dict.fromkeys(statuses, 404)


def test_a_pinned_thread_comes_first_on_its_board(client, moderator):
    pinned = create_thread(client, title="Board rules")
    newer = create_thread(client, title="Newer")
    assert thread_ids_on_board(client) == [newer, pinned]

    response = submit(moderator, f"/threads/{pinned}", f"/mod/threads/{pinned}/pin")
    assert (response.status_code, where(response).split("#")[0]) == (303, f"/threads/{pinned}")
    reply(client, newer, "bump")
    assert thread_ids_on_board(client) == [pinned, newer]
    assert re.search(r"\bPinned\b", text_of(client.get(f"/boards/{BOARD}")))

    assert submit(moderator, f"/threads/{pinned}", f"/mod/threads/{pinned}/unpin").status_code == 303
    assert thread_ids_on_board(client) == [newer, pinned]
    assert not re.search(r"\bPinned\b", text_of(client.get(f"/boards/{BOARD}")))


def test_moving_a_thread_to_another_board(client, moderator):
    thread_id = create_thread(client, title="Best opening for beginners")
    url = f"/threads/{thread_id}"
    response = submit(moderator, url, f"/mod/threads/{thread_id}/move", {"board": "chess"})
    assert (response.status_code, where(response).split("#")[0]) == (303, url)
    assert (thread_ids_on_board(client, "chess"), thread_ids_on_board(client)) == ([thread_id], [])

    refused = {
        board: act(moderator, f"/mod/threads/{thread_id}/move", {"board": board}).status_code
        for board in ("no-such-board", "chess", "")
    }
    assert refused == {"no-such-board": 400, "chess": 400, "": 400}
    assert thread_ids_on_board(client, "chess") == [thread_id]


def test_the_audit_log_lists_each_action_newest_first_with_who_did_it(app, client, moderator):
    thread_id = create_thread(client, title="Logged")
    reply(client, thread_id, "spam spam spam")
    _, spam = post_ids(client, thread_id)
    url = f"/threads/{thread_id}"
    for action, fields in (
        ("lock", {}), ("pin", {}), ("move", {"board": "chess"}), ("unpin", {}), ("unlock", {}),
    ):
        assert submit(moderator, url, f"/mod/threads/{thread_id}/{action}", fields).status_code == 303
    assert submit(moderator, url, f"/mod/posts/{spam}/delete").status_code == 303
    assert submit(moderator, url, f"/mod/threads/{thread_id}/delete").status_code == 303

    # Read by someone else: the log names the moderator, not the reader.
    admin = staff_client(app, "ann", "admin")
    assert logged_actions(admin) == [
        "delete thread", "delete post", "unlock thread", "unpin thread", "move thread",
        "pin thread", "lock thread",
    ]
    text = text_of(admin.get("/mod/log"))
    assert re.search(r"\bmilo\b", text)
    assert f"thread {thread_id}" in text
    assert "astronomy → chess" in text
    assert "spam spam spam" in text


# --- reports ----------------------------------------------------------------------


def test_every_post_has_a_report_link_to_a_labelled_form(client):
    thread_id = create_thread(client)
    reply(client, thread_id, "Buy cheap watches")
    shown = page(client.get(f"/threads/{thread_id}"))
    for post_id in post_ids(client, thread_id):
        link = shown.link(href=f"/posts/{post_id}/report")
        assert link is not None and "Report" in link.text()

    response = client.get(f"/posts/{post_ids(client, thread_id)[1]}/report")
    assert response.status_code == 200
    form_page = page(response)
    form = next(f for f in form_page.forms() if f.action == f"/posts/{post_ids(client, thread_id)[1]}/report")
    radios = [e for e in form.element.descendants() if e.tag == "input" and e.get("name") == "reason"]
    assert {r.get("type") for r in radios} == {"radio"}
    assert {r.get("value") for r in radios} == {"spam", "off-topic", "illegal", "other"}
    for radio in radios:  # each one labelled
        labelled = form_page.find_all("label", for_=radio.get("id")) if radio.get("id") else []
        assert labelled or radio.inside("label"), radio
    assert form.method == "post"
    assert form.fields["details"].tag == "textarea"
    assert "details" in field_labels(form, form_page)
    assert form.fields["csrf_token"].get("type") == "hidden"


def test_a_report_thanks_the_visitor_and_joins_the_queue_newest_first(app, client):
    thread_id = create_thread(client, title="Reported")
    reply(client, thread_id, "First bad post")
    reply(client, thread_id, "Second bad post")
    _, first, second = post_ids(client, thread_id)

    response = report(client, first, "spam", "Selling watches")
    assert (response.status_code, where(response)) == (303, f"/threads/{thread_id}#post-{first}")
    assert THANKS in status_text(client.get(where(response)))
    assert THANKS not in text_of(client.get(f"/threads/{thread_id}"))  # said once
    assert report(client, second, "off-topic", "About cooking").status_code == 303

    staff = staff_client(app, "milo")
    queue = staff.get("/mod/reports")
    assert reported_posts(staff) == [second, first]
    text = text_of(queue)
    for words in ("First bad post", "Second bad post", "spam", "off-topic", "Selling watches",
                  "About cooking"):
        assert words in text
    assert f"/threads/{thread_id}#post-{first}" in page(queue).hrefs()


def test_a_bad_report_is_refused_and_nothing_is_queued(app, client):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    statuses = {
        "no reason": report(client, post_id, "").status_code,
        "unknown reason": report(client, post_id, "rude").status_code,
        "details of 501 characters": report(client, post_id, "other", "d" * 501).status_code,
        "unknown post": act(client, "/posts/999999/report", {"reason": "spam"}).status_code,
        "form of an unknown post": client.get("/posts/999999/report").status_code,
    }
    assert statuses == {
        "no reason": 400,
        "unknown reason": 400,
        "details of 501 characters": 400,
        "unknown post": 404,
        "form of an unknown post": 404,
    }
    again = report(client, post_id, "other", "d" * 501)
    assert "reason" in page(again).fields()  # the form again, to fix
    staff = staff_client(app, "milo")
    assert open_report_ids(staff) == []
    # At the limits: 500 characters, or only invisible ones (taken as none), are fine.
    assert report(client, post_id, "other", "d" * 500).status_code == 303
    assert report(client_at(app, "10.0.0.2"), post_id, "illegal", "\u200b\u200b").status_code == 303
    assert len(open_report_ids(staff)) == 2


def test_dismissing_a_report_takes_it_off_the_queue(client, moderator):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    report(client, post_id, "spam")
    [report_id] = open_report_ids(moderator)

    response = submit(moderator, "/mod/reports", f"/mod/reports/{report_id}/dismiss")
    assert (response.status_code, where(response)) == (303, "/mod/reports")
    assert open_report_ids(moderator) == []
    assert post_ids(client, thread_id) == [post_id]  # the post stays
    assert act(moderator, f"/mod/reports/{report_id}/dismiss").status_code == 404
    assert logged_actions(moderator) == ["dismiss report"]


def test_deleting_a_reported_post_from_the_queue_closes_its_reports(app, client, moderator):
    thread_id = create_thread(client)
    reply(client, thread_id, "Nasty")
    reply(client, thread_id, "Also nasty")
    opening, nasty, also = post_ids(client, thread_id)
    report(client, nasty, "spam")
    report(client_at(app, "10.0.0.2"), nasty, "illegal")
    report(client, also, "other")
    assert sorted(reported_posts(moderator)) == [nasty, nasty, also]

    response = submit(moderator, "/mod/reports", f"/mod/posts/{nasty}/delete")
    assert (response.status_code, where(response)) == (303, "/mod/reports")
    assert post_ids(client, thread_id) == [opening, also]
    assert reported_posts(moderator) == [also]


def test_one_client_reports_a_post_once_while_its_report_is_open(app, client, moderator):
    """The same post again from the same address: 409, "already reported", no second
    report. Another address may report it; once dismissed, it may be reported again."""
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    assert report(client, post_id, "spam").status_code == 303
    again = report(app.test_client(), post_id, "illegal", "Really bad")  # a new browser, same address
    assert again.status_code == 409
    assert "You have already reported this post." in text_of(again)
    assert reported_posts(moderator) == [post_id]
    assert report(client_at(app, "10.0.0.2"), post_id, "other").status_code == 303
    assert len(open_report_ids(moderator)) == 2
    for report_id in open_report_ids(moderator):
        assert act(moderator, f"/mod/reports/{report_id}/dismiss").status_code == 303
    assert report(client, post_id, "spam").status_code == 303
    assert reported_posts(moderator) == [post_id]


def test_reports_of_one_post_sent_at_the_same_moment_are_stored_once(app, moderator):
    """Six reports of one post from one address at once: one is stored, five get 409."""
    thread_id = create_thread(app.test_client())
    post_id = post_ids(app.test_client(), thread_id)[0]
    start_together = threading.Barrier(6)

    def send(number):
        client = app.test_client()
        url = f"/posts/{post_id}/report"
        token = csrf_token(client.get(url).get_data(as_text=True))  # before the race
        start_together.wait()
        return client.post(url, data={"reason": "spam", "csrf_token": token}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(send, range(6)))
    assert statuses == [303] + [409] * 5
    assert reported_posts(moderator) == [post_id]


# --- the users page (admins) ----------------------------------------------------------


def test_admins_manage_staff_accounts(app, admin):
    """Create an account, change its role, disable it (its session is then worth nothing), enable it."""
    form = page(admin.get("/mod/users")).form_with("password")
    assert form is not None and {"username", "password", "role"} <= set(form.fields)
    response = submit(admin, "/mod/users", "/mod/users",
                      {"username": "zoe", "password": "zoe-password", "role": "moderator"})
    assert (response.status_code, where(response)) == (303, "/mod/users")
    assert re.search(r"\bzoe\b", text_of(admin.get("/mod/users")))
    zoe = app.test_client()
    assert log_in(zoe, "zoe", "zoe-password").status_code == 303
    assert zoe.get("/mod/users").status_code == 403

    zoe_id = user_id(app, "zoe")
    assert act(admin, f"/mod/users/{zoe_id}/role", {"role": "admin"}).status_code == 303
    assert zoe.get("/mod/users").status_code == 200  # read again on every request

    assert act(admin, f"/mod/users/{zoe_id}/disable").status_code == 303
    assert is_anonymous(zoe)
    refused = log_in(app.test_client(), "zoe", "zoe-password")
    assert (refused.status_code, WRONG in text_of(refused)) == (400, True)

    assert act(admin, f"/mod/users/{zoe_id}/enable").status_code == 303
    assert log_in(app.test_client(), "zoe", "zoe-password").status_code == 303
    assert logged_actions(admin)[:4] == ["enable user", "disable user", "change role", "create user"]


def test_the_users_page_refuses_bad_accounts_and_cannot_lock_out_its_admin(app, admin):
    create_user(app, "milo")
    milo, ann = user_id(app, "milo"), user_id(app, "ann")
    seen = {}
    for case, username, password in (
        ("taken name", "MILO", "some-password"),
        ("bad name", "no spaces", "some-password"),
        ("short password", "newbie", "short"),
    ):
        response = act(admin, "/mod/users", {"username": username, "password": password, "role": "moderator"})
        seen[case] = (response.status_code, "password" in page(response).fields())
    for case, action, fields in (
        ("unknown role", f"/mod/users/{milo}/role", {"role": "owner"}),
        ("unknown user's role", "/mod/users/999999/role", {"role": "admin"}),
        ("unknown user disabled", "/mod/users/999999/disable", {}),
        ("unknown user enabled", "/mod/users/999999/enable", {}),
    ):
        seen[case] = act(admin, action, fields).status_code
    for case, action, fields in (
        ("disable own account", f"/mod/users/{ann}/disable", {}),
        ("demote own account", f"/mod/users/{ann}/role", {"role": "moderator"}),
    ):
        response = act(admin, action, fields)
        seen[case] = (response.status_code, "your own account" in text_of(response))
    assert seen == {
        "taken name": (400, True),
        "bad name": (400, True),
        "short password": (400, True),
        "unknown role": 400,
        "unknown user's role": 404,
        "unknown user disabled": 404,
        "unknown user enabled": 404,
        "disable own account": (400, True),
        "demote own account": (400, True),
    }
    assert admin.get("/mod/users").status_code == 200  # still an admin
    assert usernames(app) == ["ann", "milo"]


# --- flood control ---------------------------------------------------------------------


def assert_too_soon(response, interval, words):
    """A 429 whose Retry-After (1..interval whole seconds) the page repeats in ``words``."""
    assert response.status_code == 429
    wait = response.headers["Retry-After"]
    assert wait.isdigit() and 1 <= int(wait) <= interval
    assert words.format(n=wait) in text_of(response)


def test_a_second_thread_too_soon_is_refused_with_429(app, upload_folder):
    limited = reload_app(app, THREAD_INTERVAL=60)
    client = limited.test_client()
    first = create_thread(client, title="First")
    response = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads",
                         {"title": "Second", "body": "too soon"}, image=("s.png", imagefactory.png()))
    assert_too_soon(response, 60, "You can start another thread in {n} seconds.")
    assert thread_ids_on_board(client) == [first]
    assert stored_files(upload_folder) == []
    # Another address is not held back.
    assert create_thread(client_at(limited, "10.0.0.2"), title="Elsewhere") in thread_ids_on_board(client)


def test_a_second_reply_too_soon_is_refused_with_429_on_any_thread(app, upload_folder):
    starter = app.test_client()
    one, two = create_thread(starter, title="One"), create_thread(starter, title="Two")
    client = client_at(reload_app(app, REPLY_INTERVAL=10), "10.0.0.7")
    assert reply(client, one, "First reply").status_code == 303
    response = reply(client, two, "Second reply", image=("r.png", imagefactory.png()))
    assert_too_soon(response, 10, "You can post another reply in {n} seconds.")
    assert (len(post_ids(client, one)), len(post_ids(client, two))) == (2, 1)
    assert stored_files(upload_folder) == []


def test_a_refused_form_does_not_start_the_clock(app):
    limited = reload_app(app, THREAD_INTERVAL=60, REPLY_INTERVAL=60)
    starter = client_at(limited, "10.0.0.9")
    thread_id = create_thread(starter, title="Target")
    client = limited.test_client()
    fields = {"title": "", "body": "no title"}
    statuses = [post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields).status_code]
    statuses.append(post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads",
                              {"title": "Now with a title"}).status_code)
    statuses.append(post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads",
                              {"title": "And another"}).status_code)
    replier = client_at(limited, "10.0.0.8")
    statuses += [reply(replier, thread_id, body).status_code for body in (" ", "A reply", "Another")]
    assert statuses == [400, 303, 429, 400, 303, 429]


def test_replies_are_allowed_again_once_the_interval_is_over(app):
    limited = reload_app(app, REPLY_INTERVAL=1)
    thread_id = create_thread(client_at(limited, "10.0.0.9"))
    client = limited.test_client()
    statuses = [reply(client, thread_id, "one").status_code, reply(client, thread_id, "two").status_code]
    time.sleep(1.1)
    statuses.append(reply(client, thread_id, "three").status_code)
    assert statuses == [303, 429, 303]


def test_replies_sent_at_the_same_moment_cannot_all_pass(app):
    """Six replies from one address at once, with REPLY_INTERVAL=60: exactly one is stored."""
    limited = reload_app(app, REPLY_INTERVAL=60)
    thread_id = create_thread(client_at(limited, "10.0.0.9"))
    start_together = threading.Barrier(6)

    def send(number):
        client = limited.test_client()
        client.get(f"/threads/{thread_id}")  # a session with its csrf token, before the race
        start_together.wait()
        return reply(client, thread_id, f"reply {number}").status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(send, range(6)))
    assert statuses == [303] + [429] * 5
    assert len(post_ids(limited.test_client(), thread_id)) == 2


def test_a_second_report_too_soon_is_refused_with_429(app, moderator):
    limited = reload_app(app, REPORT_INTERVAL=60)
    thread_id = create_thread(limited.test_client())
    reply(limited.test_client(), thread_id, "Spam")
    first, second = post_ids(limited.test_client(), thread_id)
    client = client_at(limited, "10.0.0.7")
    assert report(client, first, "spam").status_code == 303
    assert_too_soon(report(client, second, "spam"), 60, "You can send another report in {n} seconds.")
    assert reported_posts(moderator) == [first]
    # Another address is not held back.
    assert report(client_at(limited, "10.0.0.8"), second, "spam").status_code == 303
    assert sorted(reported_posts(moderator)) == [first, second]


def test_the_limits_can_be_set_with_chatsite_environment_variables(app, monkeypatch):
    """CHATSITE_THREAD_INTERVAL=60 in the environment turns the thread limit on."""
    monkeypatch.setenv("CHATSITE_THREAD_INTERVAL", "60")
    create_app = importlib.import_module(app.import_name).create_app
    same_data = {
        name: app.config[name]
        for name in ("UPLOAD_FOLDER", "DATABASE", "DATABASE_URL", "SECRET_KEY")
        if name in app.config
    }
    client = create_app({**same_data, "REPLY_INTERVAL": 0, "LOGIN_ATTEMPTS_PER_MINUTE": 0}).test_client()
    create_thread(client, title="First")
    second = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", {"title": "Second"})
    assert second.status_code == 429


def test_too_many_failed_logins_lock_the_door_for_a_minute(app):
    limited = reload_app(app, LOGIN_ATTEMPTS_PER_MINUTE=3)
    create_user(limited, "ann", "admin")
    client = limited.test_client()
    statuses = [log_in(client, "ann", f"guess {n}").status_code for n in range(4)]
    right = log_in(client, "ann")
    statuses.append(right.status_code)
    assert statuses == [400, 400, 400, 429, 429]
    wait = right.headers["Retry-After"]
    assert wait.isdigit() and 1 <= int(wait) <= 60
    assert is_anonymous(client)


def test_failed_logins_count_per_username_and_per_address(app):
    limited = reload_app(app, LOGIN_ATTEMPTS_PER_MINUTE=3)
    create_user(limited, "ann", "admin")
    create_user(limited, "bob")
    here, there = client_at(limited, "127.0.0.1"), client_at(limited, "10.0.0.2")
    third, guesser, elsewhere = (client_at(limited, f"10.0.0.{n}") for n in (3, 4, 5))
    seen = {
        "ann, a wrong guess from here": [log_in(here, "ann", "guess").status_code for _ in range(2)],
        "ann, a wrong guess from there": log_in(there, "ann", "guess").status_code,
        # Three failures for "ann" in all: her name is locked, wherever the next try comes from.
        "ann, right, from a third address": log_in(third, "ann").status_code,
        # One address guessing many names is locked too, for every name.
        "unknown names from the guesser": [
            log_in(guesser, f"nobody{n}", "guess").status_code for n in range(3)
        ],
        "bob, right, from the guesser": log_in(guesser, "bob").status_code,
        "bob, right, from elsewhere": log_in(elsewhere, "bob").status_code,
    }
    assert seen == {
        "ann, a wrong guess from here": [400, 400],
        "ann, a wrong guess from there": 400,
        "ann, right, from a third address": 429,
        "unknown names from the guesser": [400, 400, 400],
        "bob, right, from the guesser": 429,
        "bob, right, from elsewhere": 303,
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


def test_only_the_new_thread_and_reply_forms_take_large_bodies(app, client, moderator):
    """Any other address refuses a body over 64 KiB (MAX_FORM_MEMORY_SIZE) with 413,
    before it reads it: a plain form, a multipart one, any other type, chunked or not."""
    thread_id = create_thread(client, title="Not locked")
    [post_id] = post_ids(client, thread_id)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    staff_token = csrf_token(moderator.get(f"/threads/{thread_id}").get_data(as_text=True))
    plain = f"csrf_token={token}&username=milo&password=x".encode() + b"&a=" * 400_000
    multipart = "multipart/form-data; boundary=B"
    sends = {
        "plain login": (client, "/login", plain, "application/x-www-form-urlencoded", False),
        "multipart login": (client, "/login", big_multipart(token, {"username": "milo"}), multipart, False),
        "chunked login": (client, "/login", plain, "application/x-www-form-urlencoded", True),
        "chunked report": (client, f"/posts/{post_id}/report", big_multipart(token, {"reason": "spam"}),
                           multipart, True),
        "text report": (client, f"/posts/{post_id}/report", b"x" * MIB, "text/plain", False),
        "lock": (moderator, f"/mod/threads/{thread_id}/lock", big_multipart(staff_token, {}), multipart,
                 False),
        "logout": (moderator, "/logout", big_multipart(staff_token, {}), multipart, False),
        "API": (client, "/api/boards", b"{}" + b" " * MIB, "application/json", False),
    }
    answers = {name: send_body(*send) for name, send in sends.items()}
    assert {name: answer.status_code for name, answer in answers.items()} == {name: 413 for name in sends}
    assert "Nothing was posted." in text_of(answers["plain login"])
    assert "Back to all boards" in text_of(answers["lock"])  # the site's own page
    assert answers["API"].get_json()["error"]["status"] == 413
    # Nothing happened: no report, no lock, still logged in; the upload forms take 1 MiB.
    assert open_report_ids(moderator) == []
    assert f"/threads/{thread_id}/replies" in post_form_actions(client.get(f"/threads/{thread_id}"))
    assert moderator.get("/mod/").status_code == 200
    image = ("big.png", imagefactory.png_of_size(MIB))
    assert reply(client, thread_id, "A big one", image=image).status_code == 303


# --- CSRF, security headers, no inline code ---------------------------------------------


def test_every_form_refuses_a_post_without_the_right_token(app, client, moderator):
    """No token, or a wrong one: 400, "This form has expired", and nothing changes."""
    thread_id = create_thread(client, title="Protected")
    [post_id] = post_ids(client, thread_id)
    visitor = app.test_client()
    visitor.get("/login")  # a session with a token of its own
    sends = {
        "new thread": (visitor, f"/boards/{BOARD}/threads", {"title": "Forged", "body": "x"}),
        "reply": (visitor, f"/threads/{thread_id}/replies", {"body": "Forged"}),
        "report": (visitor, f"/posts/{post_id}/report", {"reason": "spam"}),
        "login": (visitor, "/login", {"username": "milo", "password": PASSWORD}),
        "lock": (moderator, f"/mod/threads/{thread_id}/lock", {}),
        "delete post": (moderator, f"/mod/posts/{post_id}/delete", {}),
        "log out": (moderator, "/logout", {}),
    }
    seen = {}
    for form, (browser, action, fields) in sends.items():
        for token in ("none", "wrong"):
            data = dict(fields) if token == "none" else {**fields, "csrf_token": "x" * 43}
            response = browser.post(action, data=data)
            seen[f"{form}, {token}"] = (response.status_code, EXPIRED in text_of(response))
    assert seen == {f"{form}, {token}": (400, True) for form in sends for token in ("none", "wrong")}
    # Nothing changed.
    assert thread_ids_on_board(client) == [thread_id]
    assert post_ids(client, thread_id) == [post_id]
    assert open_report_ids(moderator) == []
    assert f"/threads/{thread_id}/replies" in post_form_actions(client.get(f"/threads/{thread_id}"))
    assert is_anonymous(visitor)
    assert moderator.get("/mod/").status_code == 200  # still logged in
    assert logged_actions(moderator) == []


def test_every_page_sends_the_security_headers_and_has_no_inline_code(app, client, admin):
    thread_id = create_thread(client, title="Headers", image=("h.png", imagefactory.png()))
    [post_id] = post_ids(client, thread_id)
    report(client, post_id, "spam")
    [image] = image_urls_in(client.get(f"/threads/{thread_id}"))
    visitor_pages = [
        "/", f"/boards/{BOARD}", f"/threads/{thread_id}", "/search?q=headers", "/login",
        f"/posts/{post_id}/report", "/no/such/page", "/mod/", "/api/boards", image, "/static/style.css",
    ]
    staff_pages = ["/", f"/threads/{thread_id}", "/mod/", "/mod/reports", "/mod/log", "/mod/users"]
    answers = {f"visitor {url}": client.get(url) for url in visitor_pages}
    answers |= {f"admin {url}": admin.get(url) for url in staff_pages}
    answers["visitor POST lock"] = act(client, f"/mod/threads/{thread_id}/lock")

    headers = {key: {name: r.headers.get(name) for name in SECURITY_HEADERS} for key, r in answers.items()}
    # From step 17 on, an uploaded file has a stricter policy of its own
    # (test_17_media.py); it must still have one.
    file_policy = headers[f"visitor {image}"].pop("Content-Security-Policy")
    expected = {key: SECURITY_HEADERS for key in answers}
    expected[f"visitor {image}"] = {
        name: value for name, value in SECURITY_HEADERS.items() if name != "Content-Security-Policy"
    }
    assert headers == expected
    assert "default-src" in (file_policy or "")

    def inline_code(response):
        if response.mimetype != "text/html":
            return []
        shown = page(response)
        return [
            e for e in shown.elements
            if "style" in e.attrs or e.tag == "style" or (e.tag == "script" and not e.get("src"))
            or any(name.startswith("on") for name in e.attrs)
        ]

    assert {key: inline_code(r) for key, r in answers.items()} == {key: [] for key in answers}


def test_every_post_form_on_every_page_carries_a_csrf_token(app, client, admin):
    thread_id = create_thread(client)
    [post_id] = post_ids(client, thread_id)
    report(client, post_id, "spam")
    create_user(app, "milo")
    pages = {
        "visitor": (client, [f"/boards/{BOARD}", f"/threads/{thread_id}", f"/posts/{post_id}/report",
                             "/login"]),
        "admin": (admin, ["/", f"/boards/{BOARD}", f"/threads/{thread_id}", "/mod/", "/mod/reports",
                          "/mod/log", "/mod/users"]),
    }
    without, actions = {}, set()
    for who, (browser, urls) in pages.items():
        for url in urls:
            forms = [form for form in page(browser.get(url)).forms() if form.method == "post"]
            actions |= {form.action for form in forms}
            without[f"{who} {url}"] = [
                form.action for form in forms
                if form.fields.get("csrf_token") is None or form.fields["csrf_token"].get("type") != "hidden"
            ]
    assert without == {f"{who} {url}": [] for who, (_, urls) in pages.items() for url in urls}
    milo = user_id(app, "milo")
    assert actions >= {
        f"/boards/{BOARD}/threads", f"/threads/{thread_id}/replies", f"/posts/{post_id}/report", "/login",
        "/logout", f"/mod/threads/{thread_id}/lock", f"/mod/posts/{post_id}/delete", "/mod/users",
        f"/mod/users/{milo}/disable",
    }
