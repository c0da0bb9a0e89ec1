"""The accounts blueprint: the staff login and logout pages, and `flask create-user`.

Who is logged in, and what staff may open, is logins.py's job;
the accounts themselves are read and written by staff.py.
"""

from functools import cache

import click
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from . import flood, staff
from .forms import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, username_problem
from .logins import local_path, login_user

# cli_group=None: its command is `flask create-user`.
bp = Blueprint("accounts", __name__, cli_group=None)

WRONG_LOGIN = "Wrong username or password."
EMPTY_LOGIN = "Enter your username and password."


@bp.get("/login")
def login_form():
    """The login form. ?next= is the page to go back to afterwards."""
    return render_template("login.html", username="", next_page=request.args.get("next", ""))


@bp.post("/login")
@flood.login_limits()
def login():
    """Log a staff member in, then go back to the page they asked for.

    Every failure says the same words, whatever went wrong (an unknown name, a
    wrong password, a disabled account): the form must not tell anyone which
    names exist. Each failure counts towards flood.login_limits()."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        return show_login_form(username, EMPTY_LOGIN)
    possible = len(username) <= MAX_USERNAME_LENGTH and len(password) <= MAX_PASSWORD_LENGTH
    user = staff.user_by_name(username) if possible else None
    if not password_is_right(user, password) or user.disabled:
        g.login_failed = True  # counts (flood.login_limits)
        return show_login_form(username, WRONG_LOGIN)
    # A new session: nothing from before the login is kept, the CSRF token of the
    # pages seen before included (csrf.csrf_token makes a new one). Someone who planted
    # a session cookie in this browser ("session fixation") does not share ours.
    session.clear()
    login_user(user)
    session.permanent = True  # it lasts PERMANENT_SESSION_LIFETIME (12 hours)
    return redirect(local_path(request.form.get("next", "")) or url_for("mod.dashboard"), code=303)


def show_login_form(username, message):
    """The form again, with the name typed but never the password (400)."""
    next_page = request.form.get("next", "")
    return render_template("login.html", username=username[:200], next_page=next_page, error=message), 400


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
    if g.user is not None:
        staff.end_sessions(g.user.id)
    session.clear()
    return redirect(url_for("boards.index"), code=303)


@bp.cli.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "moderator"]), default="moderator", show_default=True)
def create_user_command(name, role):
    """Make a staff account; asks for its password twice."""
    # The name first: no point typing a password for a name that cannot be.
    problem = username_problem(name)
    if problem:
        raise click.ClickException(problem)
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user, problem = staff.create_account(name, password, role)
    if problem:
        raise click.ClickException(problem)
    click.echo(f"Created {user.role} {user.username}.")
    current_app.logger.info("Created %s %s from the command line.", user.role, user.username)
