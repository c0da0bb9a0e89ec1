"""Error pages for the whole site: every HTTP error, a busy database, and our own bugs.

Flask calls an error handler when a view raises (or abort()s with) an error.
It picks the most specific one: a FormError goes to show_form_again() in
boards.py (or moderation.py), before CSRFError and FormError here, before
HTTPException, before Exception.

This blueprint has no pages of its own. bp.app_errorhandler (not
bp.errorhandler) makes its handlers work for every page of the app, whichever
blueprint the page belongs to, and for addresses that match no page at all.
"""

import sqlite3

from flask import Blueprint, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .csrf import CSRFError
from .forms import BadParameter, FormError, NoFilesHere
from .uploads import mib

bp = Blueprint("errors", __name__)

# What each error page says; any other error shows Werkzeug's own description.
ERROR_EXPLANATIONS = {
    400: "Your browser sent something this site could not understand.",
    404: "There is no page at this address. The board or thread may never have existed.",
    405: "This address exists, but not for that kind of request.",
    # 413: too_large_explanation() says which limit the request went over.
    503: "The site is busy right now and nothing was posted. Please try again in a few seconds.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


@bp.app_errorhandler(CSRFError)
@bp.app_errorhandler(BadParameter)
@bp.app_errorhandler(FormError)
@bp.app_errorhandler(NoFilesHere)
def show_own_description(error):
    """Our own 400s say exactly what went wrong, instead of the general 400 text:
    a form without the right token (most often it expired), an API parameter
    that is not what the API documents, a moderator's form that cannot be
    done ("There is no such board"), or a file sent where none belongs."""
    return error_response(error, error.description)


@bp.app_errorhandler(HTTPException)
def show_error_page(error):
    """One page for every HTTP error: the status, what went wrong, a way back.

    An error without an explanation of ours shows its own description: a 403
    says why ("This thread is locked."), a 429 how long to wait."""
    if error.code == 413:
        return error_response(error, too_large_explanation())
    return error_response(error, ERROR_EXPLANATIONS.get(error.code, error.description))


def error_response(error, explanation):
    """The error as JSON for the API, as a page for everything else."""
    headers = {}
    if error.code == 405:
        # A 405 answer must list the methods that do work here, sorted: Werkzeug
        # keeps them in a set, whose order would change from one run to the next.
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if getattr(error, "retry_after", None):
        # 503 and 429 say when it is worth trying again, in seconds.
        headers["Retry-After"] = str(error.retry_after)
    if request.path.startswith("/api/"):
        # Programs asked for JSON: an HTML page would only confuse them.
        body = {"error": {"status": error.code, "message": explanation}}
        return body, error.code, headers
    page = render_template("error.html", error=error, explanation=explanation)
    return page, error.code, headers


@bp.app_errorhandler(sqlite3.OperationalError)
def show_busy_page(error):
    """The database stayed locked by other writers for longer than DATABASE_TIMEOUT.

    That is not a bug: the site is busy, and trying again a little later will
    work. So the answer is 503 Service Unavailable, with a Retry-After header,
    rather than a 500. Any other OperationalError ("no such table", ...) is a
    bug, and gets the 500 page.
    """
    if "database is locked" not in str(error):
        return show_server_error(error)
    current_app.logger.warning("Database busy on %s %s: %s", request.method, request.path, error)
    return show_error_page(ServiceUnavailable(retry_after=5))


def too_large_explanation():
    """What a 413 page says. Werkzeug answers 413 for three limits, and only
    MAX_CONTENT_LENGTH is about the whole request: the request's length (its
    Content-Length header) tells them apart."""
    config = current_app.config
    limit = config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        image_limit, video_limit = mib(config["MAX_IMAGE_SIZE"]), mib(config["MAX_VIDEO_SIZE"])
        return (
            f"That request was larger than {mib(limit)} MiB in all (images can be up to {image_limit} MiB). "
            f"Videos can be up to {video_limit} MiB. Nothing was posted."
        )
    # MAX_FORM_MEMORY_SIZE (one text field too long) or MAX_FORM_PARTS (too many parts).
    return "That form had a text field longer than this site accepts, or too many parts. Nothing was posted."


@bp.app_errorhandler(Exception)
def show_server_error(error):
    """A bug: log the full traceback for us, show a calm 500 page to the visitor."""
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return show_error_page(InternalServerError())
