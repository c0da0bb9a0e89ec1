"""Step 11: staff accounts. The command that makes them, logging in and out, who may do what.

What a user notices: posting stays anonymous, but moderators and admins have
accounts, made with `flask create-user` (forum.create_user) or by an admin on
/mod/users. They log in at /login, see who they are logged in as on every page,
and log out with a button; a staff page sends a visitor to the login form.
Passwords are never shown back, a failed login never says which names exist,
and logging out or disabling an account ends every copy of its session.

The shared browsers (``moderator``, ``admin``) and helpers are in staff.py.
"""

import re
import time
from email.utils import parsedate_to_datetime

import pytest
import staff
from forum import (
    BOARD,
    PASSWORD,
    create_user,
    create_user_command,
    field_labels,
    log_in,
    login_redirect_next,
    page,
    staff_client,
    submit,
    user_id,
    usernames,
    where,
)
from staff import EMPTY, WRONG, act, cookie_attributes, is_anonymous, replay, text_of
from targets import reload_app

pytestmark = pytest.mark.since("11")

# The shared browsers logged in as "milo" and "ann" (staff.py), as fixtures of this module.
moderator, admin = staff.moderator, staff.admin


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
    """/login: a labelled username and password field, and a hidden next."""
    response = client.get("/login?next=/mod/users")
    assert response.status_code == 200
    shown = page(response)
    form = next(form for form in shown.forms() if form.action == "/login")
    assert form.method == "post"
    assert set(form.fields) >= {"username", "password", "next"}
    assert form.fields["password"].get("type") == "password"
    assert (form.fields["next"].get("type"), form.fields["next"].get("value")) == ("hidden", "/mod/users")
    labels = field_labels(form, shown)
    assert labels.get("username") and labels.get("password")


def test_logging_in_goes_back_to_the_page_asked_for_but_only_on_this_site(app):
    """After login: back to the local page that asked for it; anywhere else becomes /mod/."""
    create_user(app, "ann", "admin")
    # The way an admin arrives: a staff page sends them to log in first.
    client = app.test_client()
    assert login_redirect_next(client.get("/mod/users")) == "/mod/users"
    arrived = client.get(where(client.get("/mod/users")))
    form = next(form for form in page(arrived).forms() if form.action == "/login")
    asked = form.fields["next"].get("value")

    nexts = [asked, None, "//evil.example", "https://evil.example", "/\\evil"]
    landed = {}
    for next_page in nexts:
        response = log_in(app.test_client(), "ann", next=next_page)
        landed[next_page] = (response.status_code, where(response))
    assert landed == {
        "/mod/users": (303, "/mod/users"),
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


def test_logging_out_ends_the_session(moderator):
    """Log out is a POST (GET /logout is 405); afterwards /mod/ asks to log in again."""
    assert moderator.get("/logout").status_code == 405
    assert moderator.get("/mod/").status_code == 200
    response = submit(moderator, "/", "/logout")
    assert (response.status_code, where(response)) == (303, "/")
    assert is_anonymous(moderator)
    assert "Staff login" in text_of(moderator.get("/"))


def assert_copy_is_a_visitor(app, copy):
    """The copied cookie opens no staff page and makes no account."""
    assert is_anonymous(copy)
    made = act(copy, "/mod/users", {"username": "intruder", "password": PASSWORD, "role": "admin"})
    assert made.status_code == 403
    assert "intruder" not in usernames(app)


def test_logging_out_ends_every_copy_of_the_session(app, admin):
    """A session cookie copied before "Log out" (from another browser, a proxy's log,
    a stolen laptop's backup) opens nothing afterwards, though its signature is still good."""
    copied = admin.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert replay(app, copied).get("/mod/users").status_code == 200  # a copy works while logged in
    assert submit(admin, "/", "/logout").status_code == 303
    assert_copy_is_a_visitor(app, replay(app, copied))
    assert log_in(admin, "ann").status_code == 303 and not is_anonymous(admin)


def test_disabling_an_account_ends_its_sessions_for_good(app, admin):
    """A disabled account's sessions stay ended when it is enabled again: a copy
    kept from before, or the admin's own browser, must log in afresh."""
    bea = staff_client(app, "bea", "admin")
    copied = bea.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    bea_id = user_id(app, "bea")
    assert act(admin, f"/mod/users/{bea_id}/disable").status_code == 303
    assert act(admin, f"/mod/users/{bea_id}/enable").status_code == 303
    assert_copy_is_a_visitor(app, replay(app, copied))
    assert is_anonymous(bea)
    assert log_in(bea, "bea").status_code == 303 and not is_anonymous(bea)


def test_the_session_cookie_is_http_only_and_lasts_12_hours(app):
    """The staff session cookie: HttpOnly, over in 12 hours, Secure when the site is on https."""
    create_user(app, "milo")
    name = app.config["SESSION_COOKIE_NAME"]
    browser = app.test_client()
    attributes = cookie_attributes(log_in(browser, "milo"), name)
    assert ("httponly" in attributes, "secure" in attributes) == (True, False)
    lasts = parsedate_to_datetime(attributes["expires"]).timestamp() - time.time()
    assert 12 * 3600 - 120 < lasts <= 12 * 3600 + 5

    # The same site served as https://: the cookie, renewed at the next visit, is Secure.
    https = reload_app(app, PREFERRED_URL_SCHEME="https")
    visit = replay(https, browser.get_cookie(name).value).get("/mod/")
    attributes = cookie_attributes(visit, name)
    assert ("httponly" in attributes, "secure" in attributes) == (True, True)


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


def test_who_may_open_and_use_the_staff_pages(app):
    """The permission matrix of the staff's home and the users page, for a visitor,
    a disabled admin (logged in before another admin disabled them), a moderator
    and an admin; the 403 page and the staff home's links."""
    browsers = {
        "anonymous": app.test_client(),
        "disabled": staff_client(app, "dora", "admin"),
        "moderator": staff_client(app, "milo"),
        "admin": staff_client(app, "ann", "admin"),
    }
    dora = user_id(app, "dora")
    assert act(browsers["admin"], f"/mod/users/{dora}/disable").status_code == 303

    routes = {
        "GET /mod/": "/mod/",
        "GET /mod/users": "/mod/users",
        "POST /mod/users": "/mod/users",
        "POST /mod/users/<id>/role": f"/mod/users/{dora}/role",
        "POST /mod/users/<id>/enable": f"/mod/users/{dora}/enable",
        "POST /mod/users/<id>/disable": f"/mod/users/{dora}/disable",
    }
    fields = {
        "POST /mod/users": {"password": PASSWORD, "role": "moderator"},
        "POST /mod/users/<id>/role": {"role": "admin"},
    }
    seen = {route: {} for route in routes}
    for role in ROLES:  # the admin last: it enables, then disables "dora" again
        for route, url in routes.items():
            if route.startswith("GET"):
                response = browsers[role].get(url)
            else:
                sent = {**fields.get(route, {}), "username": f"new-{role}"}
                response = act(browsers[role], url, sent)
            seen[route][role] = "login" if login_redirect_next(response) == url else response.status_code

    as_visitor = {"anonymous": "login", "disabled": "login"}
    refused = {"anonymous": 403, "disabled": 403}
    assert seen == {
        "GET /mod/": {**as_visitor, "moderator": 200, "admin": 200},
        "GET /mod/users": {**as_visitor, "moderator": 403, "admin": 200},
        "POST /mod/users": {**refused, "moderator": 403, "admin": 303},
        "POST /mod/users/<id>/role": {**refused, "moderator": 403, "admin": 303},
        "POST /mod/users/<id>/enable": {**refused, "moderator": 403, "admin": 303},
        "POST /mod/users/<id>/disable": {**refused, "moderator": 403, "admin": 303},
    }
    assert usernames(app) == ["dora", "milo", "ann", "new-admin"]

    # A 403 is the site's own error page, saying who may.
    visitor_says = text_of(act(browsers["anonymous"], "/mod/users"))
    response = browsers["moderator"].get("/mod/users")
    assert (response.status_code, response.mimetype) == (403, "text/html")
    assert ("This page is for" in visitor_says, "admins only" in text_of(response)) == (True, True)
    assert page(response).link(text="Back to all boards", href="/")

    # The staff home links an admin to the users page, not a moderator.
    links = {role: bool(page(browsers[role].get("/mod/")).link(href="/mod/users")) for role in ROLES[2:]}
    assert links == {"moderator": False, "admin": True}


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

