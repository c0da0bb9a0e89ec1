"""The moderators' pages, under /mod/: the staff's home, reports, the audit log, the
actions on threads and posts, and (admins only) the staff accounts.

Every view needs a logged-in staff member (logins.login_required; the
users pages logins.admin_required): a visitor who opens a page is sent to log
in, a form sent by one is refused with 403 (logins.must_log_in). Every form
carries the CSRF token, checked before any view runs (csrf.py).

Each action answers 303 See Other (to the thread, the board or the list it came
from) and writes one audit log entry, in the same transaction as the change
(moderation.py). An action on something that is not there is 404; an action that
finds things already as asked (a second "lock") changes nothing, logs nothing,
and answers 303 too: two moderators clicking at once is not an error.
"""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from . import moderation, reading, staff
from .db import db
from .forms import ROLE_MESSAGE, ROLES, FormError
from .logins import admin_required, local_path, login_required
from .models import Thread, User
from .params import last_page_or_404, requested_page

bp = Blueprint("mod", __name__, url_prefix="/mod")

REPORTS_PER_PAGE = 50
LOG_ENTRIES_PER_PAGE = 100


def moderator():
    """The name the audit log keeps for the logged-in staff member."""
    return g.user.username


# --- Pages -------------------------------------------------------------------------------


@bp.get("/")
@login_required
def dashboard():
    """The staff's home: what there is to do (how many reports wait) and where."""
    return render_template("mod/dashboard.html", open_reports=moderation.open_report_count())


@bp.get("/reports")
@login_required
def reports():
    """The open reports, newest first, each with Dismiss and Delete post."""
    page = requested_page()
    reports, total = moderation.open_reports(page, REPORTS_PER_PAGE)
    pages = last_page_or_404(page, REPORTS_PER_PAGE, total)
    return render_template("mod/reports.html", reports=reports, total=total, page=page, pages=pages)


@bp.get("/log")
@login_required
def log():
    """The audit log: what each staff member did, newest first."""
    page = requested_page()
    entries, total = moderation.audit_log(page, LOG_ENTRIES_PER_PAGE)
    pages = last_page_or_404(page, LOG_ENTRIES_PER_PAGE, total)
    return render_template("mod/log.html", entries=entries, total=total, page=page, pages=pages)


# --- Reports, posts and threads -------------------------------------------------------------


@bp.post("/reports/<id:report_id>/dismiss")
@login_required
def dismiss_report(report_id):
    """Close a report and leave its post alone."""
    if not moderation.dismiss_report(report_id, moderator()):
        abort(404)
    return redirect(url_for("mod.reports"), code=303)


@bp.post("/posts/<id:post_id>/delete")
@login_required
def delete_post(post_id):
    """Delete a post and its image file; back to its thread (or to the form's
    `next`, a page of this site: the reports page sends its own address)."""
    thread = moderation.delete_post(post_id, moderator())  # its files go too (unless another post uses them)
    if thread is None:
        abort(404)
    back = local_path(request.form.get("next", ""))
    return redirect(back or url_for("boards.show_thread", thread_id=thread.id), code=303)


@bp.post("/threads/<id:thread_id>/delete")
@login_required
def delete_thread(thread_id):
    """Delete a thread, its posts and their image files; back to its board."""
    thread = moderation.delete_thread(thread_id, moderator())
    if thread is None:
        abort(404)
    return redirect(url_for("boards.show_board", slug=thread.board), code=303)


@bp.post("/threads/<id:thread_id>/lock", defaults={"locked": True}, endpoint="lock_thread")
@bp.post("/threads/<id:thread_id>/unlock", defaults={"locked": False}, endpoint="unlock_thread")
@login_required
def set_locked(thread_id, locked):
    """Lock a thread (no more replies) or unlock it."""
    return back_to_thread(moderation.lock_thread(thread_id, locked, moderator()))


@bp.post("/threads/<id:thread_id>/pin", defaults={"pinned": True}, endpoint="pin_thread")
@bp.post("/threads/<id:thread_id>/unpin", defaults={"pinned": False}, endpoint="unpin_thread")
@login_required
def set_pinned(thread_id, pinned):
    """Pin a thread to the top of its board, or unpin it."""
    return back_to_thread(moderation.pin_thread(thread_id, pinned, moderator()))


@bp.post("/threads/<id:thread_id>/move")
@login_required
def move_thread(thread_id):
    """Move a thread to the board the form names."""
    thread = db.get_or_404(Thread, thread_id)
    slug = request.form.get("board", "")
    board = reading.find_board(slug)
    if board is None:
        raise FormError(f"There is no board “{slug}”: choose one of the list." if slug else "Choose a board.")
    if slug == thread.board:
        raise FormError(f"This thread is already on {board.name}.")
    return back_to_thread(moderation.move_thread(thread_id, slug, moderator()))


def back_to_thread(thread):
    """303 to the thread's page; 404 if there was no such thread."""
    if thread is None:
        abort(404)
    return redirect(url_for("boards.show_thread", thread_id=thread.id), code=303)


# --- Staff accounts (admins) ------------------------------------------------------------------


@bp.get("/users")
@admin_required
def users():
    """Every staff account, and the form for a new one."""
    return render_users({})


@bp.post("/users")
@admin_required
def create_user():
    """Make a new account (the same rules as `flask create-user`)."""
    form = request.form
    user, problem = staff.create_account(
        form.get("username", ""), form.get("password", ""), form.get("role", ""), moderator()
    )
    if problem:
        return render_users(form, problem), 400
    return redirect(url_for("mod.users"), code=303)


@bp.post("/users/<id:user_id>/role")
@admin_required
def change_role(user_id):
    """Give an account another role. An admin cannot demote themselves: a site
    must never lose its last admin by a slip."""
    user = db.get_or_404(User, user_id)
    role = request.form.get("role", "")
    if role not in ROLES:
        return render_users({}, ROLE_MESSAGE), 400
    if user.id == g.user.id and role != "admin":
        return render_users({}, "You cannot demote your own account."), 400
    staff.set_role(user_id, role, moderator())
    return redirect(url_for("mod.users"), code=303)


@bp.post("/users/<id:user_id>/disable", defaults={"disabled": True}, endpoint="disable_user")
@bp.post("/users/<id:user_id>/enable", defaults={"disabled": False}, endpoint="enable_user")
@admin_required
def set_disabled(user_id, disabled):
    """Disable an account (it can no longer log in, and its sessions are worth
    nothing from their next request on), or enable it again."""
    user = db.get_or_404(User, user_id)
    if disabled and user.id == g.user.id:
        return render_users({}, "You cannot disable your own account."), 400
    staff.set_disabled(user_id, disabled, moderator())
    return redirect(url_for("mod.users"), code=303)


def render_users(form, error=None):
    return render_template("mod/users.html", users=staff.all_users(), form=form, roles=ROLES, error=error)
