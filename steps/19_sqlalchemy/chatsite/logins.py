"""Who is logged in, and what staff may open: the sessions of step 11, by hand.

Posting stays anonymous: accounts are for moderators and admins only.

Logging in (login_user below) keeps the user's id in the session (a cookie
that Flask signs with SECRET_KEY, so that nobody can change it), and before
every request load_logged_in_user() reads the account from the database
(staff.user_for_session) into g.user: None for a visitor. So a new role, or a
disabled account, counts from the user's very next request: an old session of
a disabled moderator is worth nothing. The id comes with the account's
session_version: logging out and disabling the account raise the version, so
a copy of the cookie saved before is worth nothing either.

Who may do what (the /mod/ pages, mod.py): a visitor who opens a staff page is
sent to the login page, and comes back to it afterwards; a form sent to a staff
address by someone who is not logged in is refused (403). Moderators may use
every /mod/ page but the users page, which is for admins.

The login and logout pages, and `flask create-user`, are the accounts blueprint's
(accounts.py); the accounts themselves are staff.py's.
"""

from functools import wraps

from flask import g, redirect, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden

from . import staff

# Ids and session versions are PostgreSQL INTEGERs: a larger number is no account.
MAX_ID = 2**31 - 1

STAFF_ONLY = "This page is for staff only: moderators and admins."
ADMINS_ONLY = "This page is for admins only."


def init_app(app):
    app.before_request(load_logged_in_user)


def login_user(user):
    """Remember in the session that `user` is logged in, with the version of the
    account's sessions (models.User.session_version) that this one belongs to."""
    session["user_id"] = user.id
    session["session_version"] = user.session_version


def load_logged_in_user():
    """Put the logged-in user on g.user, or None (a visitor).

    The session is signed, so the id is ours, unless the secret key leaked: then
    anything could be there ("abc", a huge number, a list). Anything but an id
    we could have written is a visitor, never a 500. A disabled account is a
    visitor too, and so is a session of an older version (a copy kept from
    before a logout)."""
    g.user = None
    user_id, version = session.get("user_id"), session.get("session_version")
    # type() is int, not isinstance(): True and False are ints to isinstance.
    if type(user_id) is not int or type(version) is not int:
        return
    if not 1 <= user_id <= MAX_ID or version > MAX_ID:
        return
    g.user = staff.user_for_session(user_id, version)


def must_log_in():
    """What a staff page answers a visitor.

    Opening a page (GET): go and log in, then come back (?next=). Sending a form:
    403, nothing done (and no redirect that would lose the form anyway)."""
    if request.method in ("GET", "HEAD"):
        here = request.full_path if request.query_string else request.path
        return redirect(url_for("accounts.login", next=here))
    raise Forbidden(STAFF_ONLY)


def user_or_visitor():
    """Load the logged-in user for an error page, as a visitor if that is impossible.

    Every page's header asks who is logged in. An error may come before
    load_logged_in_user() ran (a thread that does not exist is found while the
    address is matched), or be the database failing (503): then the header
    shows the page as to a visitor rather than fail again (a bare 500)."""
    if "user" in g:
        return
    try:
        load_logged_in_user()
    except SQLAlchemyError:
        g.user = None


def login_required(view):
    """A view for logged-in staff only; a visitor gets must_log_in()."""

    @wraps(view)
    def staff_only(*args, **kwargs):
        if g.user is None:
            return must_log_in()
        return view(*args, **kwargs)

    return staff_only


def admin_required(view):
    """Like login_required, and the user must be an admin (else 403)."""

    @wraps(view)
    @login_required
    def admins_only(*args, **kwargs):
        if not g.user.is_admin:
            raise Forbidden(ADMINS_ONLY)
        return view(*args, **kwargs)

    return admins_only


def local_path(next_page):
    """`next_page` if it is a path on this site ("/mod/reports"), else None.

    Not "//evil.example" (a browser reads that as another site), nor "/\\evil"
    (some browsers read "\\" as "/"), nor anything with a scheme (https:,
    javascript:): a link to our login page must not send anyone elsewhere."""
    if not next_page or not next_page.startswith("/") or next_page.startswith("//"):
        return None
    if "\\" in next_page or any(ord(character) < 32 for character in next_page):
        return None
    return next_page
