"""Staff accounts: logging in and out, who is logged in, and who may do what.

Posting stays anonymous: only the staff (admins and moderators) have accounts.
This module makes by hand what Flask-Login does for the final app:

- `flask create-user NAME --role admin` makes an account from the command
  line (the first admin cannot be made on a page: nobody could log in to make it);
- /login checks a name and password and remembers the user in the session:
  a cookie that Flask signs with SECRET_KEY, so that nobody can change it;
- load_logged_in_user() runs before every request: it reads the user back
  from the database into g.user (None for a visitor);
- /logout ends the session, and every copy of it (end_sessions);
- @staff_required and @admin_required guard the moderators' pages.

A password is never stored, only a hash of it (werkzeug.security, scrypt):
whoever gets a copy of the database still does not know anyone's password.
"""

import functools
import re
from datetime import datetime, timezone

import click
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from .csrf import new_csrf_token
from .db import get_db, write_transaction
from .forms import FormError, clean_text
from .store import LARGEST_ID

# cli_group=None: the blueprint's command is `flask create-user`, not
# `flask accounts create-user`.
bp = Blueprint("accounts", __name__, cli_group=None)

ROLES = ("admin", "moderator")

# 1-32 characters: ASCII letters, digits, "_", "-" and ".". Only ASCII, so that
# no two names can look the same on the screen ("mia" with a Cyrillic "а"),
# and so that SQLite's lower() (which knows only A-Z) makes "Mia" and "mia" one name.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,32}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200

WRONG_LOGIN = "Wrong username or password."


# --- The accounts in the database ----------------------------------------------------


def find_user(user_id):
    """The account with this id, or None if there is none."""
    if not 1 <= user_id <= LARGEST_ID:
        return None
    row = get_db().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return dict(row) if row else None


def find_user_by_name(username):
    """The account with this name, in any mix of upper and lower case, or None."""
    row = get_db().execute("SELECT * FROM users WHERE lower(username) = lower(?)", (username,)).fetchone()
    return dict(row) if row else None


def end_sessions(db, user_id):
    """End every session of this account, in every browser, and every copy of them.

    A signed cookie cannot be taken back: a copy saved before "Log out" (from
    a shared computer, a proxy's log, a backup) would stay as good as the
    original. So the session also holds the account's session_version, as it
    was at login, and load_logged_in_user() accepts it only while it is still
    the account's own. Adding 1 here makes every session from before worth
    nothing. Called at logout and when an account is disabled.
    """
    db.execute("UPDATE users SET session_version = session_version + 1 WHERE id = ?", (user_id,))


def is_valid_username(username):
    """True if an account could have this name (USERNAME_PATTERN)."""
    return USERNAME_PATTERN.fullmatch(username) is not None


def check_new_account(username, password, role):
    """Raise FormError, saying what to fix, if these cannot make a new account.
    (Whether the name is taken is checked when it is stored: insert_user().)"""
    if not is_valid_username(username):
        raise FormError("A username is 1 to 32 characters: letters A-Z, digits, _, - and . only.")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise FormError(f"A password is {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long.")
    if role not in ROLES:
        raise FormError("The role is admin or moderator.")


def insert_user(db, username, password_hash, role):
    """Store a new account; return its id. The caller runs this inside its
    write_transaction(), with the hash made beforehand: hashing is slow on
    purpose, and other writers would wait for it.

    The name is looked up inside the transaction, so of two admins making "mia"
    at the same moment, the second one is told that it is taken. (The unique
    index on lower(username) would refuse it anyway, less politely.)
    """
    taken = db.execute("SELECT 1 FROM users WHERE lower(username) = lower(?)", (username,)).fetchone()
    if taken:
        raise FormError(f"The username {username} is taken.")
    cursor = db.execute(
        "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
        (username, password_hash, role, datetime.now(timezone.utc).isoformat()),
    )
    return cursor.lastrowid


@bp.cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="moderator", show_default=True)
def create_user_command(username, role):
    """Make a staff account; the password is asked for twice, and not shown."""
    if not is_valid_username(username):
        raise click.ClickException("A username is 1 to 32 characters: letters A-Z, digits, _, - and . only.")
    if find_user_by_name(username):
        raise click.ClickException(f"The username {username} is taken.")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_new_account(username, password, role)
        password_hash = hash_password(password)
        db = get_db()
        with write_transaction(db):
            insert_user(db, username, password_hash, role)
    except FormError as error:
        # ClickException: the message on stderr, and exit code 1 (a script can tell).
        raise click.ClickException(error.description) from None
    click.echo(f"Created {role} {username}.")


# --- Who is logged in ---------------------------------------------------------------


@bp.before_app_request
def load_logged_in_user():
    """Put the logged-in staff member on g.user (a dict), or None for a visitor.

    The session only says *which* account logged in (its id), and which of
    its sessions this is (session_version, see end_sessions). The account
    itself is read again on every request, so that a change of role, a
    disabled account, or a logout counts from the very next click: a session
    from before is worth nothing, in any browser that holds a copy.

    The session is signed, so a visitor cannot write an id of their choice into
    it. Still, what it holds is checked like any input (a leaked key happens):
    anything but a whole number in range, or the id of an account that is gone
    or disabled, means "not logged in", never a 500.
    """
    g.user = None
    user_id = session.get("user_id")
    # type() is int, not isinstance(): True and False are ints to isinstance.
    if type(user_id) is not int:
        return
    user = find_user(user_id)
    if user is None or user["disabled"]:
        return
    # A session from before the last logout (or before the account was
    # disabled) holds an older version: a visitor's.
    if session.get("session_version") != user["session_version"]:
        return
    g.user = user


def current_user():
    """g.user, or None if load_logged_in_user() has not run (an error before it)."""
    return g.get("user")


# --- Who may do what -----------------------------------------------------------------


def staff_required(view):
    """A view for admins and moderators only.

    A visitor who opens such a page (GET) is sent to the login form, which
    brings them back here afterwards (?next=). A form sent without being logged
    in (POST) is refused with 403 Forbidden: sending someone to a login page
    would lose what they sent anyway. The CSRF check (csrf.py) runs before any
    view, so a POST without its token is a 400 even here.
    """

    @functools.wraps(view)
    def guarded_view(**kwargs):
        if current_user() is None:
            return send_to_login("This page is for staff only. Please log in first.")
        return view(**kwargs)

    return guarded_view


def admin_required(view):
    """A view for admins only: visitors as in staff_required, moderators 403."""

    @functools.wraps(view)
    def guarded_view(**kwargs):
        user = current_user()
        if user is None:
            return send_to_login("This page is for admins only. Please log in first.")
        if user["role"] != "admin":
            abort(403, "This page is for admins only.")
        return view(**kwargs)

    return guarded_view


def send_to_login(message):
    """Redirect a GET to /login?next=<this page>; refuse anything else with 403."""
    if request.method not in ("GET", "HEAD"):
        abort(403, message)
    # request.full_path always ends in "?", even with no query string.
    this_page = request.full_path if request.query_string else request.path
    return redirect(url_for("accounts.login", next=this_page))


def is_local_path(path):
    """True if `path` is an address on this site, safe to redirect to after a form.

    A login page that redirects to whatever ?next= says would be an "open
    redirect": a link to our login page could send people on to a look-alike
    site that asks for their password again. So only paths are accepted:

    - "/mod/reports" yes; "https://evil.example" no (it has a scheme);
    - "//evil.example" no: a browser reads it as "https://evil.example";
    - "/\\evil.example" no: some browsers read a backslash as a slash;
    - no control characters or spaces: browsers drop tabs and line breaks from
      addresses, so "/<tab>/evil.example" would turn into "//evil.example".
    """
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and path.isascii()
        and all(" " < character < "\x7f" for character in path)
    )


# --- Logging in and out ----------------------------------------------------------


@bp.get("/login")
def login():
    """The login form. ?next= says where to go once logged in."""
    next_page = request.args.get("next", "")
    return render_login(next_page=next_page if is_local_path(next_page) else "")


def render_login(username="", next_page="", error=None):
    """The login form, with the name typed so far (never the password)."""
    return render_template("login.html", username=username, next_page=next_page, error=error)


@bp.post("/login")
def login_post():
    """Check the name and password; remember the user in a brand-new session."""
    username = clean_text(request.form.get("username", ""))
    # The password as typed: spaces at its ends are part of it.
    password = request.form.get("password", "")
    next_page = request.form.get("next", "")
    if not is_local_path(next_page):
        next_page = ""
    if not username or not password:
        return render_login(username, next_page, "Enter your username and password."), 400

    user = find_user_by_name(username) if is_valid_username(username) else None
    if not password_is_right(user, password) or user["disabled"]:
        # The same words whatever went wrong: the page never tells anyone
        # which names have an account.
        return render_login(username, next_page, WRONG_LOGIN), 400

    # A new session for the logged-in user: clear() drops everything the
    # session held before (its CSRF token too). Someone who planted a session
    # cookie in this browser beforehand ("session fixation") does not get a
    # logged-in session out of it, and the token of a page from before the
    # login no longer works.
    session.clear()
    session["user_id"] = user["id"]
    session["session_version"] = user["session_version"]
    new_csrf_token()
    # permanent: the cookie outlives closing the browser, for
    # PERMANENT_SESSION_LIFETIME (12 hours, config.py) after the last visit.
    session.permanent = True
    return redirect(next_page or url_for("moderation.home"), code=303)


def password_is_right(user, password):
    """True if `password` is the password of `user` (an account or None).

    With no such account, or a password too long to be anyone's, a password is
    still checked against a made-up hash: every wrong login then takes the same
    time, and the time of the answer does not tell which names have accounts.
    """
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        check_password_hash(hash_to_waste_time(method), password[:MAX_PASSWORD_LENGTH])
        return False
    return check_password_hash(user["password_hash"], password)


def hash_password(password):
    """The hash to store for ``password``, made the way PASSWORD_HASH_METHOD says."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def hash_to_waste_time(method):
    """A hash of no one's password, made once for each method (see password_is_right)."""
    return generate_password_hash("no account has this password", method=method)


@bp.post("/logout")
def logout():
    """Log out: end this account's sessions (every copy of them), and clear this one."""
    if current_user() is not None:
        db = get_db()
        with write_transaction(db):
            end_sessions(db, current_user()["id"])
    session.clear()
    return redirect(url_for("boards.index"), code=303)
