"""Exercise 12.1 · Break it on purpose: switch off the CSRF check.

The check passes while check_csrf_token() lets every form through: a form sent
from another site then starts a thread, and a browser that ignores SameSite
would let it make an admin account in an admin's name. What still holds without
the token is SameSite=Lax: a forged form whose browser sends no cookie is a visitor's.
"""

from forum import BOARD, PASSWORD, log_in, staff_client, thread_ids_on_board, usernames

BROKEN_ON_PURPOSE = True

# What a forged form on another site would send to the users page: a new admin, of its choosing.
INTRUDER = {"username": "intruder", "password": PASSWORD, "role": "admin"}


def test_a_form_from_another_site_now_starts_a_thread(client, note):
    """A new thread sent with no token at all (a form on another site) is now stored.

    Hint: in csrf.py, make check_csrf_token() return on its first line.
    """
    forged = client.post(f"/boards/{BOARD}/threads", data={"title": "Forged"})
    assert forged.status_code == 303, (
        f"a form without its token still gets {forged.status_code}: the CSRF check is still on"
    )
    assert len(thread_ids_on_board(client)) == 1, "the forged thread is not on the board"
    note("a form without any token started a thread: any site could now post from its visitors' browsers")


def test_a_browser_that_ignores_samesite_would_let_a_forged_admin_account_through(app, note):
    """An admin's browser that sends the cookie with a forged form makes the intruder's account.

    Hint: the same change as above: with the check off, nothing but the cookie
    stands between a forged form and an admin's action.
    """
    admin = staff_client(app, "ann", "admin")
    # The test client sends the cookie with every request, like an old browser
    # that knows nothing of SameSite. No csrf_token in the form.
    forged = admin.post("/mod/users", data=INTRUDER)
    assert forged.status_code == 303, (
        f"a forged new account in an admin's name gets {forged.status_code}: the CSRF check is still on"
    )
    assert "intruder" in usernames(app), "the forged account was not made"
    assert log_in(app.test_client(), "intruder").status_code == 303, "the intruder cannot log in"
    note("a form that did not come from our pages made an admin account, and its maker can log in")


def test_still_a_forged_form_without_the_cookie_is_a_visitors(app, note):
    """A forged new account whose browser sends no cookie (SameSite=Lax) is refused: it is a visitor's.

    Hint: nothing to do: the decorator @admin_required refuses a visitor's POST.
    """
    staff_client(app, "ann", "admin")
    stranger = app.test_client()  # no cookie at all, as SameSite=Lax leaves it
    forged = stranger.post("/mod/users", data=INTRUDER)
    assert forged.status_code in (400, 403), f"a visitor's forged account gets {forged.status_code}"
    assert "intruder" not in usernames(app), "a visitor's forged form made an account"
    refused_by = "the decorator refused a visitor" if forged.status_code == 403 else "the CSRF check did"
    note(f"without the cookie the forged account got {forged.status_code}: {refused_by}")
