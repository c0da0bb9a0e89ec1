"""Error pages for the whole site: every HTTP error, and our own bugs.

Flask calls an error handler when a view raises (or abort()s with) an error.
It picks the most specific one: a FormError goes to show_form_again() in
boards.py, before HTTPException, before Exception here.

This blueprint has no pages of its own. bp.app_errorhandler (not
bp.errorhandler) makes its handlers work for every page of the app, whichever
blueprint the page belongs to, and for addresses that match no page at all.
"""

from flask import Blueprint, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

# Exercise 09.4, broken on purpose: errors.py needs boards.py, and boards.py errors.py.
from .boards import ALPHABET  # noqa: F401 (unused: only the import matters here)
from .forms import BadParameter
from .uploads import mib

bp = Blueprint("errors", __name__)

# What each error page says; any other error shows Werkzeug's own description.
ERROR_EXPLANATIONS = {
    400: "Your browser sent something this site could not understand.",
    404: "There is no page at this address. The board or thread may never have existed.",
    405: "This address exists, but not for that kind of request.",
    # 413: too_large_explanation() says which limit the request went over.
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


@bp.app_errorhandler(HTTPException)
def show_error_page(error):
    """One page for every HTTP error: the status, what went wrong, a way back."""
    if error.code == 413:
        explanation = too_large_explanation()
    elif isinstance(error, BadParameter):
        explanation = error.description  # it says which parameter is wrong, and what it should be
    else:
        explanation = ERROR_EXPLANATIONS.get(error.code, error.description)
    headers = {}
    if error.code == 405:
        # A 405 answer must list the methods that do work here, sorted: Werkzeug
        # keeps them in a set, whose order would change from one run to the next.
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if request.path.startswith("/api/"):
        # Programs asked for JSON: an HTML page would only confuse them.
        body = {"error": {"status": error.code, "message": explanation}}
        return body, error.code, headers
    page = render_template("error.html", error=error, explanation=explanation)
    return page, error.code, headers


def too_large_explanation():
    """What a 413 page says. Werkzeug answers 413 for three limits, and only
    MAX_CONTENT_LENGTH is about the whole request: the request's length (its
    Content-Length header) tells them apart."""
    config = current_app.config
    limit = config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        image_limit = mib(config["MAX_IMAGE_SIZE"])
        return (
            f"That request was larger than {mib(limit)} MiB in all (images can be up to {image_limit} MiB). "
            "Nothing was posted."
        )
    # MAX_FORM_MEMORY_SIZE (one text field too long) or MAX_FORM_PARTS (too many parts).
    return "That form had a text field longer than this site accepts, or too many parts. Nothing was posted."


@bp.app_errorhandler(Exception)
def show_server_error(error):
    """A bug: log the full traceback for us, show a calm 500 page to the visitor."""
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return show_error_page(InternalServerError())
