"""Error pages: every error of the site's pages, shown as a page.

Flask calls an error handler when a view raises (or abort()s with) an error.
It asks the request's blueprint first, then the app: the blueprints that answer
programs (api.py) register a handler of their own, which answers in
JSON (error_answers.answer_in_json). Every other error reaches show_error_page,
registered for the whole app (app_errorhandler) and for every kind of error
(Exception): error_answers.explain says what it means.
"""

from flask import Blueprint, render_template, request

from .error_answers import answer_headers, explain, send_json_error
from .logins import user_or_visitor

bp = Blueprint("errors", __name__)


@bp.app_errorhandler(Exception)
def show_error_page(error):
    """One page for every error: the status, what went wrong, a way back."""
    if request.path.startswith("/api/"):
        # An address under /api/ that matches no route (or not with this method)
        # belongs to no blueprint, so the API's own handler never hears of it.
        # A program asked all the same: JSON.
        return send_json_error(error)
    error, explanation = explain(error)
    user_or_visitor()  # the page's header, even when the database is down
    page = render_template("error.html", error=error, explanation=explanation)
    return page, error.code, answer_headers(error)
