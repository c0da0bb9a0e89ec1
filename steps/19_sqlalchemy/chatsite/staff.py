"""The staff's accounts (models.User): made, found, changed, their sessions ended.

Logging in and who may see what are logins.py's and accounts.py's; this is
what they read and write. Every account comes back as a models.User, which is
also what logins.py keeps as g.user. An admin's change writes its audit
log entry in the same transaction (moderation.audit).
"""

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from .db import db, write_transaction
from .forms import account_problem
from .models import User, utc_now
from .moderation import audit


class UsernameTaken(ValueError):
    """Another account already has this name (whatever its case)."""


def create_account(username, password, role, by=None):
    """Check a new account (forms.account_problem), hash its password and store
    it; return (the account, None) or (None, the message of what is wrong). The
    users page and `flask create-user` both make accounts this way. `by`: the
    admin who made it, None from the command line."""
    problem = account_problem(username, password, role)
    if problem:
        return None, problem
    try:
        user = add_user(username, hash_password(password), role, by=by)
    except UsernameTaken:
        return None, f"The username {username} is taken."
    return user, None


def hash_password(password):
    """The hash to store for ``password``, made the way PASSWORD_HASH_METHOD says."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def add_user(username, password_hash, role, by=None):
    """Create a staff account; return it. Raises UsernameTaken if the name (in
    any case) is taken. `by`: the admin who did it, for the audit log (None from
    the command line: whoever can run `flask` on the server owns the site)."""
    with write_transaction() as session:
        key = username.lower()
        if session.scalar(select(User.id).where(User.username_key == key)) is not None:
            raise UsernameTaken(username)
        user = User(
            username=username, username_key=key, password_hash=password_hash, role=role, created_at=utc_now()
        )
        session.add(user)
        try:
            session.flush()  # two admins creating "mia" at the same moment: one wins
        except IntegrityError:
            raise UsernameTaken(username) from None
        if by is not None:
            audit(session, by, "create user", f"user {username}", f"role {role}")
        return user


def all_users():
    """Every staff account, A to Z."""
    return list(db.session.scalars(select(User).order_by(User.username_key)))


def user_by_name(username):
    """The account with this name, in any case; or None."""
    if "\x00" in username:
        return None  # no name has one, and PostgreSQL's text cannot hold it (an error, not None)
    return db.session.scalar(select(User).where(User.username_key == username.lower()))


def user_for_session(user_id, session_version):
    """For logins.py: the enabled account with this id, or None. Read on every
    request, so a new role, a disabled account or a logout counts from the next
    request on. None too when the session is of an older version (end_sessions)."""
    user = db.session.get(User, user_id)
    if user is None or user.disabled or user.session_version != session_version:
        return None
    return user


def end_sessions(user_id):
    """End every session of this account, every copy of its cookie included:
    they hold the old session_version (logins.login_user)."""
    with write_transaction() as session:
        session.execute(
            update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
        )


def set_role(user_id, role, by):
    """Give an account a new role; return it, or None for an unknown id."""
    with write_transaction() as session:
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            return None
        if user.role != role:
            audit(session, by, "change role", f"user {user.username}", f"{user.role} → {role}")
            user.role = role
        return user


def set_disabled(user_id, disabled, by):
    """Disable (True) or enable (False) an account; return it, or None."""
    with write_transaction() as session:
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            return None
        if user.disabled != disabled:
            user.disabled = disabled
            if disabled:  # its sessions end for good: enabled again, it logs in afresh
                user.session_version += 1
            audit(session, by, "disable user" if disabled else "enable user", f"user {user.username}")
        return user
