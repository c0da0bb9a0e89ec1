"""Exercise 11.2 · Log out everywhere: an admin ends every session of another account."""

from forum import create_user, log_in, login_redirect_next, page, staff_client, submit


def everywhere_form(admin, name):
    """The action of the POST form whose button says "Log out everywhere" in the
    row of the account ``name`` on /mod/users, or None."""
    for form in page(admin.get("/mod/users")).forms():
        rows = [node for node in form.element.ancestors() if node.tag == "tr"]
        row_words = rows[0].text().split() if rows else []
        button = "log out everywhere" in form.element.text().lower()
        if form.method == "post" and button and name in row_words:
            return form.action
    return None


def is_logged_in(browser):
    return login_redirect_next(browser.get("/mod/")) is None


def test_log_out_everywhere_ends_every_session_of_the_account(app, note):
    """The button "Log out everywhere" in milo's row of /mod/users logs milo out in every
    browser; milo can log in again at once (the account is not disabled).

    Hint: a POST view /mod/users/<int:user_id>/logout with @admin_required that calls
    accounts.end_sessions(db, user_id) inside write_transaction(); on mod/users.html,
    in each other account's row, a POST form with a button "Log out everywhere".
    """
    admin = staff_client(app, "ann", "admin")
    create_user(app, "milo")
    here, there = app.test_client(), app.test_client()
    assert (log_in(here, "milo").status_code, log_in(there, "milo").status_code) == (303, 303)
    action = everywhere_form(admin, "milo")
    assert action is not None, 'no POST form with a "Log out everywhere" button in milo\'s row of /mod/users'
    pressed = submit(admin, "/mod/users", action)
    assert pressed.status_code in (302, 303), f"pressing the button answers {pressed.status_code}"
    still = [where for where, browser in {"one": here, "another": there}.items() if is_logged_in(browser)]
    assert not still, f"milo is still logged in, in {' and '.join(still)} browser"
    assert log_in(there, "milo").status_code == 303 and is_logged_in(there), "milo cannot log in again"
    note("milo was logged out in both browsers, and can log in again")


def test_only_that_accounts_sessions_end(app, note):
    """The admin and another moderator stay logged in.

    Hint: the view changes the version of that account only (WHERE id = ?).
    """
    admin = staff_client(app, "ann", "admin")
    milo = staff_client(app, "milo")
    kim = staff_client(app, "kim")
    action = everywhere_form(admin, "milo")
    assert action is not None, 'no POST form with a "Log out everywhere" button in milo\'s row of /mod/users'
    submit(admin, "/mod/users", action)
    assert not is_logged_in(milo), "milo is still logged in after the button"
    seen = {"ann (the admin)": is_logged_in(admin), "kim": is_logged_in(kim)}
    assert all(seen.values()), f"logged out too: {', '.join(who for who, yes in seen.items() if not yes)}"
    note("ann's and kim's sessions were not touched")


def test_still_a_moderator_cannot_log_anyone_out(app):
    """Only admins manage accounts: a moderator's POST to the users' pages is refused.

    Hint: @admin_required on the new view, like the others on /mod/users.
    """
    staff_client(app, "ann", "admin")
    milo = staff_client(app, "milo")
    kim = staff_client(app, "kim")
    assert milo.get("/mod/users").status_code == 403
    assert is_logged_in(kim) and is_logged_in(milo)
