"""Exercise 11.3 · Log out everywhere: end every session of one account, in every browser."""

from forum import create_user, log_in, login_redirect_next, page, staff_client, submit


def everywhere_form(browser):
    """The action of the POST form on /mod/ whose button says "Log out everywhere", or None."""
    for form in page(browser.get("/mod/")).forms():
        if form.method == "post" and "log out everywhere" in form.element.text().lower():
            return form.action
    return None


def is_logged_in(browser):
    return login_redirect_next(browser.get("/mod/")) is None


def test_log_out_everywhere_ends_every_session_of_the_account(app, note):
    """The button "Log out everywhere" on /mod/ logs the account out in this browser and every other one.

    Hint: a column users.session_version (INTEGER NOT NULL DEFAULT 0, in
    schema.sql), copied into the session at login; load_logged_in_user() leaves
    g.user None when the session's version is not the account's; a POST view
    (with @staff_required) that adds 1 to it and clears the session; and on
    mod/home.html a POST form with its csrf_token and a button "Log out everywhere".
    """
    create_user(app, "milo")
    here, there = app.test_client(), app.test_client()
    assert (log_in(here, "milo").status_code, log_in(there, "milo").status_code) == (303, 303)
    action = everywhere_form(here)
    assert action is not None, 'no POST form with a "Log out everywhere" button on /mod/'
    pressed = submit(here, "/mod/", action)
    assert pressed.status_code in (302, 303), f"pressing the button answers {pressed.status_code}"
    seen = {"this browser": is_logged_in(here), "the other browser": is_logged_in(there)}
    still = [where for where, logged_in in seen.items() if logged_in]
    assert not still, f"still logged in after pressing the button: {' and '.join(still)}"
    assert log_in(there, "milo").status_code == 303 and is_logged_in(there), "milo cannot log in again"
    note("both browsers were logged out, and a new login works")


def test_only_that_accounts_sessions_end(app, note):
    """Another account's sessions stay: ann is still logged in after milo pressed the button.

    Hint: the view changes the version of g.user's own account only (WHERE id = ?).
    """
    ann = staff_client(app, "ann", "admin")
    milo = staff_client(app, "milo")
    action = everywhere_form(milo)
    assert action is not None, 'no POST form with a "Log out everywhere" button on /mod/'
    submit(milo, "/mod/", action)
    assert not is_logged_in(milo), "milo is still logged in after pressing the button"
    assert is_logged_in(ann), "ann was logged out too"
    note("ann's session was not touched")


def test_still_logging_out_ends_only_this_browsers_session(app):
    """The plain "Log out" still ends only this browser's session.

    Hint: nothing to do: /logout clears the session of the browser that sent it.
    """
    create_user(app, "milo")
    here, there = app.test_client(), app.test_client()
    log_in(here, "milo")
    log_in(there, "milo")
    assert submit(here, "/mod/", "/logout").status_code == 303
    assert (is_logged_in(here), is_logged_in(there)) == (False, True)
