"""Exercise 11.1 · Break it on purpose: switch off the CSRF check.

The check passes while check_csrf_token() lets every form through: a form sent
from another site then starts a thread, and a browser that ignores SameSite
would let it lock a thread in a moderator's name. What still holds without the
token is SameSite=Lax: a forged form whose browser sends no cookie is a visitor's.
"""

from forum import BOARD, create_thread, post_form, staff_client, thread_ids_on_board

BROKEN_ON_PURPOSE = True


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


def test_a_browser_that_ignores_samesite_would_let_a_forged_lock_through(app, client, note):
    """A moderator's browser that sends the cookie with a forged form locks the thread.

    Hint: the same change as above: with the check off, nothing but the cookie
    stands between a forged form and a moderator's action.
    """
    thread_id = create_thread(client, title="Target")
    moderator = staff_client(app, "milo")
    # The test client sends the cookie with every request, like an old browser
    # that knows nothing of SameSite. No csrf_token in the form.
    forged = moderator.post(f"/mod/threads/{thread_id}/lock")
    assert forged.status_code == 303, (
        f"a forged lock in a moderator's name gets {forged.status_code}: the CSRF check is still on"
    )
    assert "This thread is locked." in client.get(f"/threads/{thread_id}").get_data(as_text=True)
    note(f"thread {thread_id} was locked by a form that did not come from our pages")


def test_still_a_forged_form_without_the_cookie_is_a_visitors(client, note):
    """A forged lock whose browser sends no cookie (SameSite=Lax) is refused: it is a visitor's.

    Hint: nothing to do: the decorator @staff_required refuses a visitor's POST.
    """
    thread_id = create_thread(client, title="Target")
    stranger = client.application.test_client()  # no cookie at all, as SameSite=Lax leaves it
    forged = stranger.post(f"/mod/threads/{thread_id}/lock")
    assert forged.status_code in (400, 403), f"a visitor's forged lock gets {forged.status_code}"
    replied = post_form(client, f"/threads/{thread_id}", f"/threads/{thread_id}/replies", {"body": "Hi"})
    assert replied.status_code == 303, "the thread was locked by a visitor's forged form"
    refused_by = "the decorator refused a visitor" if forged.status_code == 403 else "the CSRF check did"
    note(f"without the cookie the forged lock got {forged.status_code}: {refused_by}")
