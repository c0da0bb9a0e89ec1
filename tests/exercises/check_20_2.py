"""Exercise 20.2 · Stay logged in: Flask-Login's remember cookie, from a box on the login form."""

import time
from email.utils import parsedate_to_datetime

from forum import PASSWORD, create_user, field_labels, form_to, submit
from staff import cookie_attributes, is_anonymous

THIRTY_DAYS = 30 * 24 * 3600


def remember_box(client):
    """(name, value) of the login form's checkbox, as a browser sends it when ticked."""
    form, _ = form_to(client.get("/login").get_data(as_text=True), "/login")
    boxes = [field for field in form.fields.values() if field.get("type", "").lower() == "checkbox"]
    assert boxes, f"the login form has no checkbox, only the fields {sorted(form.fields)}"
    box = boxes[0]
    # A box written with no value="..." is sent as "on".
    return box.get("name"), box.get("value", "on")


def log_in(client, name, remember):
    """Send the login form as ``name``, with the box ticked or not; the answer must be 303."""
    fields = {"username": name, "password": PASSWORD}
    if remember:
        box, value = remember_box(client)
        fields[box] = value
    answer = submit(client, "/login", "/login", fields)
    assert answer.status_code == 303, f"the login got {answer.status_code}"
    return answer


def cookie_name(app):
    return app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def remember_cookie(app, client):
    """The value of the browser's remember cookie, asserting that it has one."""
    cookie = client.get_cookie(cookie_name(app))
    assert cookie is not None, f"logging in with the box ticked set no {cookie_name(app)} cookie"
    return cookie.value


def session_ends(app, client):
    """The browser drops its session cookie, as it does 12 hours after the last request
    (or when it closes, for a session that is not permanent); it keeps its other cookies."""
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])


def test_the_login_form_has_a_stay_logged_in_box(client):
    """The login form has a checkbox, with a label that says it lasts 30 days.

    Hint: in forms.py, give LoginForm a BooleanField("Stay logged in on this
    computer for 30 days"); in templates/login.html, write it with its label:
    {{ form.remember() }} {{ form.remember.label }}.
    """
    box, _ = remember_box(client)
    form, shown = form_to(client.get("/login").get_data(as_text=True), "/login")
    label = field_labels(form, shown).get(box, "")
    assert "30 days" in label, f"the checkbox's label says {label!r}, not how long it lasts (30 days)"


def test_ticking_it_sets_a_remember_cookie_for_30_days(app, make_app, note):
    """A login with the box ticked sets a remember cookie: 30 days, HttpOnly, SameSite=Lax.

    And on a site served over HTTPS, Secure, as the session cookie is.

    Hint: in accounts.login, login_user(user, remember=form.remember.data). In
    config.py, REMEMBER_COOKIE_DURATION (a timedelta), REMEMBER_COOKIE_SAMESITE
    and, in load_config like SESSION_COOKIE_SECURE, REMEMBER_COOKIE_SECURE.
    """
    create_user(app, "milo")
    answer = log_in(app.test_client(), "milo", remember=True)
    cookies = [cookie.split("=")[0] for cookie in answer.headers.getlist("Set-Cookie")]
    assert cookie_name(app) in cookies, f"the login set only the cookies {cookies}"
    attributes = cookie_attributes(answer, cookie_name(app))
    lasts = parsedate_to_datetime(attributes["expires"]).timestamp() - time.time()
    days = round(lasts / 86400, 1)
    assert THIRTY_DAYS - 120 < lasts <= THIRTY_DAYS + 5, f"the remember cookie lasts {days} days, not 30"
    shown = {"httponly": "httponly" in attributes, "samesite": attributes.get("samesite")}
    assert shown == {"httponly": True, "samesite": "Lax"}, f"the remember cookie has {attributes}"
    note(f"{cookie_name(app)}: {attributes}")

    https = make_app(PREFERRED_URL_SCHEME="https")
    create_user(https, "milo")
    browser = https.test_client()
    # Over HTTPS, Flask-WTF wants a Referer from this site with every form.
    browser.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/login"})
    attributes = cookie_attributes(log_in(browser, "milo", remember=True), cookie_name(app))
    assert "secure" in attributes, f"over HTTPS, the remember cookie has {attributes}: no Secure"


def test_the_cookie_logs_the_browser_in_after_its_session_ended(app, note):
    """A browser whose session ended, but that kept the remember cookie, is still logged in.

    Hint: Flask-Login does it by itself: with no user in the session, it reads the
    remember cookie and asks load_user() (logins.py) for the account.
    """
    create_user(app, "milo")
    browser = app.test_client()
    log_in(browser, "milo", remember=True)
    remember_cookie(app, browser)
    session_ends(app, browser)
    answer = browser.get("/mod/")
    assert answer.status_code == 200, f"its session over, the browser got {answer.status_code} at /mod/"
    note("the session cookie gone, /mod/ still opens")


def test_logging_out_deletes_it_and_every_copy_of_it_is_worthless(app):
    """Log out deletes the browser's remember cookie, and a copy saved before it logs no one in.

    Hint: in accounts.logout, call Flask-Login's logout_user() after
    session.clear(): it writes in the session that the answer must delete the
    cookie, and clear() would wipe that. The copy needs nothing new: the cookie
    holds the account's session version, which "Log out" raises.
    """
    create_user(app, "milo")
    browser = app.test_client()
    log_in(browser, "milo", remember=True)
    copied = remember_cookie(app, browser)
    assert submit(browser, "/", "/logout").status_code == 303
    kept = browser.get_cookie(cookie_name(app))
    assert kept is None, "after Log out the browser still has its remember cookie"
    thief = app.test_client()
    thief.set_cookie(cookie_name(app), copied)
    assert is_anonymous(thief), "a copy of the remember cookie, saved before Log out, still opens /mod/"


def test_a_login_without_the_box_deletes_an_older_remember_cookie(app):
    """ann ticks the box; milo logs in on her browser without it: when his session ends, nobody is logged in.

    Hint: in accounts.login, call logout_user() before login_user(): it asks for
    the remember cookie of the earlier login to be deleted; a login with the box
    ticked sets a new one instead.
    """
    create_user(app, "ann", "admin")
    create_user(app, "milo")
    browser = app.test_client()
    log_in(browser, "ann", remember=True)
    remember_cookie(app, browser)
    log_in(browser, "milo", remember=False)
    session_ends(app, browser)
    assert is_anonymous(browser), "after milo's session ended, ann's remember cookie logged the browser in"


def test_still_without_the_box_the_login_ends_with_its_session(app):
    """Without the box, no remember cookie: when the session ends, the browser is a visitor."""
    create_user(app, "milo")
    browser = app.test_client()
    log_in(browser, "milo", remember=False)
    assert browser.get_cookie(cookie_name(app)) is None, "a login without the box set a remember cookie"
    session_ends(app, browser)
    assert is_anonymous(browser)
