"""Staff accounts: logging in and out (Flask-Login), who may see what, `flask create-user`.

Posting stays anonymous: accounts are for moderators and admins only.

Flask-Login keeps the logged-in user's id in the session (a signed cookie) and,
on each request that asks for `current_user`, hands that id to load_user() below,
which reads the account from the database. So a new role, or a disabled account,
counts from the user's very next request: an old session of a disabled
moderator is worth nothing. The id comes with the account's session_version
("7:3", models.User.get_id): logging out and disabling the account raise the
version, so a copy of the cookie saved before is worth nothing either.

Who may do what (the /mod/ pages, mod.py): a visitor who opens a staff page is
sent to the login page, and comes back to it afterwards; a form sent to a staff
address by someone who is not logged in is refused (403). Moderators may use
every /mod/ page but the users page, which is for admins.
"""

import re
from functools import cache, wraps

import click
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden
from werkzeug.security import check_password_hash, generate_password_hash

from chatsite import flood, staff
from chatsite.forms import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, LoginForm, UserForm, first_error
from chatsite.staff import UsernameTaken

# cli_group=None: its command is `flask create-user`.
bp = Blueprint("accounts", __name__, cli_group=None)

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

WRONG_LOGIN = "Wrong username or password."
EMPTY_LOGIN = "Enter your username and password."
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


# --- logging in and out ------------------------------------------------------------------


@bp.get("/login")
def login_form():
    """The login form. ?next= is the page to go back to afterwards."""
    form = LoginForm()
    form.next.data = request.args.get("next", "")
    return render_template("login.html", form=form)


@bp.post("/login")
@flood.login_limits()
def login():
    """Log a staff member in, then go back to the page they asked for.

    Every failure says the same words, whatever went wrong (an unknown name, a
    wrong password, a disabled account): the form must not tell anyone which
    names exist. Each failure counts towards flood.login_limits()."""
    form = LoginForm()
    username = (form.username.data or "").strip()
    password = form.password.data or ""
    if not username or not password:
        return show_login_form(form, EMPTY_LOGIN)
    possible = len(username) <= MAX_USERNAME_LENGTH and len(password) <= MAX_PASSWORD_LENGTH
    user = staff.user_by_name(username) if possible else None
    if not password_is_right(user, password) or not user.is_active:
        g.login_failed = True  # counts (flood.login_limits)
        return show_login_form(form, WRONG_LOGIN)
    # A new session: nothing from before the login is kept, the CSRF token of the
    # pages seen before included (Flask-WTF makes a new one). Someone who planted
    # a session cookie in this browser ("session fixation") does not share ours.
    session.clear()
    login_user(user)
    session.permanent = True  # it lasts PERMANENT_SESSION_LIFETIME (12 hours)
    return redirect(local_path(form.next.data) or url_for("mod.dashboard"), code=303)


def show_login_form(form, message):
    """The form again, with the name typed but never the password (400)."""
    form.username.data = (form.username.data or "")[:200]
    return render_template("login.html", form=form, error=message), 400


def password_is_right(user, password):
    """Check the password against the user's hash; without a user, against a hash
    of nothing, so that an unknown name takes as long to refuse as a known one."""
    if user is None:
        check_password_hash(unknown_user_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


@cache
def unknown_user_hash():
    return generate_password_hash("no user has this password")


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


@bp.post("/logout")
def logout():
    """Log out: every session of the account ends, in every browser and every
    copy of its cookie (staff.end_sessions), and this one goes (303 to the home page)."""
    if current_user.is_authenticated:
        staff.end_sessions(current_user.id)
    session.clear()
    return redirect(url_for("boards.index"), code=303)


# --- accounts --------------------------------------------------------------------------------


def add_user(username, password, role, by=None):
    """Check and store a new account; return (the account, None) or (None, the
    message of what is wrong). `by`: the admin who made it, None from the command line."""
    form = UserForm(data={"username": username, "password": password, "role": role})
    if not form.validate():
        return None, first_error(form)
    try:
        user = staff.add_user(username, generate_password_hash(password), role, by=by)
    except UsernameTaken:
        return None, f"The username {username} is taken."
    return user, None


@bp.cli.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "moderator"]), default="moderator", show_default=True)
def create_user_command(name, role):
    """Make a staff account; asks for its password twice."""
    # The name first: no point typing a password for a name that cannot be.
    checked = UserForm(data={"username": name})
    if not checked.username.validate(checked):
        raise click.ClickException(checked.username.errors[0])
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user, problem = add_user(name, password, role)
    if problem:
        raise click.ClickException(problem)
    click.echo(f"Created {user.role} {user.username}.")
    current_app.logger.info("Created %s %s from the command line.", user.role, user.username)
