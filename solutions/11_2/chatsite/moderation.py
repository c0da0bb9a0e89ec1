"""The staff's pages, all under /mod/: their home page and, for admins, the accounts.

accounts.py says who is logged in; the decorators @staff_required and
@admin_required guard every view here. Admins make staff accounts, change
their role, disable and enable them (/mod/users).
"""

from datetime import datetime

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from . import accounts
from .accounts import admin_required, staff_required
from .db import get_db, write_transaction
from .forms import FormError, clean_text
from .store import LARGEST_ID

# url_prefix: "/users" below answers at /mod/users.
bp = Blueprint("moderation", __name__, url_prefix="/mod")


def row_or_404(db, query, row_id):
    """The one row `query` finds for `row_id`, or 404 Not Found.

    Ids come from the address (<int:user_id>), which takes any whole number:
    one too large for SQLite (OverflowError, a 500) is simply an id that does
    not exist.
    """
    if not 1 <= row_id <= LARGEST_ID:
        abort(404)
    row = db.execute(query, (row_id,)).fetchone()
    if row is None:
        abort(404)
    return row


@bp.get("/")
@staff_required
def home():
    """Where the staff start: who is logged in, and the way to each page."""
    return render_template("mod/home.html")


# --- The staff's accounts (admins only) ----------------------------------------------------


@bp.get("/users")
@admin_required
def users():
    """Every staff account, and a form to make a new one."""
    return render_users()


def render_users(form=None, error=None):
    """The users page, with the create form filled in again after a mistake."""
    rows = get_db().execute("SELECT id, username, role, created_at, disabled FROM users ORDER BY id")
    staff = [{**row, "created_at": datetime.fromisoformat(row["created_at"])} for row in rows]
    return render_template("mod/users.html", users=staff, roles=accounts.ROLES, form=form or {}, error=error)


@bp.post("/users")
@admin_required
def create_user():
    """Make a staff account: the same rules as `flask create-user`."""
    username = clean_text(request.form.get("username", ""))
    password = request.form.get("password", "")
    role = request.form.get("role", "")
    accounts.check_new_account(username, password, role)
    password_hash = accounts.hash_password(password)  # slow on purpose: before the transaction
    db = get_db()
    with write_transaction(db):
        accounts.insert_user(db, username, password_hash, role)
    return redirect(url_for("moderation.users"), code=303)


def user_or_404(db, user_id):
    """The account with this id (read inside the caller's transaction), or 404."""
    return row_or_404(db, "SELECT id, username, role, disabled FROM users WHERE id = ?", user_id)


def is_own_account(user):
    """True if `user` is the account of the admin who sent this form."""
    return user["id"] == g.user["id"]


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id):
    """Make a moderator an admin, or an admin a moderator (the form's `role`)."""
    role = request.form.get("role", "")
    if role not in accounts.ROLES:
        raise FormError("The role is admin or moderator.")
    db = get_db()
    with write_transaction(db):
        user = user_or_404(db, user_id)
        if user["role"] != role:
            # An admin cannot demote themselves: a site must never lose its last
            # admin by a slip of the mouse. (Another admin can do it.)
            if is_own_account(user):
                raise FormError("You cannot demote your own account. Another admin can.")
            db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
    return redirect(url_for("moderation.users"), code=303)


@bp.post("/users/<int:user_id>/disable")
@admin_required
def disable_user(user_id):
    """Close an account: it can no longer log in, and its open sessions end at
    their next click, for good: enabled again, it must log in afresh
    (accounts.end_sessions). Accounts are disabled, never deleted."""
    return set_disabled(user_id, 1)


@bp.post("/users/<int:user_id>/enable")
@admin_required
def enable_user(user_id):
    """Open a disabled account again."""
    return set_disabled(user_id, 0)


@bp.post("/users/<int:user_id>/logout")
@admin_required
def log_out_user(user_id):
    """Exercise 11.2: end every session of an account, in every browser, without
    disabling it (a lost phone, a shared computer). It can log in again at once."""
    db = get_db()
    with write_transaction(db):
        user_or_404(db, user_id)
        accounts.end_sessions(db, user_id)
    return redirect(url_for("moderation.users"), code=303)


def set_disabled(user_id, disabled):
    """Disable (1) or enable (0) an account, and go back to the users page."""
    db = get_db()
    with write_transaction(db):
        user = user_or_404(db, user_id)
        if disabled and is_own_account(user):
            raise FormError("You cannot disable your own account. Another admin can.")
        if user["disabled"] != disabled:
            db.execute("UPDATE users SET disabled = ? WHERE id = ?", (disabled, user_id))
            if disabled:
                accounts.end_sessions(db, user_id)
    return redirect(url_for("moderation.users"), code=303)


# --- A refused form -------------------------------------------------------------------------


@bp.errorhandler(FormError)
def show_form_again(error):
    """A refused form of the users page: the page again with the message, and
    the name and role typed (never the password)."""
    typed = {"username": request.form.get("username", ""), "role": request.form.get("role", "")}
    return render_users(form=typed, error=error.description), 400
