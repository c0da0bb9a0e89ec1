"""The moderators' pages and actions, all under /mod/.

Moderators (and admins) read the reports, delete posts and threads, lock,
pin and move threads; admins also manage the staff accounts (/mod/users).
accounts.py says who is logged in; the decorators @staff_required and
@admin_required guard every view here.

Every change follows the same pattern:

    with write_transaction(db):
        ... change the data ...
        log_action(db, "lock thread", f"thread {thread_id}")

The audit log's row is stored in the same transaction as the change: there is
never a change without its log entry, nor an entry for a change that failed.
A change that is already made (locking a locked thread: two moderators
clicked at once) is not an error, and writes no entry.

Step 15: a change that readers of the thread see (a post or the thread
deleted, the thread locked, unlocked or moved) also writes its event in that
transaction (store.record_event), and wakes the thread's open sockets after
the COMMIT (live.notify_thread). Pinning shows on the board page only: no event.
"""

import math
from datetime import datetime, timezone

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from . import accounts
from .accounts import admin_required, is_local_path, staff_required
from .db import get_db, write_transaction
from .errors import show_own_description
from .forms import FormError, clean_text, requested_page
from .live import notify_thread
from .store import LARGEST_ID, get_store, record_event
from .uploads import delete_image_files

# url_prefix: "/reports" below answers at /mod/reports.
bp = Blueprint("moderation", __name__, url_prefix="/mod")

# How many rows one page of reports, or of the log, shows; ?page=2 the next ones.
ROWS_PER_PAGE = 50


def log_action(db, action, target, details=""):
    """Write one row of the audit log: who (the logged-in user's name, as text),
    did what, to what. Call it inside the transaction of the change."""
    db.execute(
        "INSERT INTO audit_log (created_at, username, action, target, details) VALUES (?, ?, ?, ?, ?)",
        (now(), g.user["username"], action, target, details),
    )


def now():
    """The time now, in UTC, as stored in the database."""
    return datetime.now(timezone.utc).isoformat()


def row_or_404(db, query, row_id):
    """The one row `query` finds for `row_id`, or 404 Not Found.

    Ids come from the address (<int:post_id>), which takes any whole number:
    one too large for SQLite (OverflowError, a 500) is simply an id that does
    not exist.
    """
    if not 1 <= row_id <= LARGEST_ID:
        abort(404)
    row = db.execute(query, (row_id,)).fetchone()
    if row is None:
        abort(404)
    return row


def page_count(total):
    """How many pages of ROWS_PER_PAGE rows `total` rows make (at least 1)."""
    return max(1, math.ceil(total / ROWS_PER_PAGE))


# --- The staff's home page, the reports and the log --------------------------------------


@bp.get("/")
@staff_required
def home():
    """Where a moderator starts: how many reports are waiting, and the way to each page."""
    open_reports = get_db().execute("SELECT count(*) FROM reports WHERE dismissed_at IS NULL").fetchone()[0]
    return render_template("mod/home.html", open_reports=open_reports)


@bp.get("/reports")
@staff_required
def reports():
    """The open reports, newest first, each with the post it is about."""
    db = get_db()
    total = db.execute("SELECT count(*) FROM reports WHERE dismissed_at IS NULL").fetchone()[0]
    page, pages = requested_page(), page_count(total)
    if page > pages:
        abort(404)
    rows = db.execute(
        "SELECT reports.id, reports.reason, reports.details, reports.created_at,"
        " posts.id AS post_id, posts.thread_id, posts.body"
        " FROM reports JOIN posts ON posts.id = reports.post_id"
        " WHERE reports.dismissed_at IS NULL ORDER BY reports.id DESC LIMIT ? OFFSET ?",
        (ROWS_PER_PAGE, (page - 1) * ROWS_PER_PAGE),
    )
    open_reports = [{**row, "created_at": datetime.fromisoformat(row["created_at"])} for row in rows]
    return render_template("mod/reports.html", reports=open_reports, total=total, page=page, pages=pages)


@bp.post("/reports/<int:report_id>/dismiss")
@staff_required
def dismiss_report(report_id):
    """Close a report without deleting anything: the post was fine."""
    db = get_db()
    with write_transaction(db):
        query = "SELECT id, post_id, reason FROM reports WHERE id = ? AND dismissed_at IS NULL"
        report = row_or_404(db, query, report_id)
        db.execute("UPDATE reports SET dismissed_at = ? WHERE id = ?", (now(), report_id))
        log_action(db, "dismiss report", f"report {report_id} on post {report['post_id']}", report["reason"])
    return redirect(url_for("moderation.reports"), code=303)


@bp.get("/log")
@staff_required
def log():
    """The audit log, newest first."""
    db = get_db()
    total = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    page, pages = requested_page(), page_count(total)
    if page > pages:
        abort(404)
    rows = db.execute(
        "SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?",
        (ROWS_PER_PAGE, (page - 1) * ROWS_PER_PAGE),
    )
    entries = [{**row, "created_at": datetime.fromisoformat(row["created_at"])} for row in rows]
    return render_template("mod/log.html", entries=entries, page=page, pages=pages)


# --- Deleting posts and threads ----------------------------------------------------------
# The database rows go first, the image files after the COMMIT. The other way
# round, a transaction that fails (the database is busy: 503) would leave a post
# that is still there, pointing at a file that is gone. A file left behind by a
# failed delete only takes up space; a post without its image is broken.


@bp.post("/posts/<int:post_id>/delete")
@staff_required
def delete_post(post_id):
    """Delete one post, its image and its reports; fix its thread's counts."""
    db = get_db()
    with write_transaction(db):
        post = row_or_404(
            db,
            "SELECT posts.id, posts.thread_id, posts.body, posts.is_opening, images.path"
            " FROM posts LEFT JOIN images ON images.post_id = posts.id WHERE posts.id = ?",
            post_id,
        )
        # ON DELETE CASCADE (schema.sql) deletes its image's row and its reports too.
        db.execute("DELETE FROM posts WHERE id = ?", (post_id,))
        # The thread's counts: every post counts in post_count, only replies in
        # reply_count. is_opening tells them apart (see schema.sql).
        replies_gone = 0 if post["is_opening"] else 1
        db.execute(
            "UPDATE threads SET post_count = post_count - 1, reply_count = reply_count - ? WHERE id = ?",
            (replies_gone, post["thread_id"]),
        )
        log_action(db, "delete post", f"post {post_id} in thread {post['thread_id']}", post["body"][:100])
        record_event(db, post["thread_id"], "delete", post_id)
    notify_thread(post["thread_id"])
    delete_image_files([post["path"]] if post["path"] else [])
    # Back where the moderator was (the reports page sends next=/mod/reports), or the thread.
    next_page = request.form.get("next", "")
    if is_local_path(next_page):
        return redirect(next_page, code=303)
    return redirect(url_for("boards.show_thread", thread_id=post["thread_id"]), code=303)


@bp.post("/threads/<int:thread_id>/delete")
@staff_required
def delete_thread(thread_id):
    """Delete a thread with all its posts, their images and their reports."""
    db = get_db()
    with write_transaction(db):
        thread = row_or_404(db, "SELECT id, board, title FROM threads WHERE id = ?", thread_id)
        rows = db.execute(
            "SELECT images.path FROM images JOIN posts ON posts.id = images.post_id"
            " WHERE posts.thread_id = ?",
            (thread_id,),
        )
        image_paths = [row["path"] for row in rows]
        # ON DELETE CASCADE: the posts go with the thread, and their images' rows
        # and reports with the posts.
        db.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
        log_action(db, "delete thread", f"thread {thread_id}", thread["title"][:100])
        # thread_events has no REFERENCES threads (schema.sql): this row stays
        # after its thread, so the sockets still open on the thread learn of it.
        record_event(db, thread_id, "thread-delete")
    notify_thread(thread_id)
    delete_image_files(image_paths)
    return redirect(url_for("boards.show_board", slug=thread["board"]), code=303)


# --- Locking, pinning and moving threads -------------------------------------------------

# Column names cannot be ? parameters, only values can; and SQL text is never
# built from what people send. So each change has its own fixed query.
# "AND locked != ?" changes nothing when the thread is already in that state.
SET_FLAG_QUERIES = {
    "locked": "UPDATE threads SET locked = ? WHERE id = ? AND locked != ?",
    "pinned": "UPDATE threads SET pinned = ? WHERE id = ? AND pinned != ?",
}


def set_thread_flag(thread_id, flag, value, action):
    """Lock/unlock or pin/unpin a thread (flag "locked" or "pinned", value 1 or
    0), log it as `action`, and go back to the thread page."""
    db = get_db()
    with write_transaction(db):
        row_or_404(db, "SELECT id FROM threads WHERE id = ?", thread_id)
        changed = db.execute(SET_FLAG_QUERIES[flag], (value, thread_id, value)).rowcount
        if changed:
            log_action(db, action, f"thread {thread_id}")
            if flag == "locked":
                # Step 15: open pages swap the reply form for the notice, or back.
                record_event(db, thread_id, "lock" if value else "unlock")
    notify_thread(thread_id)
    return redirect(url_for("boards.show_thread", thread_id=thread_id), code=303)


@bp.post("/threads/<int:thread_id>/lock")
@staff_required
def lock_thread(thread_id):
    """No more replies: the thread page says "This thread is locked."."""
    return set_thread_flag(thread_id, "locked", 1, "lock thread")


@bp.post("/threads/<int:thread_id>/unlock")
@staff_required
def unlock_thread(thread_id):
    """Replies are welcome again."""
    return set_thread_flag(thread_id, "locked", 0, "unlock thread")


@bp.post("/threads/<int:thread_id>/pin")
@staff_required
def pin_thread(thread_id):
    """Keep the thread at the top of its board, above busier threads."""
    return set_thread_flag(thread_id, "pinned", 1, "pin thread")


@bp.post("/threads/<int:thread_id>/unpin")
@staff_required
def unpin_thread(thread_id):
    """The thread takes its place among the others again, by its last activity."""
    return set_thread_flag(thread_id, "pinned", 0, "unpin thread")


@bp.post("/threads/<int:thread_id>/move")
@staff_required
def move_thread(thread_id):
    """Move a thread to another board (the form's `board`: a slug).

    Its images stay where they are on disk: their paths are in the database,
    and the folder name was only ever a way to spread the files out.
    """
    new_board = get_store().find_board(request.form.get("board", ""))
    if new_board is None:
        raise FormError("There is no such board. Choose one of the boards in the list.")
    db = get_db()
    with write_transaction(db):
        thread = row_or_404(db, "SELECT id, board FROM threads WHERE id = ?", thread_id)
        if thread["board"] == new_board["slug"]:
            raise FormError("The thread is already on that board. Choose another one.")
        db.execute("UPDATE threads SET board = ? WHERE id = ?", (new_board["slug"], thread_id))
        log_action(db, "move thread", f"thread {thread_id}", f"{thread['board']} → {new_board['slug']}")
        record_event(db, thread_id, "move")
    notify_thread(thread_id)
    return redirect(url_for("boards.show_thread", thread_id=thread_id), code=303)


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
        log_action(db, "create user", f"user {username}", role)
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
            log_action(db, "change role", f"user {user['username']}", f"{user['role']} → {role}")
    return redirect(url_for("moderation.users"), code=303)


@bp.post("/users/<int:user_id>/disable")
@admin_required
def disable_user(user_id):
    """Close an account: it can no longer log in, and its open sessions end at
    their next click, for good: enabled again, it must log in afresh
    (accounts.end_sessions). The account stays, so that the log still says who
    did what."""
    return set_disabled(user_id, 1, "disable user")


@bp.post("/users/<int:user_id>/enable")
@admin_required
def enable_user(user_id):
    """Open a disabled account again."""
    return set_disabled(user_id, 0, "enable user")


def set_disabled(user_id, disabled, action):
    """Disable (1) or enable (0) an account, log it, and go back to the users page."""
    db = get_db()
    with write_transaction(db):
        user = user_or_404(db, user_id)
        if disabled and is_own_account(user):
            raise FormError("You cannot disable your own account. Another admin can.")
        if user["disabled"] != disabled:
            db.execute("UPDATE users SET disabled = ? WHERE id = ?", (disabled, user_id))
            if disabled:
                accounts.end_sessions(db, user_id)
            log_action(db, action, f"user {user['username']}")
    return redirect(url_for("moderation.users"), code=303)


# --- A refused form -------------------------------------------------------------------------

# The pages of this blueprint whose refused forms show the users page again.
USERS_PAGE_FORMS = {"moderation.create_user", "moderation.change_role", "moderation.disable_user"}


@bp.errorhandler(FormError)
def show_form_again(error):
    """A refused form: the users page again with the message (and the name and
    role typed, never the password), or else the error page with the message."""
    if request.endpoint in USERS_PAGE_FORMS:
        typed = {"username": request.form.get("username", ""), "role": request.form.get("role", "")}
        return render_users(form=typed, error=error.description), 400
    return show_own_description(error)
