"""Who is logged in (Flask-Login), and what staff may open.

Posting stays anonymous: accounts are for moderators and admins only.

Flask-Login keeps the logged-in user's id in the session (a signed cookie) and,
on each request that asks for `current_user`, hands that id to load_user() below,
which reads the account from the database (staff.user_for_session). So a new
role, or a disabled account, counts from the user's very next request: an old
session of a disabled moderator is worth nothing. The id comes with the
account's session_version ("7:3", models.User.get_id): logging out and
disabling the account raise the version, so a copy of the cookie saved before
is worth nothing either.

Who may do what (the /mod/ pages, mod.py): a visitor who opens a staff page is
sent to the login page, and comes back to it afterwards; a form sent to a staff
address by someone who is not logged in is refused (403). Moderators may use
every /mod/ page but the users page, which is for admins.

The login and logout pages, and `flask create-user`, are the accounts blueprint's
(accounts.py); the accounts themselves are staff.py's.
"""

import re
from functools import wraps

from flask import g, redirect, request, url_for
from flask_login import LoginManager, current_user, login_required
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden

from . import staff

login_manager = LoginManager()
# Flask-Login's "session protection" would note a change of IP address or browser
# in the session ("basic": the login is no longer "fresh"). We never ask for a
# fresh login, and a permanent session is never dropped by it anyway, so it
# would only write to every visitor's session cookie for nothing.
login_manager.session_protection = None

# Ids in the session are what models.User.get_id() gave: "<id>:<session_version>",
# both as decimal text.
MAX_ID = 2**31 - 1
SESSION_ID = re.compile(r"([0-9]{1,10}):([0-9]{1,10})")

STAFF_ONLY = "This page is for staff only: moderators and admins."
ADMINS_ONLY = "This page is for admins only."


def init_app(app):
    login_manager.init_app(app)


@login_manager.user_loader
def load_user(user_id):
    """The logged-in user for the id the session holds, or None (a visitor).

    The session is signed, so the id is ours, unless the secret key leaked: then
    anything could be there ("abc", a huge number, a list). Anything but an id
    we could have written is a visitor, never a 500. A disabled account is a
    visitor too (Flask-Login itself only refuses inactive users at login), and
    so is a session of an older version (a copy kept from before a logout)."""
    found = SESSION_ID.fullmatch(user_id) if type(user_id) is str else None
    if found is None:
        return None
    number, version = int(found[1]), int(found[2])
    if not 1 <= number <= MAX_ID or version > MAX_ID:
        return None
    return staff.user_for_session(number, version)


@login_manager.unauthorized_handler
def must_log_in():
    """Flask-Login calls this when a page needs a logged-in user and there is none.

    Opening a page (GET): go and log in, then come back (?next=). Sending a form:
    403, nothing done (and no redirect that would lose the form anyway)."""
    if request.method in ("GET", "HEAD"):
        here = request.full_path if request.query_string else request.path
        return redirect(url_for("accounts.login", next=here))
    raise Forbidden(STAFF_ONLY)


def user_or_visitor():
    """Load the logged-in user for a page, as a visitor if that is impossible.

    Every page's header asks who is logged in, which for staff is a query. An
    error page may be showing that the database is down (503): then its header
    shows it as to a visitor rather than fail again (a bare 500)."""
    try:
        current_user.is_authenticated  # noqa: B018 - loads the user (Flask-Login keeps it in g)
    except SQLAlchemyError:
        g._login_user = login_manager.anonymous_user()


def admin_required(view):
    """Like Flask-Login's login_required, and the user must be an admin (else 403)."""

    @wraps(view)
    @login_required
    def admins_only(*args, **kwargs):
        if not current_user.is_admin:
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
