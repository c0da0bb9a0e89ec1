"""The accounts blueprint: the staff login and logout pages, and `flask create-user`.

Who is logged in, and what staff may open, is logins.py's job (Flask-Login);
the accounts themselves are read and written by staff.py.
"""

from functools import cache

import click
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from . import flood, staff
from .forms import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, LoginForm, UserForm
from .logins import local_path

# cli_group=None: its command is `flask create-user`.
bp = Blueprint("accounts", __name__, cli_group=None)

WRONG_LOGIN = "Wrong username or password."
EMPTY_LOGIN = "Enter your username and password."


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
    # A remember cookie of an earlier login in this browser (someone else's, maybe)
    # goes: logout_user() asks for it to be deleted with this answer...
    logout_user()
    # ...unless the box is ticked: then login_user() sets a new one, for this user.
    # When the session has ended, it logs this browser in again (config.py).
    login_user(user, remember=form.remember.data)
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
        check_password_hash(unknown_user_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(user.password_hash, password)


@cache
def unknown_user_hash(method):
    """A hash of no one's password, made once for each method."""
    return generate_password_hash("no user has this password", method=method)


@bp.post("/logout")
def logout():
    """Log out: every session of the account ends, in every browser and every
    copy of its cookie (staff.end_sessions), and this one goes (303 to the home page)."""
    if current_user.is_authenticated:
        staff.end_sessions(current_user.id)
    session.clear()
    # After clear(), which would wipe what it writes: logout_user() notes in the
    # session that the answer must delete this browser's remember cookie.
    logout_user()
    return redirect(url_for("boards.index"), code=303)


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
    user, problem = staff.create_account(name, password, role)
    if problem:
        raise click.ClickException(problem)
    click.echo(f"Created {user.role} {user.username}.")
    current_app.logger.info("Created %s %s from the command line.", user.role, user.username)
