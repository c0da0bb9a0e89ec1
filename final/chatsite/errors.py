"""Error pages: a refused form, every HTTP error, and our own bugs.

Flask calls an error handler when a view raises (or abort()s with) an error.
It picks the most specific one: CSRFError before HTTPException before Exception.
(A refused post form, FormError, is shown again by the boards blueprint that owns
the forms; anywhere else a FormError is an error page with its message.)
"""

import sqlite3

from flask import Blueprint, current_app, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge, ServiceUnavailable

from chatsite import accounts, flood, uploads
from chatsite.bodies import IncompleteBody
from chatsite.db import DatabaseNotUpgraded
from chatsite.forms import BadParameter, FormError, NoFilesHere

bp = Blueprint("errors", __name__)

# How SQLite says that another writer held the database for too long.
SQLITE_BUSY = ("database is locked", "database is busy")

# What each error page says; any other error shows Werkzeug's own description.
ERROR_EXPLANATIONS = {
    400: "Your browser sent something this site could not understand.",
    404: "There is no page at this address. The board or thread may never have existed.",
    405: "This address exists, but not for that kind of request.",
    # 413: too_large_explanation() says which limit the request went over.
    503: "The site is busy right now and nothing was posted. Please try again in a few seconds.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


# What a refused CSRF token means to the person who sent the form.
CSRF_EXPLANATION = "This form has expired. Please reload the page and try again."


@bp.app_errorhandler(CSRFError)
def show_expired_form(error):
    """A form without this session's CSRF token (Flask-WTF's CSRFProtect refused
    it, before any view ran: nothing changed). Most often the page was left open
    until the session ended; Flask-WTF's own reason ("The CSRF token is missing.")
    is for developers, not visitors."""
    return error_response(error, CSRF_EXPLANATION)


@bp.app_errorhandler(IncompleteBody)
@bp.app_errorhandler(BadParameter)
@bp.app_errorhandler(FormError)
@bp.app_errorhandler(NoFilesHere)
@bp.app_errorhandler(DatabaseNotUpgraded)
def show_own_description(error):
    """Our own 400s say exactly what went wrong: a request that did not arrive
    whole, an API parameter that is not what the API documents, a form field
    (the moderators' forms: "There is no board called ..."), or a file sent
    where none belongs. And one 503: the database needs `flask db upgrade`
    (db.require_upgraded_database)."""
    return error_response(error, error.description)


@bp.app_errorhandler(RateLimitExceeded)
def show_too_many_requests(error):
    """429: Flask-Limiter refused a post or a login (see flood.py). The page and
    the Retry-After header say how many seconds to wait."""
    seconds = flood.seconds_to_wait()
    error.retry_after = seconds
    return error_response(error, error.description.format(seconds=seconds))


@bp.app_errorhandler(HTTPException)
def show_error_page(error):
    """One page for every HTTP error: the status, what went wrong, a way back."""
    if error.code == 413:
        return error_response(error, too_large_explanation())
    return error_response(error, ERROR_EXPLANATIONS.get(error.code, error.description))


def too_large_explanation():
    """What a 413 says. Three limits answer 413, and only MAX_CONTENT_LENGTH is about
    the whole request. bodies.py checks that one while it reads the body, and leaves
    the error it raised in the environ (the app then gets an empty body, so
    request.content_length no longer tells)."""
    config = current_app.config
    if isinstance(request.environ.get("chatsite.body_error"), RequestEntityTooLarge):
        limit, image_limit = uploads.mib(config["MAX_CONTENT_LENGTH"]), uploads.mib(config["MAX_IMAGE_SIZE"])
        video_limit = uploads.mib(config["MAX_VIDEO_SIZE"])
        return (
            f"That request was larger than {limit} MiB in all (images can be up to {image_limit} MiB, "
            f"videos up to {video_limit} MiB). Nothing was posted."
        )
    # MAX_FORM_MEMORY_SIZE (one text field too long) or MAX_FORM_PARTS (too many parts).
    return "That form had a text field longer than this site accepts, or too many parts. Nothing was posted."


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(PoolTimeout)
def show_busy_page(error):
    """The database could not be reached in time: SQLite stayed locked longer than
    DATABASE_TIMEOUT, every pooled connection stayed busy, or PostgreSQL is down.
    Not a bug: a 503 says "try again".

    SQLite reports its other troubles as OperationalError too ("no such table":
    the database was never upgraded). Those are ours to fix, not the visitor's
    to retry: a 500, logged with a hint."""
    reason = str(getattr(error, "orig", None) or error)
    if isinstance(getattr(error, "orig", None), sqlite3.Error) and not reason.startswith(SQLITE_BUSY):
        if "no such table" in reason:
            current_app.logger.error("%s: has `flask --app chatsite db upgrade` been run?", reason)
        return show_server_error(error)
    current_app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, reason)
    return show_error_page(ServiceUnavailable(retry_after=5))


@bp.app_errorhandler(Exception)
def show_server_error(error):
    """A bug: log the full traceback for us, show a calm 500 page to the visitor."""
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return show_error_page(InternalServerError())


def error_response(error, explanation):
    """The error as JSON for the API, as a page for everything else."""
    headers = {}
    if error.code == 405:
        # A 405 answer must list the methods that do work here.
        headers["Allow"] = ", ".join(error.valid_methods)
    if getattr(error, "retry_after", None):
        # 503 and 429: when it is worth trying again, in seconds.
        headers["Retry-After"] = str(error.retry_after)
    if request.path.startswith("/api/") or request.blueprint == "fourchan":
        # Programs asked for JSON (our API, or 4chan's, see fourchan.py): an HTML
        # page would only confuse them.
        body = {"error": {"status": error.code, "message": explanation}}
        return body, error.code, headers
    accounts.user_or_visitor()  # the page's header, even when the database is down
    page = render_template("error.html", error=error, explanation=explanation)
    return page, error.code, headers
