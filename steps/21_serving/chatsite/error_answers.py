"""What an error answers: its status, its words and its headers; and the same
answer as JSON, for the blueprints whose readers are programs.

Whatever a request raised, explain() says which HTTP error to answer with and
what it tells the reader. The site's pages show it on an error page (errors.py);
the blueprints that answer in JSON (api.py) call answer_in_json(),
so that their errors are JSON too: an HTML page would only confuse a program.
"""

import sqlite3

from flask import current_app, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge, ServiceUnavailable

from . import flood
from .bodies import IncompleteBody
from .csrf import NoFilesHere
from .db import DatabaseNotUpgraded
from .forms import FormError
from .params import BadParameter
from .upload_checks import mib

# How SQLite says that another writer held the database for too long.
SQLITE_BUSY = ("database is locked", "database is busy")

# What each error says; any other error says Werkzeug's own description.
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

# Our own 400s, which say exactly what went wrong: a request that did not arrive
# whole, an API parameter that is not what the API documents, a form field (the
# moderators' forms: "There is no board called ..."), or a file sent where none
# belongs. And one 503: the database needs `flask db upgrade`
# (db.require_upgraded_database).
IN_THEIR_OWN_WORDS = (IncompleteBody, BadParameter, FormError, NoFilesHere, DatabaseNotUpgraded)


def explain(error):
    """(the HTTP error to answer with, what it says to the reader) for any exception
    a request raised. The most specific kind first, as Flask picks error handlers."""
    if isinstance(error, CSRFError):
        # Flask-WTF's CSRFProtect refused the form, before any view ran: nothing
        # changed. Most often the page was left open until the session ended;
        # Flask-WTF's own reason ("The CSRF token is missing.") is for developers.
        return error, CSRF_EXPLANATION
    if isinstance(error, IN_THEIR_OWN_WORDS):
        return error, error.description
    if isinstance(error, RateLimitExceeded):
        return too_many_requests(error)
    if isinstance(error, HTTPException):
        if error.code == 413:
            return error, too_large_explanation()
        return error, ERROR_EXPLANATIONS.get(error.code, error.description)
    if isinstance(error, (OperationalError, PoolTimeout)):
        return database_unavailable(error)
    return server_error(error)


def too_many_requests(error):
    """429: Flask-Limiter refused a post or a login (see flood.py). The answer and
    its Retry-After header say how many seconds to wait."""
    seconds = flood.seconds_to_wait()
    error.retry_after = seconds
    return error, error.description.format(seconds=seconds)


def too_large_explanation():
    """What a 413 says. Three limits answer 413, and only MAX_CONTENT_LENGTH is about
    the whole request. bodies.py checks that one while it reads the body, and leaves
    the error it raised in the environ (the app then gets an empty body, so
    request.content_length no longer tells)."""
    config = current_app.config
    if isinstance(request.environ.get("chatsite.body_error"), RequestEntityTooLarge):
        limit, image_limit = mib(config["MAX_CONTENT_LENGTH"]), mib(config["MAX_IMAGE_SIZE"])
        video_limit = mib(config["MAX_VIDEO_SIZE"])
        return (
            f"That request was larger than {limit} MiB in all (images can be up to {image_limit} MiB, "
            f"videos up to {video_limit} MiB). Nothing was posted."
        )
    # MAX_FORM_MEMORY_SIZE (one text field too long) or MAX_FORM_PARTS (too many parts).
    return "That form had a text field longer than this site accepts, or too many parts. Nothing was posted."


def database_unavailable(error):
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
        return server_error(error)
    current_app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, reason)
    return ServiceUnavailable(retry_after=5), ERROR_EXPLANATIONS[503]


def server_error(error):
    """A bug: log the full traceback for us, and say something calm to the visitor (500)."""
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return InternalServerError(), ERROR_EXPLANATIONS[500]


def answer_headers(error):
    """The headers an error's answer needs."""
    headers = {}
    if error.code == 405:
        # A 405 answer must list the methods that do work here, sorted: Werkzeug
        # keeps them in a set, whose order would change from one run to the next.
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if getattr(error, "retry_after", None):
        # 503 and 429: when it is worth trying again, in seconds.
        headers["Retry-After"] = str(error.retry_after)
    return headers


def answer_in_json(blueprint):
    """Answer every error of the blueprint's requests in JSON (send_json_error)."""
    blueprint.register_error_handler(Exception, send_json_error)


def send_json_error(error):
    """An error as JSON: {"error": {"status": 404, "message": "There is no page..."}}."""
    error, explanation = explain(error)
    body = {"error": {"status": error.code, "message": explanation}}
    return body, error.code, answer_headers(error)
