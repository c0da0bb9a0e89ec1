"""Reports: any reader can tell the moderators about a post, with no account.

Each post on a thread page has a "Report" link to /posts/<id>/report: a short
form with a reason and, if the reader likes, a few words more. The report
waits on the moderators' page (/mod/reports, moderation.py) until a moderator
deletes the post or dismisses the report.

One client (an IP address) may have one open report of a post. A second
report of the same post while the first is waiting adds nothing for the
moderators: the reader is told so (409) and nothing is stored.
"""

from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import Conflict

from .db import get_db, write_transaction
from .forms import FormError, clean_text, has_hidden_characters, has_visible_character
from .store import get_store

bp = Blueprint("reports", __name__)

# The reasons a reader can pick (value in the form: what the page says).
REASONS = {
    "spam": "Spam or advertising",
    "off-topic": "Off-topic for this board",
    "illegal": "Illegal content",
    "other": "Something else (please say what)",
}

MAX_DETAILS_LENGTH = 500


class AlreadyReported(Conflict):
    """A second report of a post by the client whose first one is still open: 409."""

    description = "You have already reported this post. A moderator will look at it soon."


def find_post_or_404(post_id):
    """The post with this id, or 404 Not Found."""
    post = get_store().find_post(post_id)
    if post is None:
        abort(404)
    return post


@bp.url_value_preprocessor
def stop_if_not_found(endpoint, values):
    """An unknown post is 404 before anything else looks at the request, the CSRF
    check included (see the same function in boards.py)."""
    find_post_or_404(values["post_id"])


@bp.get("/posts/<int:post_id>/report")
def report_form(post_id):
    """The report form for one post."""
    return render_report(find_post_or_404(post_id))


def render_report(post, form=None, error=None):
    """The report form, showing the post it is about."""
    form = form or {}
    return render_template(
        "report.html", post=post, reasons=REASONS, form=form, error=error, max_details=MAX_DETAILS_LENGTH
    )


@bp.post("/posts/<int:post_id>/report")
def create_report(post_id):
    """Store a report, then go back to the post with a thank-you."""
    post = find_post_or_404(post_id)
    reason = request.form.get("reason", "")
    details = clean_text(request.form.get("details", ""))
    try:
        details = check_report(reason, details)
    except FormError as error:
        return render_report(post, form=request.form, error=error.description), 400
    db = get_db()
    with write_transaction(db):
        # The post is looked for again inside the transaction: a moderator may
        # have deleted it a moment ago. (The REFERENCES of schema.sql would refuse
        # the report anyway, but with an error rather than a clear 404.)
        if db.execute("SELECT 1 FROM posts WHERE id = ?", (post_id,)).fetchone() is None:
            abort(404)
        # In the same transaction as the insert: two reports sent at the same
        # moment cannot both find no open report.
        client = request.remote_addr or "unknown"  # the IP address the report came from
        open_report = "SELECT 1 FROM reports WHERE post_id = ? AND client = ? AND dismissed_at IS NULL"
        if db.execute(open_report, (post_id, client)).fetchone() is not None:
            raise AlreadyReported()
        db.execute(
            "INSERT INTO reports (post_id, reason, details, created_at, client) VALUES (?, ?, ?, ?, ?)",
            (post_id, reason, details, datetime.now(timezone.utc).isoformat(), client),
        )
    # flash(): a message kept in the session for the next page only. base.html
    # shows it on the thread page we redirect to, then it is gone.
    flash("Thank you: a moderator will look at your report.")
    url = url_for("boards.show_thread", thread_id=post["thread_id"], _anchor=f"post-{post_id}")
    return redirect(url, code=303)


def check_report(reason, details):
    """Raise FormError if the report cannot be stored; return the details to store.

    Details are optional, so text that shows nothing (only spaces or zero-width
    characters) counts as no details at all, rather than as a mistake.
    """
    if reason not in REASONS:
        raise FormError("Please choose a reason for your report.")
    if len(details) > MAX_DETAILS_LENGTH:
        raise FormError(f"The details can be at most {MAX_DETAILS_LENGTH} characters long.")
    if not has_visible_character(details):
        return ""
    if has_hidden_characters(details, allow_line_breaks=True):
        raise FormError("The details cannot contain control or text-direction characters.")
    return details
